using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Sluice.Core.Errors;
using Sluice.Streaming.Processing;

namespace Sluice.Streaming.Kafka;

/// <summary>Writes a value's bytes into <paramref name="output"/>, a buffer the caller reuses from one record to the next.</summary>
public delegate void BufferSerializer<in T>(T value, IBufferWriter<byte> output);

/// <summary>How keys and values of each type become bytes: one serialiser per type, looked up once per sink.</summary>
/// <remarks>Keys of type string, byte[], int, long and Guid are built in (UTF-8 text for the numbers and the id).</remarks>
public sealed class RecordSerializers
{
    private readonly Dictionary<Type, object> _byType = [];

    public RecordSerializers()
    {
        Register<string>(static (s, output) =>
        {
            var written = Encoding.UTF8.GetBytes(s, output.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length)));
            output.Advance(written);
        });
        Register<byte[]>(static (b, output) => output.Write(b));
        Register<int>(static (i, output) => Format(i, output));
        Register<long>(static (l, output) => Format(l, output));
        Register<Guid>(static (g, output) =>
        {
            Utf8Formatter.TryFormat(g, output.GetSpan(36), out var written);
            output.Advance(written);
        });
    }

    /// <summary>How values (and keys) of type <typeparamref name="T"/> become bytes, written into a buffer the caller reuses.</summary>
    public RecordSerializers Register<T>(BufferSerializer<T> serializer)
    {
        _byType[typeof(T)] = serializer ?? throw new ArgumentNullException(nameof(serializer));
        return this;
    }

    /// <summary>How values (and keys) of type <typeparamref name="T"/> become bytes, as a new array per record.</summary>
    public RecordSerializers Register<T>(Func<T, byte[]> serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        return Register<T>((value, output) => output.Write(serializer(value)));
    }

    /// <summary>Whether <typeparamref name="T"/> has a serialiser.</summary>
    public bool Has<T>() => _byType.ContainsKey(typeof(T));

    /// <summary>The serialiser of <typeparamref name="T"/>; a type without one is a wiring mistake, reported with the fix.</summary>
    public BufferSerializer<T> For<T>() =>
        _byType.TryGetValue(typeof(T), out var s)
            ? (BufferSerializer<T>)s
            : throw new SluiceException($"no serializer registered for {typeof(T).Name}; call Register<{typeof(T).Name}>(...) when wiring the topology");

    private static void Format(long value, IBufferWriter<byte> output)
    {
        Utf8Formatter.TryFormat(value, output.GetSpan(20), out var written);
        output.Advance(written);
    }
}

/// <summary>A record's key and value serialised into two buffers kept from one record to the next; one thread at a time.</summary>
public sealed class RecordBuffers
{
    // A buffer that grew for one huge record (a dead letter carrying a large payload) is not kept at that size.
    private const int MaxRetained = 256 * 1024;

    private ArrayBufferWriter<byte> _key = new(64);
    private ArrayBufferWriter<byte> _value = new(1024);

    /// <summary>The key's bytes from the last <see cref="Fill"/>.</summary>
    public ReadOnlySpan<byte> Key => _key.WrittenSpan;

    /// <summary>The value's bytes from the last <see cref="Fill"/> (empty for a null value).</summary>
    public ReadOnlySpan<byte> Value => _value.WrittenSpan;

    /// <summary>Serialises <paramref name="record"/>'s key and value; false when the key is null (no key, not an empty one).</summary>
    public bool Fill<TKey, TValue>(in Record<TKey, TValue> record, BufferSerializer<TKey> keySerializer, BufferSerializer<TValue> valueSerializer)
    {
        if (_key.Capacity > MaxRetained) _key = new ArrayBufferWriter<byte>(64);
        if (_value.Capacity > MaxRetained) _value = new ArrayBufferWriter<byte>(1024);
        _key.ResetWrittenCount();
        _value.ResetWrittenCount();
        if (record.Value is { } value) valueSerializer(value, _value);
        if (record.Key is not { } key) return false;
        keySerializer(key, _key);
        return true;
    }
}
