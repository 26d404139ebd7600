using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Sluice.Core.Errors;

namespace Sluice.Kafka;

/// <summary>A transactional call librdkafka refused, with what it says may be done next.</summary>
public sealed class KafkaTransactionException : SluiceException
{
    public KafkaTransactionException(string message, bool isFatal, bool isRetriable, bool requiresAbort)
        : base(message, isTransient: !isFatal)
    {
        IsFatal = isFatal;
        IsRetriable = isRetriable;
        RequiresAbort = requiresAbort;
    }

    public KafkaTransactionException() : this("a Kafka transaction failed", false, false, false) { }

    public KafkaTransactionException(string message) : this(message, false, false, false) { }

    public KafkaTransactionException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The producer can do nothing more (fenced by a newer instance with the same transactional.id, or lost its epoch): replace it.</summary>
    public bool IsFatal { get; }

    /// <summary>The same call may succeed if made again.</summary>
    public bool IsRetriable { get; }

    /// <summary>The transaction cannot commit; abort it, and the records produced in it are discarded.</summary>
    public bool RequiresAbort { get; }
}

// Transactions on the producer handle (rdkafka.h): init once, then begin → produce → send offsets → commit, or abort.
// Set transactional.id in the configuration to use them; the same handle and zero-allocation produce path serve both modes.
public sealed unsafe partial class RecordProducer
{
    /// <summary>Registers the transactional.id with the broker, fencing any older producer with the same id and aborting its open transaction.</summary>
    public void InitTransactions(TimeSpan timeout) => Check(RdKafkaNative.InitTransactions(_rk, Ms(timeout)), "initialising transactions");

    /// <summary>Starts a transaction: every record produced until <see cref="CommitTransaction"/> or <see cref="AbortTransaction"/> belongs to it.</summary>
    public void BeginTransaction() => Check(RdKafkaNative.BeginTransaction(_rk), "beginning a transaction");

    /// <summary>Adds consumed positions (the next offset to read) of <paramref name="group"/> to the open transaction: they are committed with it, or not at all.</summary>
    /// <param name="offsets">Next offsets to read, per partition.</param>
    /// <param name="group">The consuming consumer's <see cref="IConsumer{TKey,TValue}.ConsumerGroupMetadata"/> (group, generation, member), so a zombie member is fenced.</param>
    /// <param name="timeout">How long to wait for the broker.</param>
    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata group, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(group);
        if (group.GetType().FullName != MetadataType || SerializedMetadata(group) is not { Length: > 0 } bytes)
            throw new ArgumentException("the group metadata must come from IConsumer.ConsumerGroupMetadata", nameof(group));
        var list = RdKafkaNative.PartitionListNew(8);
        var cgmd = IntPtr.Zero;
        try
        {
            foreach (var o in offsets)
            {
                RdKafkaNative.PartitionListAdd(list, o.Topic, o.Partition.Value);
                RdKafkaNative.PartitionListSetOffset(list, o.Topic, o.Partition.Value, o.Offset.Value);
            }
            fixed (byte* p = bytes) Check(RdKafkaNative.GroupMetadataRead(&cgmd, p, (nuint)bytes.Length), "reading the consumer group metadata");
            Check(RdKafkaNative.SendOffsetsToTransaction(_rk, list, cgmd, Ms(timeout)), "sending offsets to the transaction");
        }
        finally
        {
            if (cgmd != IntPtr.Zero) RdKafkaNative.GroupMetadataDestroy(cgmd);
            RdKafkaNative.PartitionListDestroy(list);
        }
    }

    /// <summary>Flushes and commits the open transaction: its records become visible to read_committed consumers and its offsets committed, together.</summary>
    public void CommitTransaction(TimeSpan timeout) => Check(RdKafkaNative.CommitTransaction(_rk, Ms(timeout)), "committing the transaction");

    /// <summary>Aborts the open transaction: its records are never shown to read_committed consumers and its offsets are not committed.</summary>
    public void AbortTransaction(TimeSpan timeout) => Check(RdKafkaNative.AbortTransaction(_rk, Ms(timeout)), "aborting the transaction");

    // Confluent.Kafka keeps the metadata serialised by librdkafka (rd_kafka_consumer_group_metadata_write) in an
    // internal field and reads it back the same way; this handle is a different rd_kafka_t of the same library.
    // The class is internal too, hence the type by name (checked above).
    private const string MetadataType = "Confluent.Kafka.ConsumerGroupMetadata";

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "serializedMetadata")]
    private static extern ref byte[] SerializedMetadata([UnsafeAccessorType(MetadataType + ", Confluent.Kafka")] object metadata);

    private static int Ms(TimeSpan timeout) => (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);

    private void Check(IntPtr error, string what)
    {
        if (error == IntPtr.Zero) return;
        var code = RdKafkaNative.ErrorCode(error);
        var text = Marshal.PtrToStringUTF8(RdKafkaNative.ErrorString(error)) ?? RdKafkaNative.ErrorText(code);
        var fatal = RdKafkaNative.ErrorIsFatal(error) != 0;
        var retriable = RdKafkaNative.ErrorIsRetriable(error) != 0;
        var abort = RdKafkaNative.ErrorTxnRequiresAbort(error) != 0;
        RdKafkaNative.ErrorDestroy(error);
        if (fatal) _fatal = true;
        throw new KafkaTransactionException($"Kafka refused {what}: {text}{(fatal ? " (fatal: the producer must be replaced)" : "")}", fatal, retriable, abort);
    }
}
