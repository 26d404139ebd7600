using Sluice.Core.Events;
using Sluice.Streaming.Processing;
using Sluice.Streaming.Time;

namespace Sluice.Pipelines.Quality;

/// <summary>Follows each input record through the topology and, once it is processed, feeds its one outcome to the quality window.</summary>
/// <remarks>
/// <para>The probe is the topology's source: it wraps the decoder, so it sees every record in, and the outcome taps
/// (<see cref="QualityTap{TValue}"/>) placed between the stages mark how far each record got: valid (before
/// deduplication; a duplicate stops there), new (after it), bot, late. Dead letters, written through the task's
/// context rather than passed on, reach it as an <see cref="IDeadLetterListener"/>, with their reason. After the record
/// the last mark is its outcome, so each record counts exactly once.</para>
/// <para>Which window: a valid record's event time. A dead letter's event time when it was decoded with a usable one
/// (positive, and at most the future skew ahead of processing time: a price or a field failed validation, not the time);
/// else its broker timestamp when usable; else the watermark (processing time before there is one). A record whose
/// window has already closed (late events, old dead letters) counts in the window holding the watermark: the window
/// open when it arrived. So no record is left out and each window is still emitted once.</para>
/// </remarks>
public sealed class QualityProbe : IProcessor<byte[]?, byte[]>, IDeadLetterListener
{
    /// <summary>The reason a record is counted invalid when it left the topology with no outcome and no dead letter.</summary>
    public const string NotRouted = "not_routed";

    private IProcessor<byte[]?, byte[]> _next = null!;
    private readonly IProcessor<int, QualityObservation> _window;
    private readonly long _sizeMs;
    private readonly long _latenessMs;
    private readonly long _maxFutureSkewMs;
    private IProcessorContext _context = null!;
    private int _partition;

    // The record in progress.
    private bool _pending;
    private bool _marked;
    private QualityOutcome _outcome;
    private ClickEvent? _event;
    private long _eventTime;
    private long _decodedTime;
    private bool _decoded;
    private string? _reason;
    private long _brokerTime;
    private RecordSource _source;

    /// <summary>A probe feeding <paramref name="window"/>, whose windows are <paramref name="size"/> with <paramref name="lateness"/>; put it in front of the decoder with <see cref="Around"/>.</summary>
    public QualityProbe(IProcessor<int, QualityObservation> window, TimeSpan size, TimeSpan lateness, TimeSpan maxFutureSkew)
    {
        _window = window ?? throw new ArgumentNullException(nameof(window));
        _sizeMs = (long)size.TotalMilliseconds;
        if (_sizeMs <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, "must be positive");
        _latenessMs = (long)lateness.TotalMilliseconds;
        _maxFutureSkewMs = (long)maxFutureSkew.TotalMilliseconds;
    }

    /// <summary>Makes <paramref name="source"/> (the decoder, the topology's first step) the processor every record goes to; returns the probe, the new source.</summary>
    public QualityProbe Around(IProcessor<byte[]?, byte[]> source)
    {
        _next = source ?? throw new ArgumentNullException(nameof(source));
        return this;
    }

    public void Init(IProcessorContext context)
    {
        if (_next is null) throw new InvalidOperationException("the quality probe was never put in front of the topology's source (Around)");
        _context = context;
        _partition = context.TaskId.Partition;
    }

    public void Process(in Record<byte[]?, byte[]> record)
    {
        _pending = true;
        _marked = false;
        _decoded = false;
        _event = null;
        _reason = null;
        _brokerTime = record.Timestamp;
        _source = record.Source;
        try
        {
            _next.Process(record);
        }
        catch
        {
            // The task dead-letters the record with processing_failed next; that is its outcome, whatever was marked.
            _pending = false;
            throw;
        }
        _pending = false;
        if (!_marked) Observe(QualityOutcome.Invalid, null, 0, NotRouted);
        else if (_outcome == QualityOutcome.Invalid) Observe(QualityOutcome.Invalid, null, 0, _reason);
        else Observe(_outcome, _event, _eventTime, null);
    }

    /// <summary>The events topic whose records the probe accounts for; dead letters of other source topics (user changes) are not
    /// events and count in no quality window. Null: every dead letter counts.</summary>
    public string? InputTopic { get; init; }

    public void OnDeadLetter(string reasonCode)
    {
        if (!_pending && InputTopic is not null && !string.Equals(_context.CurrentSource.Topic, InputTopic, StringComparison.Ordinal)) return;
        if (_pending)
        {
            Mark(QualityOutcome.Invalid);
            _reason ??= reasonCode;
            return;
        }
        Observe(QualityOutcome.Invalid, null, 0, reasonCode);
    }

    public void Close()
    {
    }

    /// <summary>A decoded event, before validation: if it is dead-lettered, its own time places it when usable.</summary>
    internal void MarkDecoded(ClickEvent e)
    {
        _decodedTime = e.Timestamp;
        _decoded = true;
    }

    /// <summary>A valid event, before deduplication: its outcome is duplicate unless a later tap says more.</summary>
    internal void MarkValid(ClickEvent e, long eventTime)
    {
        if (_marked && _outcome == QualityOutcome.Invalid) return;
        _event = e;
        _eventTime = eventTime;
        Mark(QualityOutcome.Duplicate);
    }

    internal void Mark(QualityOutcome outcome)
    {
        // A dead letter is final: nothing after it changes the record's outcome.
        if (_marked && _outcome == QualityOutcome.Invalid) return;
        _outcome = outcome;
        _marked = true;
    }

    private void Observe(QualityOutcome outcome, ClickEvent? e, long eventTime, string? reason)
    {
        var now = _context.NowMs;
        var time = outcome == QualityOutcome.Invalid ? DeadLetterTime(now, _decoded) : eventTime;
        var lag = outcome == QualityOutcome.Accepted ? now - eventTime : 0;
        var observation = new QualityObservation(outcome, outcome == QualityOutcome.Invalid ? null : e, reason, lag);
        _window.Process(new Record<int, QualityObservation>(_partition, observation, OpenWindowTime(time), _source));
    }

    private long DeadLetterTime(long now, bool decoded)
    {
        var latest = EventTime.Add(now, _maxFutureSkewMs);
        if (decoded && _decodedTime > 0 && _decodedTime <= latest) return _decodedTime;
        if (_brokerTime > 0 && _brokerTime <= latest) return _brokerTime;
        var watermark = _context.Watermark;
        return watermark == EventTime.NoWatermark ? now : watermark;
    }

    // The window of `time`, or the one holding the watermark when that has closed (the window operator's own test).
    private long OpenWindowTime(long time)
    {
        var watermark = _context.Watermark;
        if (watermark == EventTime.NoWatermark) return time;
        var end = EventTime.Add(EventTime.FloorTo(time, _sizeMs), _sizeMs);
        return EventTime.Add(end, _latenessMs) <= watermark ? watermark : time;
    }
}
