using Sluice.Core.Errors;
using Sluice.Streaming.State;

namespace Sluice.UnitTests.Streaming;

public class EventIdStoreTests
{
    private static readonly TimeSpan Horizon = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void an_id_is_seen_until_the_watermark_passes_its_time_plus_the_horizon()
    {
        var store = new EventIdStore("dedup", Horizon, maxEntries: 1000);
        var id = Guid.NewGuid();
        Assert.True(store.TryAdd(id, 60));
        Assert.False(store.TryAdd(id, 90));

        store.AdvanceTime(160); // cutoff 60: first seen at 60, still within the horizon
        Assert.True(store.Contains(id));
        Assert.False(store.TryAdd(id, 150));

        store.AdvanceTime(161); // cutoff 61: forgotten, and a new sighting starts its horizon again
        Assert.False(store.Contains(id));
        Assert.True(store.TryAdd(id, 161));
        Assert.False(store.TryAdd(id, 162));
        Assert.Equal(0, store.Evicted);
    }

    [Fact]
    public void a_repeat_does_not_move_the_time_an_id_is_forgotten_at()
    {
        var store = new EventIdStore("dedup", Horizon, maxEntries: 1000);
        var id = Guid.NewGuid();
        Assert.True(store.TryAdd(id, 10));
        Assert.False(store.TryAdd(id, 100));
        store.AdvanceTime(111);
        Assert.True(store.TryAdd(id, 111));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void answers_as_a_dictionary_of_first_sightings_does_over_growth_expiry_and_rebuilds(bool sequentialIds)
    {
        // Ids repeat from a pool, times jitter, the watermark advances in steps: the table grows, reuses expired
        // slots and rebuilds, and must answer every insertion as the model does.
        var store = new EventIdStore("dedup", TimeSpan.FromMilliseconds(500), maxEntries: 1_000_000);
        var random = new Random(11);
        var pool = new Guid[30_000];
        for (var i = 0; i < pool.Length; i++) pool[i] = sequentialIds ? Sequential(i) : Guid.NewGuid();
        var firstSeen = new Dictionary<Guid, long>();
        long watermark = long.MinValue;
        var capacities = new HashSet<int>();
        for (var n = 0; n < 200_000; n++)
        {
            // A burst in the middle: time crawls, so far more ids are live at once.
            long now = n < 80_000 ? n / 20 : n < 120_000 ? 4_000 + (n - 80_000) / 400 : 4_100 + (n - 120_000) / 20;
            var ts = now - random.Next(0, 50);
            var id = pool[random.Next(pool.Length)];
            var cutoff = watermark == long.MinValue ? long.MinValue : watermark - 500;
            var expected = !firstSeen.TryGetValue(id, out var seen) || seen < cutoff;
            if (expected) firstSeen[id] = ts;
            Assert.Equal(expected, store.TryAdd(id, ts));
            if (n % 64 == 0)
            {
                watermark = Math.Max(watermark, now - 20);
                store.AdvanceTime(watermark);
                capacities.Add(store.Capacity);
            }
        }
        foreach (var (id, seen) in firstSeen) Assert.Equal(seen >= watermark - 500, store.Contains(id));
        Assert.True(capacities.Count > 2, "the table should have been resized several times");
        // At most four times the live ids, rounded up to a power of two: the pool bounds them.
        Assert.True(capacities.Max() <= 131_072, $"the table grew to {capacities.Max()} slots for at most {pool.Length} live ids");
        Assert.Equal(0, store.Evicted);
    }

    [Fact]
    public void over_its_limit_the_store_forgets_the_ids_seen_earliest_and_counts_them()
    {
        var store = new EventIdStore("dedup", TimeSpan.FromHours(1), maxEntries: 1000);
        var ids = new Guid[5000];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = Guid.NewGuid();
            Assert.True(store.TryAdd(ids[i], i));
            Assert.True(store.Count <= 1000, $"{store.Count} ids held after {i + 1} insertions");
        }
        Assert.True(store.Evicted >= 4000);
        Assert.Equal(5000, store.Evicted + store.All().Count());
        for (var i = 4500; i < 5000; i++) Assert.True(store.Contains(ids[i]), $"id {i} (among the newest) was forgotten");
        for (var i = 0; i < 1000; i++) Assert.False(store.Contains(ids[i]), $"id {i} (among the oldest) is still held");
    }

    [Fact]
    public void ids_that_share_their_time_are_kept_together_unless_they_alone_break_the_limit()
    {
        var store = new EventIdStore("dedup", TimeSpan.FromHours(1), maxEntries: 8);
        for (var i = 0; i < 20; i++) store.TryAdd(Guid.NewGuid(), 5);
        Assert.True(store.Count <= 8);
        var late = Guid.NewGuid();
        Assert.True(store.TryAdd(late, 6));
        Assert.False(store.TryAdd(late, 7));
    }

    [Fact]
    public void an_id_stamped_with_the_earliest_time_is_still_remembered()
    {
        var store = new EventIdStore("dedup", Horizon, maxEntries: 1000);
        var ids = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var id in ids) Assert.True(store.TryAdd(id, long.MinValue));
        foreach (var id in ids) Assert.False(store.TryAdd(id, long.MinValue));
        Assert.Equal(40, store.All().Count());
    }

    [Fact]
    public void a_snapshot_restores_the_live_ids_with_their_times()
    {
        var store = new EventIdStore("dedup", Horizon, maxEntries: 1000);
        var ids = Enumerable.Range(0, 300).Select(_ => Guid.NewGuid()).ToArray();
        for (var i = 0; i < ids.Length; i++) store.TryAdd(ids[i], i);
        store.AdvanceTime(250); // cutoff 150

        var copy = new EventIdStore("dedup", Horizon, maxEntries: 1000);
        copy.Restore(store.All());
        Assert.Equal(150, copy.All().Count());
        for (var i = 0; i < ids.Length; i++) Assert.Equal(i >= 150, copy.Contains(ids[i]));
        Assert.Throws<SluiceException>(() => copy.Restore(store.All()));
    }

    [Fact]
    public void a_bad_horizon_or_limit_names_the_setting()
    {
        var horizon = Assert.Throws<ConfigurationException>(() => new EventIdStore("dedup", TimeSpan.Zero, 10));
        Assert.Equal("dedup.horizon", horizon.Key);
        var limit = Assert.Throws<ConfigurationException>(() => new EventIdStore("dedup", Horizon, 0));
        Assert.Equal("dedup.maxEntries", limit.Key);
    }

    private static Guid Sequential(int i)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, (long)i);
        return new Guid(bytes);
    }
}
