using System.Runtime.InteropServices;

namespace Sluice.Kafka;

/// <summary>P/Invoke declarations of the librdkafka calls Sluice makes itself (rdkafka.h): client lifecycle for the embedded broker, and producing and transactions for <see cref="RecordProducer"/>.</summary>
internal static partial class RdKafkaNative
{
    private const string Lib = "librdkafka";

    public const int RdKafkaProducer = 0;
    public const int ErrNoError = 0;
    public const int ErrFatal = -150;
    public const int ErrQueueFull = -184;
    public const int ErrTimedOut = -185;
    public const int MsgFlagCopy = 0x2;

    /// <summary><c>rd_kafka_vtype_t</c>.</summary>
    public enum VType
    {
        End = 0,
        Rkt = 2,
        Value = 4,
        Key = 5,
        MsgFlags = 7,
        Timestamp = 8,
        Header = 9,
    }

    /// <summary><c>rd_kafka_vu_t</c>: the type, then a 64-byte union (<c>_pad[64]</c>) aligned to 8.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    public struct Vu
    {
        [FieldOffset(0)] public VType Type;
        [FieldOffset(8)] public IntPtr Ptr;
        [FieldOffset(8)] public long I64;
        [FieldOffset(8)] public int I32;
        [FieldOffset(16)] public nint Size;
        [FieldOffset(16)] public IntPtr HeaderValue;
        [FieldOffset(24)] public nint HeaderSize;
    }

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_new")]
    public static partial IntPtr ConfNew();

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_destroy")]
    public static partial void ConfDestroy(IntPtr conf);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(IntPtr conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_set_dr_msg_cb")]
    public static partial void ConfSetDeliveryCallback(IntPtr conf, IntPtr callback);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_set_error_cb")]
    public static partial void ConfSetErrorCallback(IntPtr conf, IntPtr callback);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_set_log_cb")]
    public static partial void ConfSetLogCallback(IntPtr conf, IntPtr callback);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_set_opaque")]
    public static partial void ConfSetOpaque(IntPtr conf, IntPtr opaque);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_opaque")]
    public static partial IntPtr Opaque(IntPtr rk);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_new")]
    public static partial IntPtr KafkaNew(int type, IntPtr conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_destroy")]
    public static partial void KafkaDestroy(IntPtr rk);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_topic_new", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr TopicNew(IntPtr rk, string topic, IntPtr conf);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_topic_destroy")]
    public static partial void TopicDestroy(IntPtr rkt);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_topic_name")]
    public static partial IntPtr TopicName(IntPtr rkt);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_produceva")]
    public static unsafe partial IntPtr ProduceVa(IntPtr rk, Vu* vus, nuint count);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_error_code")]
    public static partial int ErrorCode(IntPtr error);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_error_string")]
    public static partial IntPtr ErrorString(IntPtr error);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_error_destroy")]
    public static partial void ErrorDestroy(IntPtr error);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_poll")]
    public static partial int Poll(IntPtr rk, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_flush")]
    public static partial int Flush(IntPtr rk, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_outq_len")]
    public static partial int OutQueueLength(IntPtr rk);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_error_is_fatal")]
    public static partial int ErrorIsFatal(IntPtr error);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_error_is_retriable")]
    public static partial int ErrorIsRetriable(IntPtr error);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_error_txn_requires_abort")]
    public static partial int ErrorTxnRequiresAbort(IntPtr error);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_init_transactions")]
    public static partial IntPtr InitTransactions(IntPtr rk, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_begin_transaction")]
    public static partial IntPtr BeginTransaction(IntPtr rk);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_send_offsets_to_transaction")]
    public static partial IntPtr SendOffsetsToTransaction(IntPtr rk, IntPtr offsets, IntPtr groupMetadata, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_commit_transaction")]
    public static partial IntPtr CommitTransaction(IntPtr rk, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_abort_transaction")]
    public static partial IntPtr AbortTransaction(IntPtr rk, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_topic_partition_list_new")]
    public static partial IntPtr PartitionListNew(int size);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_topic_partition_list_add", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr PartitionListAdd(IntPtr list, string topic, int partition);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_topic_partition_list_set_offset", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int PartitionListSetOffset(IntPtr list, string topic, int partition, long offset);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_topic_partition_list_destroy")]
    public static partial void PartitionListDestroy(IntPtr list);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_consumer_group_metadata_read")]
    public static unsafe partial IntPtr GroupMetadataRead(IntPtr* groupMetadata, byte* buffer, nuint size);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_consumer_group_metadata_destroy")]
    public static partial void GroupMetadataDestroy(IntPtr groupMetadata);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_err2str")]
    public static partial IntPtr ErrToString(int err);

    public static string ErrorText(int err) => Marshal.PtrToStringUTF8(ErrToString(err)) ?? $"error {err}";
}
