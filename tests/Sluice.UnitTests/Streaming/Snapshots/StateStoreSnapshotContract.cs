using System.Text;
using Sluice.Core.Events;
using Sluice.Streaming.State;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming.Snapshots;

/// <summary>What every state store must do with snapshots, run against each store through a factory.</summary>
/// <remarks>
/// A store restored from a snapshot must be indistinguishable from the one that wrote it: same contents, the same
/// answers to every later operation (expiry, evictions at the limit, which window or session comes first, ties
/// included), and a snapshot of the same bytes. Counters are not in snapshots, so evictions are compared as
/// counts since the snapshot.
/// </remarks>
public abstract class StateStoreSnapshotContract<TStore> where TStore : class, IStateStore
{
    protected static readonly string[] EdgeKeys = ["", "u1", "ünïcødé", "日本語", "emoji 😀", "a|b=c", new string('x', 300)];

    protected static readonly long[] EdgeTimes = [long.MinValue, long.MinValue + 1, -1, 0, 1, 1_767_225_600_000, long.MaxValue - 1, long.MaxValue];

    /// <summary>A new, empty store of the kind under test.</summary>
    protected abstract TStore Create();

    /// <summary>Puts many entries in, edge values among them.</summary>
    protected abstract void Fill(TStore store, Random random);

    /// <summary>One random operation of the store's own kind, at event time <paramref name="clock"/> (which it may move on); returns what an observer would see of it.</summary>
    protected abstract string Operate(TStore store, Random random, ref long clock);

    /// <summary>Every entry, as text.</summary>
    protected abstract string Contents(TStore store);

    [Fact]
    public void an_empty_store_survives_a_round_trip()
    {
        var store = Create();
        var restored = Restore(Snapshot(store));
        Assert.Equal(0, restored.Count);
        Assert.Equal(Snapshot(store), Snapshot(restored));
    }

    [Fact]
    public void a_store_with_many_entries_and_edge_values_survives_a_round_trip()
    {
        var store = Create();
        Fill(store, new Random(1));
        Assert.True(store.Count > 100, $"only {store.Count} entries");

        var restored = Restore(Snapshot(store));

        Assert.Equal(store.Count, restored.Count);
        Assert.Equal(Contents(store), Contents(restored));
        Assert.Equal(Snapshot(store), Snapshot(restored));
    }

    [Fact]
    public void a_restored_store_answers_every_later_operation_as_the_original_does()
    {
        var store = Create();
        Fill(store, new Random(2));
        var restored = Restore(Snapshot(store));
        var evictedBefore = store.Evicted;

        var a = new Random(3);
        var b = new Random(3);
        long clockA = Now, clockB = Now;
        for (var i = 0; i < 3_000; i++)
        {
            var expected = Operate(store, a, ref clockA);
            var actual = Operate(restored, b, ref clockB);
            Assert.True(expected == actual, $"operation {i}: the original saw {expected}, the restored store {actual}");
            Assert.Equal(store.Count, restored.Count);
        }
        Assert.Equal(store.Evicted - evictedBefore, restored.Evicted);
        // Contents, not bytes: a hash table's enumeration order follows its history, which a restore does not replay.
        Assert.Equal(Contents(store), Contents(restored));
    }

    [Fact]
    public void a_truncated_snapshot_or_one_with_a_flipped_byte_is_refused_naming_the_store()
    {
        var store = Create();
        Fill(store, new Random(4));
        var snapshot = Snapshot(store);

        var truncated = Assert.Throws<CheckpointException>(() => Restore(snapshot[..^5]));
        Assert.Equal(store.Name, truncated.Section);
        Assert.Contains(store.Name, truncated.Message, StringComparison.Ordinal);

        for (var at = snapshot.Length / 3; at < snapshot.Length; at += snapshot.Length / 3)
        {
            var flipped = (byte[])snapshot.Clone();
            flipped[at] ^= 0x04;
            var corrupt = Assert.Throws<CheckpointException>(() => Restore(flipped));
            Assert.Equal(store.Name, corrupt.Section);
        }
    }

    protected static byte[] Snapshot(TStore store)
    {
        var writer = new SnapshotWriter();
        writer.BeginSection(store.SnapshotName);
        store.WriteSnapshot(writer);
        writer.EndSection();
        return writer.ToArray();
    }

