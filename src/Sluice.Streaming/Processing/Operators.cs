namespace Sluice.Streaming.Processing;

/// <summary>Forwards every record to several processors, in the given order.</summary>
/// <remarks>
/// The first four children are called from call sites of their own, each of which sees one processor type, so the
/// runtime's profile-guided devirtualisation can call (or inline) them directly; a loop over an array would be one
/// call site seeing every child's type, dispatched through a lookup stub on every record.
/// </remarks>
public sealed class FanOutProcessor<TKey, TValue> : IProcessor<TKey, TValue>
{
    private readonly IProcessor<TKey, TValue> _first;
    private readonly IProcessor<TKey, TValue>? _second, _third, _fourth;
    private readonly IProcessor<TKey, TValue>[] _rest;

    public FanOutProcessor(params IProcessor<TKey, TValue>[] children)
    {
        ArgumentNullException.ThrowIfNull(children);
        if (children.Length == 0) throw new ArgumentException("a fan-out needs at least one child", nameof(children));
        foreach (var child in children) ArgumentNullException.ThrowIfNull(child, nameof(children));
        _first = children[0];
        _second = children.Length > 1 ? children[1] : null;
        _third = children.Length > 2 ? children[2] : null;
        _fourth = children.Length > 3 ? children[3] : null;
        _rest = children.Length > 4 ? children[4..] : [];
    }

    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<TKey, TValue> record)
    {
        _first.Process(record);
        if (_second is null) return;
        _second.Process(record);
        if (_third is null) return;
        _third.Process(record);
        if (_fourth is null) return;
        _fourth.Process(record);
        foreach (var child in _rest) child.Process(record);
    }

    public void Close()
    {
    }
}

/// <summary>Re-keys records (within the task: no repartitioning) and forwards them.</summary>
public sealed class SelectKeyProcessor<TKeyIn, TKeyOut, TValue>(Func<TValue, TKeyOut> selector, IProcessor<TKeyOut, TValue> next)
    : IProcessor<TKeyIn, TValue>
{
    private readonly Func<TValue, TKeyOut> _selector = selector ?? throw new ArgumentNullException(nameof(selector));
    private readonly IProcessor<TKeyOut, TValue> _next = next ?? throw new ArgumentNullException(nameof(next));

    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<TKeyIn, TValue> record) => _next.Process(record.With(_selector(record.Value), record.Value));

    public void Close()
    {
    }
}

/// <summary>Sends the records of one source topic to their own branch and every other record on: a topology reading a table beside its events.</summary>
public sealed class TopicRouter<TKey, TValue>(string topic, IProcessor<TKey, TValue> matching, IProcessor<TKey, TValue> others) : IProcessor<TKey, TValue>
{
    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<TKey, TValue> record)
    {
        // Events are nearly every record: one reference test answers them while the table's topic string is interned.
        var t = record.Source.Topic;
        if (!ReferenceEquals(t, topic) && !string.Equals(t, topic, StringComparison.Ordinal)) others.Process(record);
        else matching.Process(record);
    }

    public void Close()
    {
    }
}
