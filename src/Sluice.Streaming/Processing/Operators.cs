namespace Sluice.Streaming.Processing;

/// <summary>Forwards every record to several processors, in the given order.</summary>
public sealed class FanOutProcessor<TKey, TValue> : IProcessor<TKey, TValue>
{
    private readonly IProcessor<TKey, TValue>[] _children;

    public FanOutProcessor(params IProcessor<TKey, TValue>[] children)
    {
        ArgumentNullException.ThrowIfNull(children);
        if (children.Length == 0) throw new ArgumentException("a fan-out needs at least one child", nameof(children));
        _children = (IProcessor<TKey, TValue>[])children.Clone();
    }

    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<TKey, TValue> record)
    {
        foreach (var child in _children) child.Process(record);
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
