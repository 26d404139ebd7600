using Sluice.Core.Events;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Step 1: bytes to <see cref="ClickEvent"/>; undecodable payloads go to the dead-letter output with the decoder's reason.</summary>
/// <param name="next">Where decoded events go.</param>
/// <param name="decoder">JSON only by default; <see cref="ClickEventDecoder"/> with a schema source also reads Avro frames.</param>
public sealed class DecodeProcessor(IProcessor<string, ClickEvent> next, ClickEventDecoder? decoder = null) : IProcessor<byte[]?, byte[]>
{
    private readonly ClickEventDecoder _decoder = decoder ?? ClickEventDecoder.JsonOnly;

    private IProcessorContext _context = null!;

    public void Init(IProcessorContext context) => _context = context;

    public void Process(in Record<byte[]?, byte[]> record)
    {
        if (!_decoder.TryDecode(record.Value, out var evt, out var error))
        {
            _context.DeadLetter(error.ReasonCode, error.Detail);
            return;
        }
        next.Process(record.With(evt!.PartitionKey, evt));
    }

    public void Close()
    {
    }
}

/// <summary>Step 3: drops repeated event_ids seen within the dedup horizon, counting them in <c>duplicates</c>.</summary>
/// <remarks>Ids are remembered in an <see cref="EventIdStore"/> that forgets them by watermark, so memory is bounded by the horizon (and by a hard entry limit).</remarks>
public sealed class DedupProcessor(string storeName, IProcessor<string, ClickEvent> next) : IProcessor<string, ClickEvent>
{
    private IProcessorContext _context = null!;
    private EventIdStore _seen = null!;
    private Counter _duplicates = null!;

    public void Init(IProcessorContext context)
    {
        _context = context;
        _seen = context.GetStateStore<EventIdStore>(storeName);
        _duplicates = context.Metrics.Counter("duplicates");
    }

    public void Process(in Record<string, ClickEvent> record)
    {
        _seen.AdvanceTime(_context.Watermark);
        if (!_seen.TryAdd(record.Value.EventId, record.Timestamp))
        {
            _duplicates.Increment();
            return;
        }
        next.Process(record);
    }

    public void Close()
    {
    }
}

/// <summary>Step 4: bot traffic goes to its own output (counted in <c>bots</c>), not to the dead letters.</summary>
public sealed class BotFilterProcessor(BotDetector detector, IProcessor<string, ClickEvent> bots, IProcessor<string, ClickEvent> next)
    : IProcessor<string, ClickEvent>
{
    private Counter _bots = null!;

    public void Init(IProcessorContext context) => _bots = context.Metrics.Counter("bots");

    public void Process(in Record<string, ClickEvent> record)
    {
        if (detector.IsBot(record.Value.UserAgent))
        {
            _bots.Increment();
            bots.Process(record);
            return;
        }
        next.Process(record);
    }

    public void Close()
    {
    }
}

/// <summary>Steps 5 and 6: normalise country and search query, derive revenue, hour, date, mobile flag and lag.</summary>
public sealed class EnrichProcessor(IProcessor<string, EnrichedEvent> next, MobileDetector? mobile = null) : IProcessor<string, ClickEvent>
{
    private readonly MobileDetector _mobile = mobile ?? MobileDetector.Default;
    private const long MsPerHour = 3_600_000, MsPerDay = 86_400_000;
    private const int UnixEpochDayNumber = 719_162;
    private const int CacheLimit = 4096;
    private readonly Dictionary<string, string> _countries = new(StringComparer.Ordinal);
    private IProcessorContext _context = null!;

    public void Init(IProcessorContext context) => _context = context;

    public void Process(in Record<string, ClickEvent> record)
    {
        var e = record.Value;
        var key = record.Key;
        if (e.UserId is { } user && string.IsNullOrWhiteSpace(user))
        {
            // Trackers send "" for visitors who are not logged in, and validation treats it as no user: so does every
            // aggregate, and the key becomes the session, not a single "user" shared by every such visitor.
            e = e with { UserId = null };
            key = e.PartitionKey;
        }
        var now = _context.NowMs;
        var ts = e.Timestamp;
        var enriched = new EnrichedEvent
        {
            Event = e,
            Country = NormalizeCountry(e.GeoCountry),
            SearchQuery = NormalizeQuery(e.SearchQuery),
            RevenueCents = e.EventType == EventType.Purchase ? (e.PriceCents ?? 0) * (e.Quantity ?? 0) : 0,
            EventHour = (int)(ts / MsPerHour % 24), // validated: ts > 0
            EventDate = DateOnly.FromDayNumber(UnixEpochDayNumber + (int)(ts / MsPerDay)),
            IsMobile = _mobile.IsMobile(e),
            ProcessingTimeMs = now,
            IngestLagMs = now - ts,
            Partition = record.Source.Partition,
            Offset = record.Source.Offset,
        };
        next.Process(record.With(key, enriched));
    }

    public void Close() => _countries.Clear();

    /// <summary>Upper-cased, trimmed; UNKNOWN for null or blank.</summary>
    public static string NormalizeCountryCode(string? country)
    {
        if (country is null) return "UNKNOWN";
        var trimmed = country.Trim();
        return trimmed.Length == 0 ? "UNKNOWN" : trimmed.ToUpperInvariant();
    }

    /// <summary>Lower-cased, trimmed; null stays null.</summary>
    public static string? NormalizeQuery(string? query)
    {
        if (query is null) return null;
        // Most queries arrive normalised already: return the same string rather than two copies of it.
        var trimmed = query.AsSpan().Trim();
        if (trimmed.Length == query.Length && !HasUpper(trimmed)) return query;
        return query.Trim().ToLowerInvariant();
    }

    private static bool HasUpper(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (char.ToLowerInvariant(c) != c) return true;
        return false;
    }

    /// <summary>Whether <paramref name="e"/> is mobile by the built-in lists (<see cref="MobileDetector.Default"/>).</summary>
    public static bool IsMobile(ClickEvent e) => MobileDetector.Default.IsMobile(e);

    private string NormalizeCountry(string? country)
    {
        if (country is null) return "UNKNOWN";
        // Nearly every code arrives as two capital letters, already normal: no lookup for those.
        if (country.Length == 2 && char.IsAsciiLetterUpper(country[0]) && char.IsAsciiLetterUpper(country[1])) return country;
        // Other spellings repeat too: normalise each distinct one once.
        if (_countries.TryGetValue(country, out var normalized)) return normalized;
        normalized = NormalizeCountryCode(country);
        if (_countries.Count >= CacheLimit) _countries.Clear();
        _countries[country] = normalized;
        return normalized;
    }
}

/// <summary>Sends late events to the late output keyed by the event's partition key, whatever the aggregate's key.</summary>
public sealed class LateRouter<TKey>(IProcessor<string, LateRecord<EnrichedEvent>> sink) : IProcessor<TKey, LateRecord<EnrichedEvent>>
{
    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<TKey, LateRecord<EnrichedEvent>> record) =>
        sink.Process(record.With(record.Value.Value.Event.PartitionKey, record.Value));

    public void Close()
    {
    }
}
