using System.Runtime.CompilerServices;
using System.Buffers;
using System.Collections;
using Sluice.Core.Events;
using Sluice.Generate.Faults;
using Sluice.Generate.Journeys;
using Sluice.Generate.Model;
using Sluice.Generate.Randomness;

namespace Sluice.Generate;

/// <summary>Produces a deterministic stream of clickstream records: journeys, faults on purpose and CDC changes.</summary>
/// <remarks>
/// <para>Pull-based: call <see cref="MoveNext"/> and read <see cref="Current"/>, or enumerate. Time is a simulated
/// event clock, independent of the wall clock; the stream is in emission order, which is event-time order
/// except for the out-of-order and late events (held back and released later, as a slow network would).</para>
/// <para>Journeys, faults, bots and CDC each draw from their own seeded generator, so changing a fault rate
/// does not change which journeys the shoppers take.</para>
/// <para>The payload of <see cref="Current"/> lives in a buffer reused by the next call. Not thread-safe.</para>
/// <para>The methods that run for every event are jitted fully optimised at once
/// (<see cref="MethodImplOptions.AggressiveOptimization"/>): a run lasts seconds, and tiered compilation spent the first
/// of them in unoptimised, then instrumented code, about a fifth of the CPU time of five million events. In exchange
/// they get no profile-guided optimisation, so they avoid what needs it: virtual calls per event, framework generics.</para>
/// </remarks>
public sealed partial class ClickstreamGenerator : IEnumerable<GeneratedRecord>
{
    private const int RecentCapacity = 64;

    private static readonly string?[] EntryReferrers =
        [null, "https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://www.instagram.com/", "https://newsletter.example.com/"];
    private static readonly byte[][] EntryReferrersJson = Array.ConvertAll(EntryReferrers, ClickJsonWriter.Encode);
    private static readonly double[] EntryReferrerWeights = Weights.Cumulative([30, 40, 8, 4, 10, 8]);
    private static readonly string[] Campaigns = ["cmp-winter-sale", "cmp-newsletter-w01", "cmp-retargeting", "cmp-influencer"];
    private static readonly byte[][] CampaignsJson = Array.ConvertAll(Campaigns, ClickJsonWriter.Encode);

    private readonly GeneratorSettings _settings;
    private readonly TransitionTable _table;
    private readonly Prng _rng;
    private readonly Prng _faultRng;
    private readonly Prng _botRng;
    private readonly Prng _cdcRng;
    private readonly UserPool _users;
    private readonly Catalog _catalog;
    private readonly Session[] _sessions;
    private readonly TimeQueue<int> _due;
    private readonly TimeQueue<(EventFields Event, FaultKind Fault)> _held = new();
    // The last RecentCapacity counted events, plus the slot _recentCount % (RecentCapacity + 1) where the next event is
    // built: a fresh event that is counted is committed by advancing the count, without a copy.
    private readonly EventFields[] _recent = NewDrafts(RecentCapacity + 1);
    private readonly Stack<EventFields> _spare = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private readonly long _startMs;
    private readonly long _endMs;
    private readonly long _timeoutMs;
    private readonly double _thinkMs;
    private readonly long _oooMaxMs;
    private readonly long _lateMinMs;
    private readonly long _lateMaxMs;

    private long _clock;
    private long _clickRecords;
    private long _recentCount;
    private bool _done;
    private long _sessionsStarted, _sessionsEnded, _endedWithCart, _converted, _abandoned;

    public ClickstreamGenerator(GeneratorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _table = settings.Transitions;
        _rng = new Prng(settings.Seed);
        _faultRng = new Prng(settings.Seed ^ 0x5EED_FA17);
        _botRng = new Prng(settings.Seed ^ 0x5EED_B075);
        _cdcRng = new Prng(settings.Seed ^ 0x5EED_CDC0);
        _startMs = settings.Start.ToUnixTimeMilliseconds();
        _endMs = settings.Duration is { } d ? _startMs + (long)d.TotalMilliseconds : long.MaxValue;
        _timeoutMs = (long)settings.SessionTimeout.TotalMilliseconds;
        _thinkMs = settings.MeanThinkTime.TotalMilliseconds;
        _oooMaxMs = (long)settings.OutOfOrderBound.TotalMilliseconds / 2;
        _lateMinMs = (long)settings.LateMin.TotalMilliseconds;
        _lateMaxMs = (long)settings.LateMax.TotalMilliseconds;
        _clock = _startMs;

        // Catalog and users come from the journey generator, so they too depend on the seed only.
        _catalog = new Catalog(settings.Products, _rng);
        _users = new UserPool(settings.Users, settings.AnonymousShare, _startMs, _rng);
        _bots = CreateBots();

        var slots = settings.EffectiveConcurrentSessions;
        _sessions = new Session[slots];
        _due = new TimeQueue<int>(slots);
        for (var i = 0; i < slots; i++)
        {
            _sessions[i] = new Session();
            // Stagger the first sessions so traffic does not start as one burst.
            _due.Enqueue(i, _startMs + (long)(_rng.NextDouble() * 2 * _thinkMs));
        }
        _snapshotPending = settings.Cdc;
    }

    public GeneratorSettings Settings => _settings;
    public UserPool Users => _users;
    public Catalog Catalog => _catalog;

    /// <summary>
    /// Whether click records carry a <see cref="ClickEvent"/> in <see cref="GeneratedRecord.Event"/> (default true).
    /// Consumers of the payload alone turn it off (<see cref="GeneratorRunner"/> does for writers that do not read
    /// events): an object of about 184 bytes per event is then never built. The payloads are the same either way.
    /// </summary>
    public bool MaterializeEvents { get; set; } = true;

