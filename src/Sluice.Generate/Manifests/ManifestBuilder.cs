using System.Runtime.CompilerServices;
using System.Buffers;
using System.Text.Json;
using Sluice.Core.Events;
using Sluice.Generate.Cdc;
using Sluice.Generate.Faults;
using Sluice.Generate.Writers;

namespace Sluice.Generate.Manifests;

/// <summary>Ground truth of a run: what was produced, built by observing every record that was actually sent.</summary>
/// <remarks>
/// Counted events are the ones a correct processor aggregates: valid, first seen, human, on time
/// (<see cref="FaultKinds.IsCounted"/>). Per-window counts are over those, by event time, in tumbling windows
/// of <see cref="WindowSizeMs"/>. Late and duplicate event ids are listed so routing can be checked one by one.
/// </remarks>
public sealed class ManifestBuilder
{
    private readonly long[] _faults = new long[FaultKinds.Count];
    private readonly long[] _validByType = new long[EventTypes.All.Count];
    private readonly long[] _cdc = new long[4];
    private readonly Dictionary<long, long[]> _windows = [];
    private readonly List<EventId> _late = [];
    private readonly List<EventId> _duplicates = [];
    private long _lastWindowStart = long.MinValue;
    private long[]? _lastWindow;

    public ManifestBuilder(long windowSizeMs = 60_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowSizeMs, 1);
        WindowSizeMs = windowSizeMs;
    }

    public long WindowSizeMs { get; }

    /// <summary>The wire format the click events were sent in; it decides the reason codes the manifest expects.</summary>
    public PayloadFormat Format { get; set; }

    /// <summary>The schema id Avro frames were written with, when <see cref="Format"/> is Avro: a regenerated stream needs it.</summary>
    public int? AvroSchemaId { get; set; }
    public long Records { get; private set; }
    public long ClickRecords { get; private set; }
    public long CdcRecords { get; private set; }

    /// <summary>CDC records sent with operation <paramref name="op"/>.</summary>
    public long ChangeCount(ChangeOp op) => _cdc[(int)op];
    public long FirstEventTime { get; private set; } = long.MaxValue;
    public long LastEventTime { get; private set; } = long.MinValue;

    public long FaultCount(FaultKind kind) => _faults[(int)kind];
    public long ValidCount(EventType type) => _validByType[(int)type];
    public IReadOnlyList<EventId> LateEventIds => _late;
    public IReadOnlyList<EventId> DuplicateEventIds => _duplicates;

    /// <summary>Expected counted events per window start (epoch ms), per event type.</summary>
    public IReadOnlyDictionary<long, long[]> Windows => _windows;

    /// <summary>Records one produced record; call it only for records that were actually sent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(in GeneratedRecord record)
    {
        Records++;
        if (record.Kind == RecordKind.Cdc)
        {
            CdcRecords++;
            _cdc[(int)record.Op]++;
            return;
        }
        ClickRecords++;
        _faults[(int)record.Fault]++;
        if (record.EventTime < FirstEventTime) FirstEventTime = record.EventTime;
        if (record.EventTime > LastEventTime) LastEventTime = record.EventTime;
        switch (record.Fault)
        {
            case FaultKind.None or FaultKind.OutOfOrder:
                var type = record.EventType ?? record.Event!.EventType;
                _validByType[(int)type]++;
                var start = record.EventTime - Mod(record.EventTime, WindowSizeMs);
                if (start != _lastWindowStart || _lastWindow is null)
                {
                    if (!_windows.TryGetValue(start, out _lastWindow))
                    {
                        _lastWindow = new long[_validByType.Length];
                        _windows.Add(start, _lastWindow);
                    }
                    _lastWindowStart = start;
                }
                _lastWindow[(int)type]++;
                break;
            case FaultKind.Late:
                _late.Add(record.EventId);
                break;
            case FaultKind.Duplicate:
                _duplicates.Add(record.EventId);
                break;
        }
    }

    /// <summary>Writes the manifest as indented JSON. <paramref name="generator"/> adds settings and session statistics.</summary>
    public void WriteJson(IBufferWriter<byte> output, ClickstreamGenerator? generator = null)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("manifest_version", 1);
        w.WriteString("payload_format", Format.ToWireName());
        if (AvroSchemaId is { } schemaId) w.WriteNumber("avro_schema_id", schemaId);
        if (generator is not null) WriteGenerator(w, generator);

        w.WriteStartObject("totals");
        w.WriteNumber("records", Records);
        w.WriteNumber("click_records", ClickRecords);
        w.WriteNumber("cdc_records", CdcRecords);
        long counted = 0;
        foreach (var n in _validByType) counted += n;
        w.WriteNumber("counted_events", counted);
        if (ClickRecords > 0)
        {
            w.WriteNumber("first_event_time", FirstEventTime);
            w.WriteNumber("last_event_time", LastEventTime);
        }
        w.WriteEndObject();

        w.WriteStartObject("valid_events");
        foreach (var type in EventTypes.All) w.WriteNumber(type.ToWireName(), _validByType[(int)type]);
        w.WriteEndObject();

        w.WriteStartObject("faults");
        for (var k = 0; k < FaultKinds.Count; k++) w.WriteNumber(((FaultKind)k).ToLabel(), _faults[k]);
        w.WriteEndObject();

        w.WriteStartObject("expected_reason_codes");
        foreach (var kind in FaultKinds.Malformed) w.WriteString(kind.ToLabel(), kind.ExpectedReasonCode(Format));
        w.WriteEndObject();

        w.WriteStartObject("cdc");
        foreach (var op in Enum.GetValues<ChangeOp>()) w.WriteNumber(op.ToCode(), _cdc[(int)op]);
        w.WriteEndObject();

        w.WriteStartObject("windows");
        w.WriteNumber("size_ms", WindowSizeMs);
        w.WriteString("counts_of", "valid, first-seen, human, on-time events (faults none and out_of_order) by event time");
        w.WriteStartArray("counts");
        var starts = new List<long>(_windows.Keys);
        starts.Sort();
        foreach (var start in starts)
        {
            var counts = _windows[start];
            w.WriteStartObject();
            w.WriteNumber("start", start);
            long total = 0;
            foreach (var type in EventTypes.All)
            {
                w.WriteNumber(type.ToWireName(), counts[(int)type]);
                total += counts[(int)type];
            }
            w.WriteNumber("total", total);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        WriteIds(w, "late_event_ids", _late);
        WriteIds(w, "duplicate_event_ids", _duplicates);
        w.WriteEndObject();
    }

    /// <summary>Writes the manifest to a file, through a temporary file so a reader never sees half of it.</summary>
    public void WriteFile(string path, ClickstreamGenerator? generator = null)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        WriteJson(buffer, generator);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, buffer.WrittenSpan.ToArray());
        File.Move(temp, path, overwrite: true);
    }

    private static void WriteGenerator(Utf8JsonWriter w, ClickstreamGenerator generator)
    {
        var s = generator.Settings;
        w.WriteStartObject("generator");
        w.WriteNumber("seed", s.Seed);
        w.WriteNumber("users", s.Users);
        w.WriteNumber("products", s.Products);
        w.WriteNumber("concurrent_sessions", s.EffectiveConcurrentSessions);
        w.WriteString("start", s.Start.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteNumber("malformed_rate", s.MalformedRate);
        w.WriteNumber("late_rate", s.LateRate);
        w.WriteNumber("out_of_order_rate", s.OutOfOrderRate);
        w.WriteNumber("duplicate_rate", s.DuplicateRate);
        w.WriteNumber("bot_rate", s.BotRate);
        w.WriteNumber("out_of_order_bound_ms", (long)s.OutOfOrderBound.TotalMilliseconds);
        w.WriteNumber("late_min_ms", (long)s.LateMin.TotalMilliseconds);
        w.WriteNumber("late_max_ms", (long)s.LateMax.TotalMilliseconds);
        w.WriteString("events_topic", s.EventsTopic);
        w.WriteString("cdc_topic", s.CdcTopic);
        // The rest of what shapes the stream, so that `sluice verify` can regenerate it from this file alone
        // (CDC changes decide which users exist and their segments, hence the clicks too).
        w.WriteNumber("max_events", s.MaxEvents);
        if (s.Duration is { } duration) w.WriteNumber("duration_ms", (long)duration.TotalMilliseconds);
        w.WriteNumber("anonymous_share", s.AnonymousShare);
        w.WriteNumber("mean_think_time_ms", (long)s.MeanThinkTime.TotalMilliseconds);
        w.WriteNumber("session_timeout_ms", (long)s.SessionTimeout.TotalMilliseconds);
        w.WriteBoolean("cdc", s.Cdc);
        w.WriteNumber("cdc_rate", s.CdcRate);
        w.WriteNumber("window_size_ms", (long)s.WindowSize.TotalMilliseconds);
        w.WriteString("transitions", ReferenceEquals(s.Transitions, Journeys.TransitionTable.Default) ? "built-in" : "custom");
        w.WriteEndObject();

        var stats = generator.Stats;
        w.WriteStartObject("sessions");
        w.WriteNumber("started", stats.SessionsStarted);
        w.WriteNumber("ended", stats.SessionsEnded);
        w.WriteNumber("ended_with_cart", stats.EndedWithCart);
        w.WriteNumber("converted", stats.Converted);
        w.WriteNumber("abandoned_carts", stats.AbandonedCarts);
        w.WriteNumber("conversion_rate", Math.Round(stats.ConversionRate, 6));
        w.WriteNumber("cart_abandonment_rate", Math.Round(stats.CartAbandonmentRate, 6));
        w.WriteEndObject();
    }

    private static void WriteIds(Utf8JsonWriter w, string name, List<EventId> ids)
    {
        w.WriteStartArray(name);
        foreach (var id in ids) w.WriteStringValue(id.ToString());
        w.WriteEndArray();
    }

    private static long Mod(long value, long size)
    {
        var m = value % size;
        return m < 0 ? m + size : m;
    }
}
