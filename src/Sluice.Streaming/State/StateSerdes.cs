namespace Sluice.Streaming.State;

/// <summary>Built-in <see cref="IStateSerde{T}"/>s for common key and value types, and the serde a store uses when given none.</summary>
public static class StateSerdes
{
    public static IStateSerde<int> Int32 { get; } = new Int32Serde();

    public static IStateSerde<long> Int64 { get; } = new Int64Serde();

    /// <summary>Strings, null included.</summary>
    public static IStateSerde<string> String { get; } = new StringSerde();

    public static IStateSerde<Guid> Guid { get; } = new GuidSerde();

    public static IStateSerde<bool> Boolean { get; } = new BooleanSerde();

    /// <summary>Doubles, bit for bit.</summary>
    public static IStateSerde<double> Double { get; } = new DoubleSerde();

    /// <summary>The built-in serde for <typeparamref name="T"/>, or null when there is none (the store's owner must pass one).</summary>
    public static IStateSerde<T>? Default<T>() =>
        (typeof(T) == typeof(int) ? Int32
        : typeof(T) == typeof(long) ? Int64
        : typeof(T) == typeof(string) ? String
        : typeof(T) == typeof(Guid) ? Guid
        : typeof(T) == typeof(bool) ? Boolean
        : typeof(T) == typeof(double) ? (object)Double
        : null) as IStateSerde<T>;

    /// <summary>A dictionary as its count then its entries, in enumeration order; read back in that order.</summary>
    public static IStateSerde<Dictionary<TKey, TValue>> Dictionary<TKey, TValue>(
        IStateSerde<TKey> keys, IStateSerde<TValue> values, IEqualityComparer<TKey>? comparer = null) where TKey : notnull =>
        new DictionarySerde<TKey, TValue>(keys ?? throw new ArgumentNullException(nameof(keys)), values ?? throw new ArgumentNullException(nameof(values)), comparer);

    /// <summary>The serde of a store's keys or values, or a <see cref="CheckpointException"/> saying which store needs one.</summary>
    internal static IStateSerde<T> Required<T>(IStateSerde<T>? serde, string store, string what) =>
        serde ?? throw new CheckpointException(store,
            $"no serde for its {what} of type {typeof(T).Name}: pass an IStateSerde<{typeof(T).Name}> when the store is built",
            "Fix the topology; this is a programming error, not a problem with the data.");

    private sealed class Int32Serde : IStateSerde<int>
    {
        public void Write(SnapshotWriter writer, in int value) => writer.WriteVarInt32(value);

        public int Read(ref SnapshotReader reader) => reader.ReadVarInt32();
    }

    private sealed class Int64Serde : IStateSerde<long>
    {
        public void Write(SnapshotWriter writer, in long value) => writer.WriteVarInt64(value);

        public long Read(ref SnapshotReader reader) => reader.ReadVarInt64();
    }

    private sealed class StringSerde : IStateSerde<string>
    {
        public void Write(SnapshotWriter writer, in string value) => writer.WriteString(value);

        public string Read(ref SnapshotReader reader) => reader.ReadString()!;
    }

    private sealed class GuidSerde : IStateSerde<Guid>
    {
        public void Write(SnapshotWriter writer, in Guid value) => writer.WriteGuid(value);

        public Guid Read(ref SnapshotReader reader) => reader.ReadGuid();
    }

    private sealed class BooleanSerde : IStateSerde<bool>
    {
        public void Write(SnapshotWriter writer, in bool value) => writer.WriteBoolean(value);

        public bool Read(ref SnapshotReader reader) => reader.ReadBoolean();
    }

    private sealed class DoubleSerde : IStateSerde<double>
    {
        public void Write(SnapshotWriter writer, in double value) => writer.WriteDouble(value);

        public double Read(ref SnapshotReader reader) => reader.ReadDouble();
    }

    private sealed class DictionarySerde<TKey, TValue>(IStateSerde<TKey> keys, IStateSerde<TValue> values, IEqualityComparer<TKey>? comparer)
        : IStateSerde<Dictionary<TKey, TValue>> where TKey : notnull
    {
        public void Write(SnapshotWriter writer, in Dictionary<TKey, TValue> value)
        {
            writer.WriteCount(value.Count);
            foreach (var (k, v) in value)
            {
                keys.Write(writer, k);
                values.Write(writer, v);
            }
        }

        public Dictionary<TKey, TValue> Read(ref SnapshotReader reader)
        {
            var count = reader.ReadCount();
            var map = new Dictionary<TKey, TValue>(count, comparer);
            for (var i = 0; i < count; i++)
            {
                var k = keys.Read(ref reader);
                if (!map.TryAdd(k, values.Read(ref reader))) reader.Fail($"duplicate key '{k}'");
            }
            return map;
        }
    }
}