    /// <summary>The record produced by the last successful <see cref="MoveNext"/>.</summary>
    public GeneratedRecord Current { get; private set; }

    /// <summary>Click records produced so far (faults included, CDC not).</summary>
    public long ClickRecords => _clickRecords;

    /// <summary>The simulated clock: event time of the newest emitted event.</summary>
    public long Clock => _clock;

    /// <summary>Session counts so far; conversion and abandonment follow from them.</summary>
    public JourneyStats Stats => new(_sessionsStarted, _sessionsEnded, _endedWithCart, _converted, _abandoned);

    /// <summary>Produces the next record; false when the event or duration limit is reached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool MoveNext()
    {
        while (!_done)
        {
            if (_snapshotPending)
            {
                if (EmitSnapshot()) return true;
                continue;
            }
            if (_settings.MaxEvents > 0 && _clickRecords >= _settings.MaxEvents) break;
            if (_settings.Cdc && _cdcRng.Chance(_settings.CdcRate) && EmitChange()) return true;
            if (_botRng.Chance(_settings.BotRate))
            {
                EmitBot();
                return true;
            }
            if (_faultRng.Chance(_settings.DuplicateRate) && _recentCount > 0)
            {
                EmitDuplicate();
                return true;
            }
            _due.TryPeekTime(out var dueAt);
            if (_held.TryPeekTime(out var releaseAt) && releaseAt <= dueAt)
            {
                if (releaseAt >= _endMs) break;
                var (evt, fault) = _held.Dequeue(out _);
                _clock = Math.Max(_clock, releaseAt);
                EmitClick(evt, fault);
                return true;
            }
            if (dueAt >= _endMs) break;
            if (Step()) return true;
        }
        _done = true;
        return false;
    }

    /// <summary>Enumerates the remaining records. Each record's payload is valid until the next one is produced.</summary>
    public IEnumerator<GeneratedRecord> GetEnumerator()
    {
        while (MoveNext()) yield return Current;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The draft the next fresh event (journey step or bot) is built in.</summary>
[MethodImpl(MethodImplOptions.AggressiveInlining)]
    private EventFields NextDraft() => _recent[_recentCount % (RecentCapacity + 1)].Clear();

    private static EventFields[] NewDrafts(int count)
    {
        var drafts = new EventFields[count];
        for (var i = 0; i < count; i++) drafts[i] = new EventFields();
        return drafts;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EmitClick(EventFields evt, FaultKind fault)
    {
        _buffer.ResetWrittenCount();
        ClickJsonWriter.Write(evt, _buffer);
        if (fault.IsCounted())
        {
            ref var next = ref _recent[_recentCount % (RecentCapacity + 1)];
            if (!ReferenceEquals(next, evt))
            {
                // A held-back event joins the ring; the draft it replaces becomes a spare.
                _spare.Push(next);
                next = evt;
            }
            _recentCount++;
        }
        else if (fault == FaultKind.Late)
        {
            // Its bytes are written; nothing refers to the draft any more.
            _spare.Push(evt);
        }
        _clickRecords++;
        Current = new GeneratedRecord(RecordKind.Click, _settings.EventsTopic, evt.PartitionKey, _buffer.WrittenMemory,
            evt.Timestamp, _clock, fault, evt.EventId, MaterializeEvents ? evt.ToEvent() : null) { EventType = evt.EventType };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EmitDuplicate()
    {
        var window = (int)Math.Min(_recentCount, RecentCapacity);
        var original = _recent[(_recentCount - 1 - _faultRng.NextInt(window)) % (RecentCapacity + 1)];
        EmitClick(original, FaultKind.Duplicate);
    }

    /// <summary>Applies the malformed, late and out-of-order faults to a fresh human event; false when it was held back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool EmitWithFaults(EventFields evt)
    {
        var u = _faultRng.NextDouble();
        var malformed = _settings.MalformedRate;
        if (u < malformed)
        {
            var kind = FaultKinds.Malformed[_faultRng.NextInt(FaultKinds.Malformed.Length)];
            _buffer.ResetWrittenCount();
            // A cold path (about 1 %): the variants are written from an event object.
            var represented = MalformedPayloads.Write(kind, evt.ToEvent(), _catalog, _faultRng, _buffer);
            _clickRecords++;
            Current = new GeneratedRecord(RecordKind.Click, _settings.EventsTopic, evt.PartitionKey, _buffer.WrittenMemory,
                evt.Timestamp, _clock, kind, evt.EventId, represented) { EventType = represented?.EventType };
            return true;
        }
        if (u < malformed + _settings.LateRate)
        {
            Hold(evt, FaultKind.Late, evt.Timestamp + _faultRng.NextLong(_lateMinMs, _lateMaxMs + 1));
            return false;
        }
        if (u < malformed + _settings.LateRate + _settings.OutOfOrderRate)
        {
            Hold(evt, FaultKind.OutOfOrder, evt.Timestamp + _faultRng.NextLong(1_000, _oooMaxMs + 1));
            return false;
        }
        EmitClick(evt, FaultKind.None);
        return true;
    }

    /// <summary>Keeps a fresh event back until <paramref name="releaseAt"/>; its draft leaves the ring for a spare.</summary>
    private void Hold(EventFields evt, FaultKind fault, long releaseAt)
    {
        _held.Enqueue((evt, fault), releaseAt);
        _recent[_recentCount % (RecentCapacity + 1)] = _spare.TryPop(out var spare) ? spare : new EventFields();
    }
}