    protected TStore Restore(byte[] snapshot)
    {
        var store = Create();
        var reader = new SnapshotReader(snapshot, "test");
        var section = reader.ReadSection(store.SnapshotName);
        store.ReadSnapshot(ref section);
        section.EnsureEnd();
        Assert.True(reader.End);
        return store;
    }

    protected const long Now = 1_767_225_600_000;

    protected static string Key(Random random) => random.Next(8) == 0 ? EdgeKeys[random.Next(EdgeKeys.Length)] : "k" + random.Next(400);

    protected static long Time(Random random, long around) =>
        random.Next(50) == 0 ? EdgeTimes[random.Next(EdgeTimes.Length)] : around + random.Next(-600_000, 600_000);
}

public class KeyValueStoreSnapshotTests : StateStoreSnapshotContract<KeyValueStore<string, long>>
{
    protected override KeyValueStore<string, long> Create() => new("kv", TimeSpan.FromMinutes(30), maxEntries: 400, segments: 4);

    protected override void Fill(KeyValueStore<string, long> store, Random random)
    {
        foreach (var key in EdgeKeys) store.Put(key, long.MinValue, Now);
        for (var i = 0; i < 300; i++) store.Put(Key(random), random.NextInt64(), Time(random, Now));
        store.Put("far future", long.MaxValue, long.MaxValue);
    }

    protected override string Operate(KeyValueStore<string, long> store, Random random, ref long clock)
    {
        var key = Key(random);
        switch (random.Next(6))
        {
            case 0: return "add " + store.TryAdd(key, 7, Time(random, clock));
            case 1: store.Put(key, random.Next(), Time(random, clock)); return "put";
            case 2: return "delete " + store.Delete(key);
            case 3:
                clock += random.Next(0, 120_000);
                store.AdvanceTime(clock);
                return "expired before " + store.ExpiredBefore;
            default: return store.TryGet(key, out var v) ? "get " + v : "miss";
        }
    }

    protected override string Contents(KeyValueStore<string, long> store) =>
        string.Join(";", store.All().OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}@{e.Timestamp}")) + " expired before " + store.ExpiredBefore;
}

public class WindowStoreSnapshotTests : StateStoreSnapshotContract<WindowStore<string, long>>
{
    protected override WindowStore<string, long> Create() => new("windows", maxEntries: 100_000);

    protected override void Fill(WindowStore<string, long> store, Random random)
    {
        foreach (var start in EdgeTimes)
            foreach (var key in EdgeKeys) store.Put(start, key, start);
        for (var i = 0; i < 500; i++) store.Put(random.Next(20) * 60_000L, Key(random), random.NextInt64());
    }

    protected override string Operate(WindowStore<string, long> store, Random random, ref long clock)
    {
        switch (random.Next(5))
        {
            case 0:
                ref var v = ref store.GetValueRefOrAddDefault(random.Next(40) * 60_000L, Key(random), out var exists);
                v++;
                return "add " + exists;
            case 1:
                if (!store.TryGetEarliest(out var earliest)) return "none";
                return $"earliest {earliest}: {Entries(store, earliest)}; removed {store.RemoveWindow(earliest)}";
            case 2:
                var starts = new List<long>();
                store.CollectStarts(random.Next(40) * 60_000L, random.Next(40) * 60_000L + 600_000, starts);
                return string.Join(",", starts);
            default:
                var start = random.Next(40) * 60_000L;
                return $"{start}: {Entries(store, start)}";
        }
    }

    protected override string Contents(WindowStore<string, long> store) =>
        string.Join(";", store.All().Select(e => $"{e.WindowStart}/{e.Key}={e.Value}"));

    private static string Entries(WindowStore<string, long> store, long start) =>
        store.Window(start) is { } w ? string.Join(",", w.Select(p => $"{p.Key}={p.Value}")) : "-";
}

public class SessionStoreSnapshotTests : StateStoreSnapshotContract<SessionStore<string, long>>
{
    protected override SessionStore<string, long> Create() => new("sessions", maxEntries: 100_000, StringComparer.Ordinal);

    protected override void Fill(SessionStore<string, long> store, Random random)
    {
        foreach (var key in EdgeKeys)
        {
            store.Add(key, new Window(long.MinValue, long.MinValue + 1), 1);
            store.Add(key, new Window(long.MaxValue - 1, long.MaxValue), 2);
        }
        // Coarse ends, so that many sessions end together and the close order rests on the tie-break.
        var clock = Now;
        for (var i = 0; i < 400; i++) Operate(store, random, ref clock);
    }

