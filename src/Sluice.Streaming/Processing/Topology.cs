using Sluice.Streaming.State;

namespace Sluice.Streaming.Processing;

/// <summary>A processing graph, instantiated once per task so that every task owns its processors and state.</summary>
public interface ITopology
{
    /// <summary>A short name for logs and metrics.</summary>
    string Name { get; }

    /// <summary>The topics the topology reads; a task gets the same partition number of each.</summary>
    IReadOnlyList<string> SourceTopics { get; }

    /// <summary>The source topics read as tables (changelogs such as CDC): their records go to the task of their partition,
    /// as every source topic's do, but take no part in its watermark, so a table that changes rarely never holds the
    /// event-time windows back.</summary>
    IReadOnlyList<string> TableTopics => [];

    /// <summary>Where <see cref="IProcessorContext.DeadLetter"/> sends records.</summary>
    string DeadLetterTopic { get; }

    /// <summary>Creates the processors and stores of one task.</summary>
    TaskTopology Build(TaskId taskId);
}

/// <summary>One task's instance of a topology: the source processor that receives raw records, every processor, every store.</summary>
public sealed class TaskTopology
{
    internal TaskTopology(IProcessor<byte[]?, byte[]> source, IReadOnlyList<IProcessor> processors, IReadOnlyList<IStateStore> stores)
    {
        Source = source;
        Processors = processors;
        Stores = stores;
    }

    /// <summary>Receives each consumed record: key and value bytes, the broker timestamp, the source position.</summary>
    public IProcessor<byte[]?, byte[]> Source { get; }

    /// <summary>Every processor, in registration order (the order of Init and of watermark callbacks).</summary>
    public IReadOnlyList<IProcessor> Processors { get; }

    public IReadOnlyList<IStateStore> Stores { get; }
}

/// <summary>Collects a task's processors and stores while a topology wires them, then seals them into a <see cref="TaskTopology"/>.</summary>
/// <remarks>Register a processor before the processors that forward to it; watermark callbacks run in registration order.</remarks>
public sealed class TaskTopologyBuilder
{
    private readonly List<IProcessor> _processors = [];
    private readonly List<IStateStore> _stores = [];

    /// <summary>Registers a processor (it gets Init, Close and, if it listens, watermark callbacks) and returns it.</summary>
    public T Add<T>(T processor) where T : class, IProcessor
    {
        ArgumentNullException.ThrowIfNull(processor);
        _processors.Add(processor);
        return processor;
    }

    /// <summary>Registers a state store and returns it.</summary>
    public T Store<T>(T store) where T : class, IStateStore
    {
        ArgumentNullException.ThrowIfNull(store);
        foreach (var s in _stores)
            if (s.Name == store.Name) throw new ArgumentException($"a state store named '{store.Name}' is already registered", nameof(store));
        _stores.Add(store);
        return store;
    }

    public TaskTopology Build(IProcessor<byte[]?, byte[]> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!_processors.Contains(source)) _processors.Add(source);
        return new TaskTopology(source, _processors.ToArray(), _stores.ToArray());
    }
}

/// <summary>A processor that writes every record it receives to an output topic through the task's collector.</summary>
public sealed class SinkProcessor<TKey, TValue>(string topic) : IProcessor<TKey, TValue>
{
    private IRecordSender<TKey, TValue> _sender = null!;
    private Counter _sent = null!;

    public string Topic { get; } = topic;

    public void Init(IProcessorContext context)
    {
        _sender = context.Collector.SenderFor<TKey, TValue>(Topic);
        _sent = context.Metrics.Counter("records_out." + Topic);
    }

    public void Process(in Record<TKey, TValue> record)
    {
        _sent.Increment();
        _sender.Send(record);
    }

    public void Close()
    {
    }
}
