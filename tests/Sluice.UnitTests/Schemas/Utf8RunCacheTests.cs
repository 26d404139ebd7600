using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Xunit;

namespace Sluice.UnitTests.Schemas;

public sealed class Utf8RunCacheTests
{
    // Three optional strings, the way ClickEventAvro lays out a run: branch byte 2 and a zigzag length, or byte 0.
    private static byte[] Run(params string?[] values)
    {
        var buffer = new AvroBuffer();
        foreach (var v in values)
        {
            if (v is null)
            {
                buffer.WriteByte(0);
                continue;
            }
            buffer.WriteByte(2);
            buffer.WriteString(v);
        }
        return buffer.ToArray();
    }

    private static void Add<TKey>(Utf8RunCache<TKey> cache, byte[] run, params string?[] values)
        where TKey : struct => cache.Add(run, values);

    [Fact]
    public void a_repeated_run_returns_its_strings_with_one_lookup()
    {
        var cache = new Utf8RunCache<InlineBytes320>(64, 3, 0b111);
        var run = Run("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", null, "DE");
        Add(cache, run, "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", null, "DE");

        var found = cache.Find([.. run, 0x2A, 0x2A]);

        Assert.NotNull(found);
        Assert.Same(found, cache.Find(run));
        Assert.Equal(run.Length, found.Length);
        Assert.Equal("DE", found.Values[2]);
        Assert.Null(found.Values[1]);
    }

    [Fact]
    public void runs_that_differ_in_one_byte_never_share_an_entry()
    {
        // Four slots are one bucket, so the look-alikes meet.
        var cache = new Utf8RunCache<InlineBytes64>(4, 3, 0b111);
        var a = Run("45.101.115.0", "JP", "Tokyo");
        var b = Run("45.101.116.0", "JP", "Tokyo");
        Add(cache, a, "45.101.115.0", "JP", "Tokyo");

        Assert.Null(cache.Find(b));
        Add(cache, b, "45.101.116.0", "JP", "Tokyo");
        Assert.Equal("45.101.115.0", cache.Find(a)?.Values[0]);
        Assert.Equal("45.101.116.0", cache.Find(b)?.Values[0]);
    }

    [Fact]
    public void a_run_cut_short_or_with_an_unusual_shape_is_never_found()
    {
        var cache = new Utf8RunCache<InlineBytes64>(64, 3, 0b111);
        var run = Run("Chrome", "mobile", "vip");
        Add(cache, run, "Chrome", "mobile", "vip");

        Assert.Null(cache.Find(run.AsSpan(0, run.Length - 1)));
        // The same bytes behind a non-minimal branch varint (0x82 0x00 is branch 1) are left to the normal decode.
        Assert.Null(cache.Find([0x82, 0x00, .. run.AsSpan(1)]));
        // A negative length.
        Assert.Null(cache.Find([0x02, 0x01, .. run.AsSpan(2)]));
    }

    [Fact]
    public void a_run_longer_than_the_limit_is_never_kept()
    {
        var cache = new Utf8RunCache<InlineBytes64>(64, 1, 0b1);
        var text = new string('x', Utf8RunCache<InlineBytes64>.MaxRunLength);
        var run = Run(text);

        Add(cache, run, text);

        Assert.Null(cache.Find(run));
    }

    [Fact]
    public void a_located_run_offers_the_entry_that_find_returns_as_its_candidate()
    {
        var cache = new Utf8RunCache<InlineBytes64>(64, 2, 0b11);
        var run = Run("u-0000174", "s-12b610d4e42fa47b");
        var other = Run("u-0000175", "s-12b610d4e42fa47b");
        Add(cache, run, "u-0000174", "s-12b610d4e42fa47b");

        Assert.True(cache.TryLocate([.. run, 0x02, 0x06], out var length, out var hash));
        Assert.Equal(run.Length, length);
        var candidate = cache.Candidate(hash);
        Assert.NotNull(candidate);
        Assert.Same(cache.Find(run), candidate);
        Assert.True(Utf8RunCache<InlineBytes64>.StartsWith(run, candidate));
        Assert.True(cache.TryLocate(other, out _, out var otherHash));
        Assert.Null(cache.Candidate(otherHash));
    }