    protected override string Operate(SessionStore<string, long> store, Random random, ref long clock)
    {
        var key = Key(random);
        switch (random.Next(6))
        {
            case 0:
            case 1:
                var start = random.Next(100) * 10_000L;
                store.Add(key, new Window(start, start + random.Next(1, 10) * 60_000L), random.Next());
                return "add";
            case 2:
                if (store.FirstOf(key) is not { } grow) return "none";
                var (from, to) = (grow.Window.Start - random.Next(2) * 10_000, grow.Window.End + random.Next(-2, 4) * 60_000);
                store.Update(key, grow, new Window(from, Math.Max(from + 1, to)), grow.Value + 1);
                return "grown " + grow.Window;
            case 3:
                if (!store.TryPeekEarliest(out var k, out var earliest)) return "empty";
                store.Remove(k, earliest);
                return $"closed {k} {earliest.Window} {earliest.Value}";
            default:
                return store.SessionsOf(key) is { } list ? string.Join(",", list.Select(s => $"{s.Window}={s.Value}")) : "-";
        }
    }

    protected override string Contents(SessionStore<string, long> store) =>
        string.Join(";", store.All().OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}{e.Window}={e.Value}"));
}

public class EventIdStoreSnapshotTests : StateStoreSnapshotContract<EventIdStore>
{
    protected override EventIdStore Create() => new("dedup", TimeSpan.FromMinutes(10), maxEntries: 300);

    protected override void Fill(EventIdStore store, Random random)
    {
        foreach (var t in EdgeTimes) store.TryAdd(EventId.Parse($"edge {t}"), t);
        for (var i = 0; i < 250; i++) store.TryAdd(Id(random), Time(random, Now));
    }

    protected override string Operate(EventIdStore store, Random random, ref long clock)
    {
        var id = Id(random);
        switch (random.Next(4))
        {
            case 0:
            case 1: return $"add {store.TryAdd(id, clock + random.Next(-60_000, 60_000))} held {store.Count} of {store.Capacity}";
            case 2:
                clock += random.Next(0, 30_000);
                store.AdvanceTime(clock);
                return "expired before " + store.ExpiredBefore;
            default: return "contains " + store.Contains(id);
        }
    }

    protected override string Contents(EventIdStore store) =>
        string.Join(";", store.All().OrderBy(e => e.Id).Select(e => $"{e.Id}@{e.Timestamp}")) + $" held {store.Count} of {store.Capacity}";

    [Fact]
    public void ids_of_every_form_survive_a_checkpoint_by_their_keys()
    {
        // 1. A store holding UUIDs, ULIDs, numbers and short labels, one of them first seen as an upper-case UUID.
        var store = Create();
        string[] ids = ["3F2504E0-4F89-41D3-9A0C-0305E82C3301", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "42", "e1", "ünïcødé", new string('x', EventId.MaxLength)];
        for (var i = 0; i < ids.Length; i++) Assert.True(store.TryAdd(EventId.Parse(ids[i]), Now + i));

        // 2. Snapshot and restore: 16 bytes of key per id, whatever its text.
        var restored = Restore(Snapshot(store));
        Assert.Equal(Contents(store), Contents(restored));

        // 3. Every id, in any of its spellings, is still a repeat; a near miss is not.
        foreach (var id in ids) Assert.False(restored.TryAdd(EventId.Parse(id), Now + 10), id);
        Assert.False(restored.TryAdd(EventId.Parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), Now + 10));
        Assert.True(restored.TryAdd(EventId.Parse("E1"), Now + 10));
        Assert.True(restored.TryAdd(EventId.Parse("43"), Now + 10));
    }

    // A pool small enough that ids repeat, of every form (UUIDs, labels, numbers, ULID-like), built from the random
    // source so both stores see the same ids.
    private static EventId Id(Random random)
    {
        var n = random.Next(2_000);
        switch (n % 3)
        {
            case 0:
                Span<byte> bytes = stackalloc byte[16];
                BitConverter.TryWriteBytes(bytes, n);
                return new Guid(bytes);
            case 1: return EventId.Parse($"e{n}");
            default: return EventId.Parse($"01J{n:D23}");
        }
    }
}
