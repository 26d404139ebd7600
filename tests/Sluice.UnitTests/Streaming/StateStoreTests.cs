using Sluice.Streaming.State;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming;

public class StateStoreTests
{
    [Fact]
    public void key_value_entries_expire_after_the_retention_of_event_time()
    {
        var store = new KeyValueStore<string, int>("kv", TimeSpan.FromMilliseconds(100), maxEntries: 1000, segments: 4);
        Assert.True(store.TryAdd("old", 1, 10));
        Assert.True(store.TryAdd("new", 2, 190));
        Assert.False(store.TryAdd("old", 3, 20));

        store.AdvanceTime(150); // cutoff 50: old (segment [0,25)) is older than the retention
        Assert.False(store.TryGet("old", out _));
        Assert.True(store.TryGet("new", out var v));
        Assert.Equal(2, v);
        Assert.Equal(0, store.Evicted);
    }

    [Fact]
    public void expiry_over_many_reused_segments_keeps_exactly_the_entries_within_the_retention()
    {
        // Segments are 25 ms wide and their lists are reused once dropped: no key may survive or vanish by that reuse.
        var store = new KeyValueStore<int, int>("kv", TimeSpan.FromMilliseconds(100), maxEntries: 100_000, segments: 4);
        var random = new Random(7);
        var times = new Dictionary<int, long>();
        for (var i = 0; i < 20_000; i++)
        {
            long ts = i / 10 + random.Next(0, 5);
            store.Put(i, i, ts);
            times[i] = ts;
            if (i % 97 == 0) store.AdvanceTime(i / 10);
        }
        store.AdvanceTime(2000);
        foreach (var (key, ts) in times)
        {
            // Whole segments expire: an entry goes once its segment ends at or before the cutoff of 1900.
            var expired = (ts / 25 + 1) * 25 <= 1900;
            Assert.Equal(!expired, store.TryGet(key, out _));
        }
    }

    [Fact]
    public void key_value_entry_younger_than_the_retention_is_kept()
    {
        var store = new KeyValueStore<string, int>("kv", TimeSpan.FromMilliseconds(100), maxEntries: 1000, segments: 4);
        store.Put("k", 1, 60);
        store.AdvanceTime(159); // cutoff 59: k at 60 must stay
        Assert.True(store.TryGet("k", out _));
    }

    [Fact]
    public void key_value_store_over_its_limit_forgets_the_oldest_segment_and_counts_it()
    {
        var store = new KeyValueStore<int, int>("kv", TimeSpan.FromSeconds(100), maxEntries: 3, segments: 4);
        store.Put(1, 1, 0);
        store.Put(2, 2, 1);
        store.Put(3, 3, 50_000);
        store.Put(4, 4, 60_000);
        Assert.Equal(2, store.Count);
        Assert.Equal(2, store.Evicted);
        Assert.False(store.TryGet(1, out _));
        Assert.True(store.TryGet(4, out _));
    }

    [Fact]
    public void re_put_entry_moves_to_its_new_time_and_survives_expiry_of_the_old()
    {
        var store = new KeyValueStore<string, int>("kv", TimeSpan.FromMilliseconds(100), maxEntries: 1000, segments: 4);
        store.Put("k", 1, 0);
        store.Put("k", 2, 180);
        store.AdvanceTime(200);
        Assert.True(store.TryGet("k", out var v));
        Assert.Equal(2, v);
    }

    [Fact]
    public void key_value_snapshot_restores_into_an_equal_store()
    {
        var store = new KeyValueStore<string, int>("kv", TimeSpan.FromMinutes(1), 100);
        store.Put("a", 1, 10);
        store.Put("b", 2, 20);
        var copy = new KeyValueStore<string, int>("kv", TimeSpan.FromMinutes(1), 100);
        copy.Restore(store.All());
        Assert.Equal(store.All(), copy.All());
    }

