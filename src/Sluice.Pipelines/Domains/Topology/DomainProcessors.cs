using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Domains.Topology;

/// <summary>Step 1: bytes to <see cref="DomainRecord"/> keyed by the event's key; undecodable payloads go to the dead letters with the decoder's reason.</summary>
public sealed class DomainDecodeProcessor(DomainRecordDecoder decoder, IProcessor<string, DomainRecord> next) : IProcessor<byte[]?, byte[]>
{
    private IProcessorContext _context = null!;

    public void Init(IProcessorContext context) => _context = context;

    public void Process(in Record<byte[]?, byte[]> record)
    {
        if (!decoder.TryDecode(record.Value, out var decoded, out var error))
        {
            _context.DeadLetter(error.ReasonCode, error.Detail);
            return;
        }
        next.Process(record.With(decoded!.Key, decoded));
    }

    public void Close()
    {
    }
}

/// <summary>Step 3: drops records whose id was seen within the dedup horizon, counting them in <c>duplicates</c>.</summary>
/// <remarks>The id is text of any length; its 128-bit XxHash128 (seed 0, the same in every process) is what the
/// <see cref="EventIdStore"/> remembers. Two different ids share a hash with odds of about n²/2¹²⁹: nil for the ids an
/// hour holds.</remarks>
public sealed class DomainDedupProcessor(string storeName, Func<DomainRecord, string?> id, IProcessor<string, DomainRecord> next)
    : IProcessor<string, DomainRecord>
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

    public void Process(in Record<string, DomainRecord> record)
    {
        _seen.AdvanceTime(_context.Watermark);
        if (!_seen.TryAdd(Hash(id(record.Value) ?? ""), record.Timestamp))
        {
            _duplicates.Increment();
            return;
        }
        next.Process(record);
    }

    public void Close()
    {
    }

    /// <summary>The id's UTF-8 bytes hashed to 128 bits, as a <see cref="Guid"/>.</summary>
    public static Guid Hash(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var max = Encoding.UTF8.GetMaxByteCount(id.Length);
        byte[]? rented = null;
        var bytes = max <= 512 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(id, bytes);
            Span<byte> hash = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128LittleEndian(hash, XxHash128.HashToUInt128(bytes[..length]));
            return new Guid(hash);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>Sends late records to the late output keyed by the record's own key, whatever the operator's key (a group).</summary>
public sealed class DomainLateRouter(IProcessor<string, LateRecord<DomainRecord>> sink) : IProcessor<string, LateRecord<DomainRecord>>
{
    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<string, LateRecord<DomainRecord>> record) => sink.Process(record.With(record.Value.Value.Key, record.Value));

    public void Close()
    {
    }
}

/// <summary>Turns an aggregate's window results into <see cref="AggregateRow"/>s: one per metric, the group as the dimension value.</summary>
public sealed class DomainRowEmitter<T>(CompiledAggregate<T> aggregate, IProcessor<AggregateRowKey, AggregateRow> sink)
    : IProcessor<string, WindowResult<string, DomainAccumulator>>
{
    private Action<string, double> _row = null!; // Row, made a delegate once
    private Action<string, string, string, double> _item = null!; // Item, likewise
    private Record<string, WindowResult<string, DomainAccumulator>> _current;
    private int _partition;

    public void Init(IProcessorContext context)
    {
        _partition = context.TaskId.Partition;
        _row = Row;
        _item = Item;
    }

    public void Process(in Record<string, WindowResult<string, DomainAccumulator>> record)
    {
        _current = record;
        aggregate.Emit(record.Value.Result, _row);
        aggregate.EmitItems(record.Value.Result, _item);
    }

    public void Close()
    {
    }

    // A top-k row: the field joins the dimension, its value the group's.
    private void Item(string metric, string field, string value, double count)
    {
        var w = _current.Value.Window;
        var all = aggregate.Dimension == "all";
        var row = new AggregateRow(aggregate.Name, w.Start, w.End, _partition, all ? field : $"{aggregate.Dimension},{field}",
            all ? value : $"{_current.Key}|{value}", metric, count);
        sink.Process(_current.With(new AggregateRowKey(row), row));
    }

    private void Row(string metric, double value)
    {
        var w = _current.Value.Window;
        var row = new AggregateRow(aggregate.Name, w.Start, w.End, _partition, aggregate.Dimension, _current.Key, metric, value);
        sink.Process(_current.With(new AggregateRowKey(row), row));
    }
}
