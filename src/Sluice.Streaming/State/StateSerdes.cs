namespace Sluice.Streaming.State;

/// <summary>Writes one value to a snapshot (see <see cref="StateSerdes.Create{T}"/>).</summary>
public delegate void SnapshotWrite<T>(SnapshotWriter writer, in T value);

/// <summary>Reads one value from a snapshot (see <see cref="StateSerdes.Create{T}"/>).</summary>
public delegate T SnapshotRead<T>(ref SnapshotReader reader);

/// <summary>Built-in <see cref="IStateSerde{T}"/>s for common key and value types, and the serde a store uses when given none.</summary>
public static class StateSerdes
{
    public static IStateSerde<int> Int32 { get; } = Create(static (SnapshotWriter w, in int v) => w.WriteVarInt32(v), static (ref SnapshotReader r) => r.ReadVarInt32());

    public static IStateSerde<long> Int64 { get; } = Create(static (SnapshotWriter w, in long v) => w.WriteVarInt64(v), static (ref SnapshotReader r) => r.ReadVarInt64());

    /// <summary>Strings, null included.</summary>
    public static IStateSerde<string> String { get; } = Create(static (SnapshotWriter w, in string v) => w.WriteString(v), static (ref SnapshotReader r) => r.ReadString()!);

    public static IStateSerde<Guid> Guid { get; } = Create(static (SnapshotWriter w, in Guid v) => w.WriteGuid(v), static (ref SnapshotReader r) => r.ReadGuid());

    public static IStateSerde<bool> Boolean { get; } = Create(static (SnapshotWriter w, in bool v) => w.WriteBoolean(v), static (ref SnapshotReader r) => r.ReadBoolean());

    /// <summary>Doubles, bit for bit.</summary>
    public static IStateSerde<double> Double { get; } = Create(static (SnapshotWriter w, in double v) => w.WriteDouble(v), static (ref SnapshotReader r) => r.ReadDouble());

    /// <summary>A serde from a pair of functions.</summary>
    public static IStateSerde<T> Create<T>(SnapshotWrite<T> write, SnapshotRead<T> read) =>
        new FunctionSerde<T>(write ?? throw new ArgumentNullException(nameof(write)), read ?? throw new ArgumentNullException(nameof(read)));

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

    /// <summary>A store's key and value serdes, or a <see cref="CheckpointException"/> saying which the store lacks.</summary>
    internal static (IStateSerde<TKey> Keys, IStateSerde<TValue> Values) Required<TKey, TValue>(
        IStateSerde<TKey>? keys, IStateSerde<TValue>? values, string store) =>
        (Required(keys, store, "keys"), Required(values, store, "values"));

    private sealed class FunctionSerde<T>(SnapshotWrite<T> write, SnapshotRead<T> read) : IStateSerde<T>
    {
        public void Write(SnapshotWriter writer, in T value) => write(writer, value);

        public T Read(ref SnapshotReader reader) => read(ref reader);
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
