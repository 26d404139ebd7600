using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.State;

/// <summary>One remembered id, by its <see cref="EventId.Key"/>, and the event time it was first seen at.</summary>
public readonly record struct EventIdEntry(Guid Id, long Timestamp);

/// <summary>The ids seen within a horizon of event time: the state of deduplication by event id.</summary>
/// <remarks>
/// <para>An open-addressing table of (id, timestamp) slots probed linearly, so a lookup reads one or two neighbouring
/// cache lines and nothing else: a general dictionary reads a bucket array and then an entry elsewhere, and expiring by
/// time segments removed each old id with a lookup of its own. Every record of the topology passes through here, and
/// those misses were a twelfth of the engine's time.</para>
/// <para>Nothing is removed when it expires. An id older than the cutoff (watermark minus horizon) no longer counts as
/// seen, and its slot is taken by the next insertion that passes it. When the table is five-eighths full, one pass
/// reclaims the expired slots: in place when the live ids still call for the same size (about four times their number,
/// so a quarter full at most), else into a table of the new size, so a table grown by a burst shrinks at the first pass
/// after the burst has expired. The pass is paid back by the insertions that filled the table. Memory is bounded
/// by the horizon and by <c>maxEntries</c>: above it, the ids seen earliest are forgotten first, counted in
/// <see cref="Evicted"/>.</para>
/// <para>An id is kept as its 128-bit <see cref="EventId.Key"/> (the UUID itself, or a hash of any other id's text), so
/// a slot holds no reference and a snapshot 16 bytes per id whatever the ids look like; two ids are one when their keys
/// are (odds of a false match about 2^-128 per pair). Keys are hashed with a multiply-and-fold mix of both halves, so
/// keys that are not random (sequential UUIDs, or made to collide) still spread over the table; equality is exact, on
/// all 128 bits.</para>
/// </remarks>
public sealed class EventIdStore : IStateStore
{
    private const int MinCapacity = 64;
    private const long Empty = long.MinValue;

    private readonly long _horizonMs;
    private readonly int _maxEntries;
    private Slot[] _slots;
    private int _shift;
    private int _held;
    private long _cutoff = EventTime.NoWatermark;
    private long _evictedBefore = EventTime.NoWatermark;
    private long _evicted;

    /// <summary>A store that forgets an id <paramref name="horizon"/> of event time after it was first seen, holding at most <paramref name="maxEntries"/> live ids.</summary>
    public EventIdStore(string name, TimeSpan horizon, int maxEntries)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (horizon <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{name}.horizon", "must be positive, for example 01:00:00");
        if (maxEntries < 1) ThrowHelper.ThrowConfiguration($"{name}.maxEntries", "must be at least 1");
        Name = name;
        _horizonMs = (long)horizon.TotalMilliseconds;
        _maxEntries = maxEntries;
        _slots = NewTable(MinCapacity, out _shift);
    }

    public string Name { get; }

    /// <summary>Slots in use: the live ids and the expired ones not yet reclaimed.</summary>
    public long Count => _held;

    public long Evicted => _evicted;

    /// <summary>False: the ids are a memory of what was seen, not results; expired ids also stay until reclaimed.</summary>
    public bool HoldsPendingResults => false;

    /// <summary>Slots in the table (a power of two), 24 bytes each.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Ids first seen before this event time are forgotten (<see cref="EventTime.NoWatermark"/> until time advances).</summary>
    public long ExpiredBefore => Math.Max(_cutoff, _evictedBefore);

    /// <summary>Forgets, from now on, every id first seen more than the horizon before <paramref name="eventTime"/> (the watermark).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AdvanceTime(long eventTime)
    {
        var cutoff = EventTime.Add(eventTime, -_horizonMs);
        if (cutoff > _cutoff) _cutoff = cutoff;
    }

    /// <summary>Starts loading the slot where a lookup of the id whose <see cref="EventId.Key"/> is <paramref name="id"/> begins, to be read a little later.</summary>
    public unsafe void Prefetch(Guid id)
    {
        if (!Sse.IsSupported) return;
        var slots = _slots;
        Sse.Prefetch0(Unsafe.AsPointer(ref slots[Home(id)]));
    }

    /// <summary>Whether <paramref name="id"/> was seen within the horizon.</summary>
    public bool Contains(EventId id) => Contains(id.Key);

