using Sluice.Streaming.State;

namespace Sluice.Streaming.Processing;

/// <summary>One step of a topology: initialised once per task, fed records one at a time, closed when the task closes.</summary>
/// <remarks>
/// Processors forward to the next processor they were built with; a processor is used by one task, on one
/// thread, so it needs no locking. Modelled on Kafka Streams' <c>Processor</c>.
/// </remarks>
public interface IProcessor<TKey, TValue> : IProcessor
{
    /// <summary>Handles one record.</summary>
    void Process(in Record<TKey, TValue> record);
}

/// <summary>The lifecycle half of a processor, independent of the record types it handles.</summary>
public interface IProcessor
{
    /// <summary>Called once before the first record; the context lives as long as the task.</summary>
    void Init(IProcessorContext context);

    /// <summary>Releases resources; open windows are not emitted (their state belongs to the partition, not the process).</summary>
    void Close();
}

/// <summary>A processor that acts when the task's watermark advances (window operators fire here).</summary>
/// <remarks>
/// Like an event-time timer service: the task calls a listener only once the watermark reaches the time the
/// listener asked for, by its return value or by <see cref="IProcessorContext.RequestWatermarkCallback"/> while
/// processing a record, so a watermark that rises on every record costs one comparison, not a call per operator.
/// </remarks>
public interface IWatermarkListener
{
    /// <summary>Called after the task watermark rose to <paramref name="watermark"/>, before the next record.</summary>
    /// <returns>
    /// The watermark at which the listener next has work (<see cref="Time.EventTime.EndOfTime"/> when it holds
    /// nothing). A call answers every request made before it, so this must cover all the state still pending.
    /// </returns>
    long OnWatermark(long watermark);
}

/// <summary>What a processor sees of its task: identity, time, state stores, metrics and the outputs.</summary>
public interface IProcessorContext
{
    /// <summary>The task (one per partition number) this processor runs in.</summary>
    TaskId TaskId { get; }

    /// <summary>The task's event-time watermark: no record with an earlier timestamp is expected any more.</summary>
    long Watermark { get; }

    /// <summary>Processing time, epoch milliseconds UTC, from the task's clock.</summary>
    long NowMs { get; }

    /// <summary>The raw record currently being processed, as it was consumed.</summary>
    SourceRecord CurrentSource { get; }

    /// <summary>Counters for this task.</summary>
    StreamMetrics Metrics { get; }

    /// <summary>Where sink processors write.</summary>
    IRecordCollector Collector { get; }

    /// <summary>A state store registered with the task's topology, by name.</summary>
    T GetStateStore<T>(string name) where T : class, IStateStore;

    /// <summary>Tells the task the current record's event time, once it is known and trusted (after decoding and validation).</summary>
    /// <remarks>The watermark advances after the record has been processed; a record that reports nothing does not move it.</remarks>
    void ReportEventTime(long eventTimestamp);

    /// <summary>Asks for the watermark listeners to be called once the watermark reaches <paramref name="watermark"/> (state that falls due then).</summary>
    void RequestWatermarkCallback(long watermark);

    /// <summary>Routes the current source record to the dead-letter output with a stable reason code, and counts it.</summary>
    void DeadLetter(string reasonCode, string detail);
}

/// <summary>Receives every record the topology emits, by output topic.</summary>
/// <remarks>Generic so that an in-process collector can count or keep records without boxing or serialising them.</remarks>
public interface IRecordCollector
{
    void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record);

    /// <summary>A sender bound to one output topic and record type, asked for once per sink when its task starts.</summary>
    /// <remarks>
    /// Whatever depends only on the topic and the types (serialisers, topic handles, counters) is resolved here once
    /// instead of on every record, and the sink's per-record call is an ordinary interface call rather than a generic
    /// virtual one. The default forwards to <see cref="Send{TKey, TValue}"/>.
    /// </remarks>
    IRecordSender<TKey, TValue> SenderFor<TKey, TValue>(string topic) => new ForwardingSender<TKey, TValue>(this, topic);
}

/// <summary>Sends the records of one sink: a topic and its record type, bound by <see cref="IRecordCollector.SenderFor"/>.</summary>
public interface IRecordSender<TKey, TValue>
{
    void Send(in Record<TKey, TValue> record);
}

/// <summary>The default sender: the collector's generic <see cref="IRecordCollector.Send{TKey, TValue}"/> with the topic filled in.</summary>
internal sealed class ForwardingSender<TKey, TValue>(IRecordCollector collector, string topic) : IRecordSender<TKey, TValue>
{
    public void Send(in Record<TKey, TValue> record) => collector.Send(topic, record);
}

/// <summary>A processor told of every dead letter its task writes, with the reason, whichever processor (or the task itself) wrote it.</summary>
/// <remarks>
/// For operators that account for every input record (data quality): a dead letter is written through the task's
/// context, so no processor downstream of the one rejecting the record sees it. Called on the task's thread, while the
/// record is being processed or, for <see cref="Errors.StreamReasonCodes.ProcessingFailed"/>, just after a processor threw.
/// </remarks>
public interface IDeadLetterListener
{
    void OnDeadLetter(string reasonCode);
}
