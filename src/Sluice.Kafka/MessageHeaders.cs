using System.Text;

namespace Sluice.Kafka;

/// <summary>The headers of one message for <see cref="RecordProducer.Produce(string, ReadOnlySpan{byte}, bool, ReadOnlySpan{byte}, long, MessageHeaders?)"/>, in one reusable buffer.</summary>
/// <remarks>
/// Names are stored NUL-terminated, as librdkafka reads them, and values beside them, so a message's headers are one
/// pinned buffer for the native call and nothing is allocated per message once the buffer has grown. Clear and refill
/// the same instance for the next message; not thread-safe.
/// </remarks>
public sealed class MessageHeaders
{
    private byte[] _bytes = new byte[256];
    private int _length;
    private readonly List<(int Name, int Value, int Length)> _entries = [];

    /// <summary>Headers added since the last <see cref="Clear"/>.</summary>
    public int Count => _entries.Count;

    internal byte[] Bytes => _bytes;

    /// <summary>Adds a header; a null value is kept as null, distinct from an empty one.</summary>
    public void Add(string name, ReadOnlySpan<byte> value, bool isNull = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('\0', StringComparison.Ordinal)) throw new ArgumentException("a header name cannot contain a NUL character", nameof(name));
        var nameLength = Encoding.UTF8.GetByteCount(name);
        Reserve(nameLength + 1 + value.Length);
        var nameAt = _length;
        _length += Encoding.UTF8.GetBytes(name, _bytes.AsSpan(_length));
        _bytes[_length++] = 0;
        var valueAt = _length;
        value.CopyTo(_bytes.AsSpan(_length));
        _length += value.Length;
        _entries.Add(isNull ? (nameAt, -1, 0) : (nameAt, valueAt, value.Length));
    }

    /// <summary>Adds a header whose value is null when <paramref name="value"/> is.</summary>
    public void Add(string name, byte[]? value) => Add(name, value, value is null);

    /// <summary>Forgets every header, keeping the buffer.</summary>
    public void Clear()
    {
        _entries.Clear();
        _length = 0;
    }

    /// <summary>Where header <paramref name="index"/>'s name and value are in <see cref="Bytes"/>; the value offset is -1 for null.</summary>
    internal (int Name, int Value, int Length) Entry(int index) => _entries[index];

    private void Reserve(int more)
    {
        if (_length + more <= _bytes.Length) return;
        Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + more));
    }
}