    /// <summary>Whether the id whose <see cref="EventId.Key"/> is <paramref name="id"/> was seen within the horizon.</summary>
    public bool Contains(Guid id)
    {
        var live = ExpiredBefore;
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = Home(id); ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            if (slot.Timestamp == Empty) return false;
            if (slot.Id == id) return slot.Timestamp >= live;
        }
    }

    /// <summary>Remembers <paramref name="id"/>, first seen at <paramref name="timestamp"/>; false when it was already seen within the horizon.</summary>
    /// <remarks>A repeat does not move the id's time: the horizon runs from the first sighting.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd(EventId id, long timestamp) => TryAdd(id.Key, timestamp);

    /// <summary>Remembers the id whose <see cref="EventId.Key"/> is <paramref name="id"/>, as <see cref="TryAdd(EventId, long)"/>.</summary>
    public bool TryAdd(Guid id, long timestamp)
    {
        // The earliest time marks an empty slot: an id stamped with it would vanish and cut the probe paths through it.
        if (timestamp == Empty) timestamp++;
        var live = ExpiredBefore;
        var slots = _slots;
        var mask = slots.Length - 1;
        var reusable = -1;
        var i = Home(id);
        for (; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[i];
            if (slot.Timestamp == Empty) break;
            var expired = slot.Timestamp < live;
            if (slot.Id == id)
            {
                if (!expired) return false;
                slot.Timestamp = timestamp; // seen again after it was forgotten: a new first sighting
                return true;
            }
            if (expired && reusable < 0) reusable = i;
        }
        if (reusable >= 0)
        {
            slots[reusable] = new Slot(id, timestamp);
            return true;
        }
        slots[i] = new Slot(id, timestamp);
        if (++_held > slots.Length / 8 * 5 || _held > _maxEntries) Reclaim();
        return true;
    }

    /// <summary>Every live id, for a snapshot; the order is the table's.</summary>
    public IEnumerable<EventIdEntry> All()
    {
        var live = ExpiredBefore;
        foreach (var slot in _slots)
            if (slot.Timestamp != Empty && slot.Timestamp >= live) yield return new(slot.Id, slot.Timestamp);
    }

    /// <summary>Loads ids from a snapshot into an empty store.</summary>
    public void Restore(IEnumerable<EventIdEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (_held != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        foreach (var e in entries) TryAdd(e.Id, e.Timestamp);
    }

    /// <summary>The table as it is: its size, the cutoffs, then every occupied slot (expired ones too) with its position.</summary>
    /// <remarks>Kept slot for slot, because which expired slot an insertion re-uses, and so when the next pass comes and
    /// what it evicts at the entry limit, depends on the layout. Positions do not depend on the process: the hash has no seed.</remarks>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteCount(BitOperations.Log2((uint)_slots.Length));
        writer.WriteVarInt64(_cutoff);
        writer.WriteVarInt64(_evictedBefore);
        writer.WriteCount(_held);
        var previous = -1;
        for (var i = 0; i < _slots.Length; i++)
        {
            ref var slot = ref _slots[i];
            if (slot.Timestamp == Empty) continue;
            writer.WriteCount(i - previous - 1);
            writer.WriteGuid(slot.Id);
            writer.WriteVarInt64(slot.Timestamp);
            previous = i;
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        if (_held != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        var log2 = reader.ReadNonNegative();
        if (log2 is < 6 or > 30) reader.Fail($"table size 2^{log2} is out of range");
        var slots = NewTable(1 << log2, out var shift);
        var cutoff = reader.ReadVarInt64();
        var evictedBefore = reader.ReadVarInt64();
        var held = reader.ReadCount(minBytesPerItem: 18);
        if (held >= slots.Length) reader.Fail($"{held} ids do not fit a table of {slots.Length} slots");
        var i = -1;
        for (var n = 0; n < held; n++)
        {
            i += reader.ReadNonNegative() + 1;
            if (i >= slots.Length) reader.Fail($"slot {i} is outside a table of {slots.Length} slots");
            var id = reader.ReadGuid();
            var timestamp = reader.ReadVarInt64();
            if (timestamp == Empty) reader.Fail($"slot {i} holds the empty marker as a time");
            slots[i] = new Slot(id, timestamp);
        }
        (_slots, _shift, _held, _cutoff, _evictedBefore) = (slots, shift, held, cutoff, evictedBefore);
    }

    public void Close()
    {
        _slots = NewTable(MinCapacity, out _shift);
        _held = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(Guid id)
    {
        ref var halves = ref Unsafe.As<Guid, ulong>(ref id);
        var lo = halves;
        var hi = Unsafe.Add(ref halves, 1);
        var h = (lo ^ BitOperations.RotateLeft(hi, 29)) * 0x9E3779B97F4A7C15UL;
        h ^= h >> 31;
        return (int)((h * 0xD6E8FEB86659FD93UL) >> _shift);
    }

    // Keeps the live ids, in a table about four times their number; above the entry limit, first drops the ids seen earliest.
    private void Reclaim()
    {
        var live = ExpiredBefore;
        var count = CountLive(_slots, live);
        // Evict down to three quarters of the limit, so that a store held at its limit is not rebuilt on every insertion.
        if (count > _maxEntries / 8 * 7 && count > 1 && _held > _maxEntries)
        {
            var before = count;
            _evictedBefore = OldestKept(_slots, live, count, Math.Max(1, _maxEntries / 4 * 3), _maxEntries);
            live = ExpiredBefore;
            count = CountLive(_slots, live);
            _evicted += before - count;
        }
        var capacity = (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinCapacity, count * 4)), 1 << 30);
        if (capacity == _slots.Length) Sweep(live);
        else Rehash(capacity, live);
        _held = count;
    }

    // The steady state: the same size again, so the expired ids are cleared in place, in one pass in slot order.
    private void Sweep(long live)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        // Start after an empty slot, so that no run of occupied slots wraps into the pass from behind its start.
        var start = 0;
        while (slots[start].Timestamp != Empty) start++;
        for (var k = 1; k <= slots.Length; k++)
        {
            var i = (start + k) & mask;
            ref var slot = ref slots[i];
            if (slot.Timestamp == Empty) continue;
            if (slot.Timestamp < live)
            {
                slot = new Slot(default, Empty);
                continue;
            }
            // A live id moves back to the first free slot from its home: slots freed before it may have opened a gap
            // in its probe path, which would end a lookup early. Every slot before it in this pass is settled already.
            var j = Home(slot.Id);
            while (j != i && slots[j].Timestamp != Empty) j = (j + 1) & mask;
            if (j == i) continue;
            slots[j] = slot;
            slot = new Slot(default, Empty);
        }
    }

    private void Rehash(int capacity, long live)
    {
        var old = _slots;
        var slots = NewTable(capacity, out var shift);
        var mask = capacity - 1;
        _slots = slots;
        _shift = shift;
        foreach (ref var slot in old.AsSpan())
        {
            if (slot.Timestamp == Empty || slot.Timestamp < live) continue;
            var i = Home(slot.Id);
            while (slots[i].Timestamp != Empty) i = (i + 1) & mask;
            slots[i] = slot;
        }
    }

    private static int CountLive(Slot[] slots, long live)
    {
        var count = 0;
        foreach (ref var slot in slots.AsSpan())
            if (slot.Timestamp != Empty && slot.Timestamp >= live) count++;
        return count;
    }

    // The time from which the `keep` newest of the `count` live ids are kept: the keep-th newest id's.
    private static long OldestKept(Slot[] slots, long live, int count, int keep, int limit)
    {
        var times = new long[count];
        var n = 0;
        foreach (ref var slot in slots.AsSpan())
            if (slot.Timestamp != Empty && slot.Timestamp >= live) times[n++] = slot.Timestamp;
        Array.Sort(times);
        var threshold = times[count - keep];
        // Ids seen at the threshold's very millisecond stay too, unless they alone would break the limit.
        var first = Array.IndexOf(times, threshold);
        if (count - first <= limit || threshold == long.MaxValue) return threshold;
        return threshold + 1;
    }

    private static Slot[] NewTable(int capacity, out int shift)
    {
        shift = 64 - BitOperations.Log2((uint)capacity);
        var slots = new Slot[capacity];
        slots.AsSpan().Fill(new Slot(default, Empty));
        return slots;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Slot(Guid id, long timestamp)
    {
        public Guid Id = id;
        public long Timestamp = timestamp;
    }
}