    [Fact]
    public void a_run_that_find_would_not_measure_is_not_located()
    {
        var cache = new Utf8RunCache<InlineBytes64>(64, 2, 0b11);
        var run = Run("Chrome", "mobile");
        Add(cache, run, "Chrome", "mobile");

        Assert.False(cache.TryLocate(run.AsSpan(0, run.Length - 1), out _, out _));
        Assert.False(cache.TryLocate([0x82, 0x00, .. run.AsSpan(1)], out _, out _));
        Assert.False(new Utf8RunCache<InlineBytes64>(0, 2, 0b11).TryLocate(run, out _, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(31)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(200)]
    [InlineData(320)]
    public void a_run_starts_the_data_exactly_when_every_one_of_its_bytes_matches(int length)
    {
        // One required "bytes" field of the given total length: a length varint then filler.
        var text = new string('r', length - (length > 64 ? 2 : 1));
        var run = new byte[length];
        var header = length > 64 ? new byte[] { (byte)(((text.Length * 2) & 0x7F) | 0x80), (byte)((text.Length * 2) >> 7) } : [(byte)(text.Length * 2)];
        header.CopyTo(run, 0);
        System.Text.Encoding.ASCII.GetBytes(text).CopyTo(run, header.Length);
        var cache = new Utf8RunCache<InlineBytes320>(4, 1, 0);
        var entry = cache.Add(run, [text]);
        Assert.NotNull(entry);

        // Exactly the run, and the run followed by more bytes than a vector (what a frame looks like).
        foreach (var tail in new[] { 0, 100 })
        {
            var data = new byte[length + tail];
            run.CopyTo(data, 0);
            data.AsSpan(length).Fill(0x55);
            Assert.True(Utf8RunCache<InlineBytes320>.StartsWith(data, entry));
            Assert.Same(entry, cache.Find(data));
            for (var i = 0; i < length; i++)
            {
                var changed = (byte[])data.Clone();
                changed[i] ^= 0x40;
                Assert.False(Utf8RunCache<InlineBytes320>.StartsWith(changed, entry));
            }
            Assert.False(Utf8RunCache<InlineBytes320>.StartsWith(data.AsSpan(0, length - 1), entry));
        }
    }

    [Fact]
    public void a_required_field_has_no_branch_byte()
    {
        var cache = new Utf8RunCache<InlineBytes64>(64, 2, 0b01);
        var buffer = new AvroBuffer();
        buffer.WriteByte(0);
        buffer.WriteString("s-1");
        var run = buffer.ToArray();
        Add(cache, run, null, "s-1");

        Assert.Equal("s-1", cache.Find(run)?.Values[1]);
    }

    [Fact]
    public void memory_stays_bounded_as_runs_churn_and_every_hit_is_its_own_run()
    {
        var cache = new Utf8RunCache<InlineBytes64>(16, 2, 0b11);
        var runs = new List<(byte[] Bytes, string Ip)>();
        for (var i = 0; i < 2_000; i++)
        {
            var ip = $"10.{i / 256}.{i % 256}.0";
            var run = Run(ip, "NL");
            runs.Add((run, ip));
            Add(cache, run, ip, "NL");
        }
        var hits = 0;
        foreach (var (bytes, ip) in runs)
        {
            if (cache.Find(bytes) is not { } entry) continue;
            hits++;
            Assert.Equal(ip, entry.Values[0]);
            Assert.True(bytes.AsSpan().SequenceEqual(entry.Key));
        }
        Assert.InRange(hits, 1, 16);
    }

    [Fact]
    public void concurrent_readers_and_writers_only_ever_see_whole_entries()
    {
        // A tiny cache that every thread keeps overwriting: a reader may miss, but a hit must match its bytes.
        var cache = new Utf8RunCache<InlineBytes64>(4, 2, 0b11);
        var runs = new (byte[] Bytes, string Ip)[64];
        for (var i = 0; i < runs.Length; i++) runs[i] = (Run($"192.168.0.{i}", "FR"), $"192.168.0.{i}");
        var wrong = 0;
        Parallel.For(0, 4, worker =>
        {
            var rng = new Random(worker);
            for (var n = 0; n < 50_000; n++)
            {
                var (bytes, ip) = runs[rng.Next(runs.Length)];
                var entry = cache.Find(bytes);
                if (entry is null) Add(cache, bytes, ip, "FR");
                else if (entry.Values[0] != ip || entry.Values[1] != "FR") Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void a_cache_without_slots_always_misses()
    {
        var cache = new Utf8RunCache<InlineBytes64>(0, 1, 0b1);
        var run = Run("x");
        Add(cache, run, "x");
        Assert.Null(cache.Find(run));
    }

    [Fact]
    public void the_run_cached_fast_path_and_the_field_by_field_path_agree_on_generated_and_mutated_frames()
    {
        var capture = Generate(users: 200, products: 100, sessions: 40, events: 6_000);
        Assert.NotEmpty(capture.Bodies);

        var cached = new ClickEventAvro();
        var plain = new ClickEventAvro(runCaches: false);
        var rng = new Random(20261121);
        int decoded = 0, rejected = 0;
        // Each body as generated, then mutated: runs that repeat hit, and look-alikes must not.
        for (var round = 0; round < 4; round++)
        {
            foreach (var body in capture.Bodies)
            {
                var payload = round == 0 ? body : Mutate(rng, body);
                var ok = cached.TryRead(payload, out var a, out var errorA);
                Assert.Equal(ok, plain.TryRead(payload, out var b, out var errorB));
                Assert.Equal(b, a);
                Assert.Equal(errorB, errorA);
                if (ok) decoded++;
                else rejected++;
            }
        }
        Assert.True(decoded > capture.Bodies.Count && rejected > 0, $"{decoded} decoded, {rejected} rejected");
    }

    [Fact]
    public void threads_sharing_one_codec_decode_every_frame_as_the_field_by_field_path_does()
    {
        // A codec is safe to share between threads (the engine gives each task its own, other callers may not):
        // caches and hints written by one thread are read by others.
        var capture = Generate(users: 50, products: 30, sessions: 20, events: 3_000);
        var plain = new ClickEventAvro(runCaches: false);
        var expected = new ClickEvent?[capture.Bodies.Count];
        for (var i = 0; i < expected.Length; i++) plain.TryRead(capture.Bodies[i], out expected[i], out _);
        var shared = new ClickEventAvro();
        var wrong = 0;

        Parallel.For(0, 4, worker =>
        {
            for (var round = 0; round < 5; round++)
            {
                // Each thread walks the frames from its own offset, so threads meet on the same sessions out of order.
                for (var n = 0; n < expected.Length; n++)
                {
                    var i = (n + worker * 997) % expected.Length;
                    if (!shared.TryRead(capture.Bodies[i], out var decoded, out _) || !decoded!.Equals(expected[i])) Interlocked.Increment(ref wrong);
                }
            }
        });

        Assert.Equal(0, wrong);
    }

    [Fact]
    public void a_visitor_run_that_differs_only_in_a_non_ascii_city_gets_its_own_strings()
    {
        var codec = new ClickEventAvro();
        var koeln = SampleEvents.Purchase();
        var koeln2 = koeln with { EventId = Guid.NewGuid() };
        var other = koeln with { GeoCity = "Kölm", EventId = Guid.NewGuid() };

        foreach (var e in new[] { koeln, other, koeln2, other })
        {
            Assert.True(codec.TryRead(ClickEventAvro.ToBytes(e), out var back, out _));
            Assert.Equal(e, back);
        }
    }

    [Fact]
    public void a_session_whose_visitor_fields_change_gets_the_new_values_not_the_remembered_ones()
    {
        var codec = new ClickEventAvro();
        var first = SampleEvents.Purchase();
        var moved = first with { EventId = Guid.NewGuid(), IpAddress = "10.1.3.0", GeoCity = "Bonn", CampaignId = "spring" };
        var back = first with { EventId = Guid.NewGuid() };

        foreach (var e in new[] { first, first, moved, moved, back, moved })
        {
            Assert.True(codec.TryRead(ClickEventAvro.ToBytes(e), out var decoded, out _));
            Assert.Equal(e, decoded);
        }
    }

    [Theory]
    [InlineData("https://shop.example/p/7", "https://shop.example/p/7")]
    [InlineData("https://shop.example/p/7", "https://shop.example/p/8")]
    [InlineData("https://shop.example/p/7", "https://shop.example/p/77")]
    [InlineData("https://shop.example/köln", "https://shop.example/köln")]
    [InlineData("https://shop.example/köln", "https://shop.example/kölm")]
    public void a_referrer_equal_or_close_to_the_sessions_previous_page_decodes_to_its_own_text(string page, string referrer)
    {
        var codec = new ClickEventAvro();
        var previous = SampleEvents.Purchase() with { PageUrl = page };
        var next = previous with { EventId = Guid.NewGuid(), PageUrl = "https://shop.example/cart", Referrer = referrer };

        foreach (var e in new[] { previous, next, previous, next })
        {
            Assert.True(codec.TryRead(ClickEventAvro.ToBytes(e), out var decoded, out _));
            Assert.Equal(e, decoded);
        }
    }

    private static byte[] Mutate(Random rng, byte[] body)
    {
        var copy = (byte[])body.Clone();
        switch (rng.Next(4))
        {
            case 0: // one byte anywhere, often inside a run's string or length
                copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
                return copy;
            case 1: // one bit, so the run differs from a cached one in a single place
                copy[rng.Next(copy.Length)] ^= (byte)(1 << rng.Next(8));
                return copy;
            case 2: // cut short
                return copy[..rng.Next(copy.Length)];
            default: // a non-ASCII byte in the middle, which must fail as invalid UTF-8 or decode to new text
                copy[rng.Next(copy.Length)] = (byte)(0x80 | rng.Next(128));
                return copy;
        }
    }

    private sealed class FrameSink : ITrafficWriter
    {
        public List<byte[]> Bodies { get; } = [];

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click) Bodies.Add(record.Payload[ConfluentWireFormat.HeaderLength..].ToArray());
        }

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }

    // Valid frames only (no faults, no CDC) from a small population, so that visitors and sessions repeat.
    private static FrameSink Generate(int users, int products, int sessions, int events)
    {
        var settings = new GeneratorSettings
        {
            Users = users, Products = products, ConcurrentSessions = sessions, MaxEvents = events, Cdc = false,
            MalformedRate = 0, LateRate = 0, DuplicateRate = 0,
        };
        var capture = new FrameSink();
        using (var sink = new AvroTrafficWriter(capture, schemaId: 3))
            GeneratorRunner.Run(new ClickstreamGenerator(settings), sink);
        return capture;
    }
}
