using System.Buffers;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;

namespace Sluice.Verification;

public sealed partial class BatchRecomputation
{
    /// <summary>Which on-time events form which session, decided in arrival order; the summaries are then plain folds.</summary>
    /// <remarks>
    /// The rules (docs/streaming.md, Windows): per key, events less than the gap apart share a session, whose window is
    /// [first, last + gap); an event within reach of several sessions merges them. A session closes once the watermark
    /// reaches its end plus the allowed lateness, and is emitted then. An event that reaches no open session is late
    /// (<c>session_closed</c>) when a session of its own would already be closed, or when it is not ahead of the watermark
    /// and falls before the end of its key's last closed session; it stays in the enriched output and the windows.
    /// </remarks>
    private sealed class SessionReplay(BatchRecomputation r, int partition, Dictionary<ClickstreamOutput, List<OutputRecord>> outputs)
    {
        private readonly Dictionary<string, List<Session>> _open = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Session> _lastClosed = new(StringComparer.Ordinal);
        // Sessions by the watermark that closes them, as queued; a session that grew since is queued again when it surfaces.
        private readonly PriorityQueue<Session, long> _due = new();
        private long _arrival;

        public void Add(in EnrichedEvent e, string key, long watermark, RecordSource source)
        {
            CloseDue(watermark);
            var ts = e.Timestamp;
            var gap = r._gapMs;
            var sessions = _open.TryGetValue(key, out var list) ? list : null;
            var joined = sessions?.Where(s => ts < s.Last + gap && ts + gap > s.Start).ToList() ?? [];
            if (joined.Count == 0)
            {
                if (ts + gap + r._latenessMs <= watermark)
                {
                    outputs[ClickstreamOutput.Late].Add(Late(AggregateNames.Sessions, StreamReasonCodes.SessionClosed, e, key, ts, ts + gap, watermark, source));
                    return;
                }
                if (ts <= watermark && _lastClosed.TryGetValue(key, out var closed) && ts < closed.Last + gap)
                {
                    outputs[ClickstreamOutput.Late].Add(Late(AggregateNames.Sessions, StreamReasonCodes.SessionClosed, e, key, closed.Start, closed.Last + gap, watermark, source));
                    return;
                }
                var session = new Session(key, ts);
                if (sessions is null) _open[key] = sessions = [];
                sessions.Add(session);
                joined.Add(session);
            }
            var into = joined[0];
            foreach (var other in joined.Skip(1))
            {
                into.Absorb(other);
                sessions!.Remove(other);
            }
            into.Add(e, _arrival++);
            _due.Enqueue(into, into.Last + gap + r._latenessMs);
        }

        /// <summary>Closes what the last watermark closes; what stays open is emitted as pending (only an end of input closes it).</summary>
        public void Finish(long finalWatermark)
        {
            CloseDue(finalWatermark);
            foreach (var session in _open.Values.SelectMany(s => s).OrderBy(s => s.Start)) Emit(session, pending: true);
            _open.Clear();
        }

        private void CloseDue(long watermark)
        {
            while (_due.TryPeek(out var session, out var queuedDue) && queuedDue <= watermark)
            {
                _due.Dequeue();
                if (session.Merged || !_open.TryGetValue(session.Key, out var list) || !list.Contains(session)) continue;
                var due = session.Last + r._gapMs + r._latenessMs;
                if (due > watermark)
                {
                    if (due != queuedDue) _due.Enqueue(session, due);
                    continue;
                }
                list.Remove(session);
                if (list.Count == 0) _open.Remove(session.Key);
                _lastClosed[session.Key] = session;
                Emit(session, pending: false);
            }
        }

        private void Emit(Session s, bool pending)
        {
            var events = s.Events;
            // First and last by event time; among equal times the earlier arrival is first and the later one last.
            var first = events.MinBy(h => (h.Event.Timestamp, h.Arrival));
            var withPage = events.Where(h => h.Event.Event.PageUrl is not null).ToList();
            var landing = withPage.Count == 0 ? null : withPage.MinBy(h => (h.Event.Timestamp, h.Arrival)).Event.Event.PageUrl;
            var exit = withPage.Count == 0 ? null : withPage.MaxBy(h => (h.Event.Timestamp, h.Arrival)).Event.Event.PageUrl;
            var purchases = events.Count(h => h.Event.EventType == EventType.Purchase);
            var cartAdds = events.Count(h => h.Event.EventType == EventType.AddToCart);
            var summary = new SessionSummary(
                s.Key, events.Select(h => h.Event.Event.UserId).FirstOrDefault(u => u is not null), first.Event.Event.SessionId, partition,
                s.Start, s.Last, s.Last - s.Start, events.Count, events.Count(h => h.Event.EventType == EventType.PageView), cartAdds, purchases,
                events.Sum(h => h.Event.RevenueCents), Converted: purchases > 0, AbandonedCart: cartAdds > 0 && purchases == 0, landing, exit);
            var key = new ArrayBufferWriter<byte>(64);
            RecordKeys.Write(summary.RecordKey, key);
            var json = new ArrayBufferWriter<byte>(512);
            ClickstreamJson.Write(summary, json);
            outputs[ClickstreamOutput.Sessions].Add(new OutputRecord(key.WrittenSpan.ToArray(), json.WrittenSpan.ToArray(), pending));
        }
    }

    private readonly record struct Hit(EnrichedEvent Event, long Arrival);

    private sealed class Session(string key, long start)
    {
        public string Key { get; } = key;
        public long Start { get; private set; } = start;
        public long Last { get; private set; } = start;
        public List<Hit> Events { get; } = [];
        public bool Merged { get; private set; }

        public void Add(in EnrichedEvent e, long arrival)
        {
            Events.Add(new Hit(e, arrival));
            Start = Math.Min(Start, e.Timestamp);
            Last = Math.Max(Last, e.Timestamp);
        }

        public void Absorb(Session other)
        {
            Events.AddRange(other.Events);
            Start = Math.Min(Start, other.Start);
            Last = Math.Max(Last, other.Last);
            other.Merged = true;
        }
    }
}