    [Fact]
    public void window_store_keeps_windows_in_start_order_and_drops_a_whole_window()
    {
        var store = new WindowStore<string, int>("w", 100);
        store.Put(200, "b", 1);
        store.Put(100, "a", 2);
        store.Put(100, "c", 3);
        Assert.Equal(3, store.Count);
        Assert.True(store.TryGetEarliest(out var earliest));
        Assert.Equal(100, earliest);
        Assert.Equal([new(100, "a", 2), new(100, "c", 3), new WindowEntry<string, int>(200, "b", 1)], store.All());

        Assert.True(store.RemoveWindow(100));
        Assert.Equal(1, store.Count);
        Assert.False(store.TryGet(100, "a", out _));
        Assert.True(store.TryGet(200, "b", out _));
    }

    [Fact]
    public void window_snapshot_restores_into_an_equal_store()
    {
        var store = new WindowStore<string, int>("w", 100);
        store.Put(0, "a", 1);
        store.Put(60, "b", 2);
        var copy = new WindowStore<string, int>("w", 100);
        copy.Restore(store.All());
        Assert.Equal(store.All(), copy.All());
        Assert.Throws<Sluice.Core.Errors.SluiceException>(() => copy.Restore(store.All()));
    }

    [Fact]
    public void session_store_finds_the_earliest_ending_session_after_updates()
    {
        var store = new SessionStore<string, int>("s", 100);
        var a = store.Add("a", new Window(0, 100), 1);
        store.Add("b", new Window(10, 110), 2);
        store.Update("a", a, new Window(0, 200), 3); // a grew past b

        Assert.True(store.TryPeekEarliest(out var key, out var session));
        Assert.Equal(("b", new Window(10, 110)), (key, session.Window));
        store.Remove(key, session);
        Assert.True(store.TryPeekEarliest(out key, out session));
        Assert.Equal(("a", 3), (key, session.Value));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void sessions_come_out_earliest_end_first_over_growth_earlier_ends_and_removals()
    {
        // Thousands of sessions grow (their old end entries are re-queued lazily), shrink to an end event's time, or
        // are removed early; draining the store must give exactly the model's order.
        var store = new SessionStore<int, int>("s", 100_000);
        var random = new Random(5);
        var open = new Dictionary<int, (SessionStore<int, int>.Session Session, long End)>();
        for (var k = 0; k < 5_000; k++)
        {
            long end = random.Next(0, 2_000);
            open[k] = (store.Add(k, new Window(end - 10, end), k), end);
        }
        for (var step = 0; step < 20_000; step++)
        {
            var k = random.Next(5_000);
            if (!open.TryGetValue(k, out var s)) continue;
            switch (random.Next(4))
            {
                case 0: // grows: its old entry is re-queued lazily, when it surfaces
                    var later = s.End + random.Next(1, 300);
                    store.Move(k, s.Session, new Window(s.Session.Window.Start, later));
                    open[k] = (s.Session, later);
                    break;
                case 1: // ends earlier (an end event): queued again now
                    var earlier = s.End - random.Next(1, 5);
                    store.Move(k, s.Session, new Window(s.Session.Window.Start, earlier));
                    open[k] = (s.Session, earlier);
                    break;
                case 2:
                    store.Remove(k, s.Session);
                    open.Remove(k);
                    break;
            }
        }
        // Drain: each answer must have the earliest end of the sessions still open.
        var drained = new List<long>();
        while (store.TryPeekEarliest(out var key, out var session))
        {
            Assert.Equal(open.Values.Min(v => v.End), session.Window.End);
            Assert.Equal(open[key].End, session.Window.End);
            drained.Add(session.Window.End);
            store.Remove(key, session);
            open.Remove(key);
        }
        Assert.Empty(open);
        Assert.Equal(0, store.Count);
        Assert.True(drained.Count > 1_000);
    }

    [Fact]
    public void session_snapshot_restores_every_session_of_every_key()
    {
        var store = new SessionStore<string, int>("s", 100);
        store.Add("a", new Window(0, 100), 1);
        store.Add("a", new Window(500, 600), 2);
        store.Add("b", new Window(10, 110), 3);
        var copy = new SessionStore<string, int>("s", 100);
        copy.Restore(store.All());
        Assert.Equal(store.All(), copy.All());
        Assert.Equal(2, copy.SessionsOf("a")!.Count);
    }
}
