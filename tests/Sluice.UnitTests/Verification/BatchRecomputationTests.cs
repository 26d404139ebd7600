using System.Text;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Sluice.Verification;

namespace Sluice.UnitTests.Verification;

/// <summary>The batch recomputation against the streaming topology over the same generated traffic: every output equal by id and content.</summary>
public class BatchRecomputationTests
{
    // Processing time after every generated event (the generator's clock starts 2026-01-01 and 15k events cover under a day).
    private static readonly DateTimeOffset Now = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);

    private static GeneratorSettings Traffic(long seed, long events) => new()
    {
        Seed = seed,
        Users = 2_000,
        MaxEvents = events,
        // Every fault kind, often enough that each appears dozens of times.
        LateRate = 0.01,
        OutOfOrderRate = 0.03,
        DuplicateRate = 0.01,
        BotRate = 0.02,
        MalformedRate = 0.03,
    };

    [Theory]
    [InlineData(1L, 3, true)]
    [InlineData(20260101L, 2, false)]
    [InlineData(777L, 3, false)]
    public void batch_recomputation_equals_the_streaming_topology_on_json_traffic(long seed, int partitions, bool endOfInput) =>
        AssertEqualToTopology(Traffic(seed, 15_000), partitions, PayloadFormat.Json, endOfInput);

    [Fact]
    public void batch_recomputation_equals_the_streaming_topology_with_the_file_s_own_aggregates()
    {
        var options = new ClickstreamOptions
        {
            Domain = Pipelines.EcommerceDomain.Parse(Pipelines.EcommerceDomain.Text + Pipelines.FileAggregatesTests.Aggregates),
        };
        var (input, _) = ManifestReplay.Generate(Traffic(5, 12_000), long.MaxValue, 2, PayloadFormat.Json, avroSchemaId: 1);

        var actual = TopologyOutputs.Run(input, options, null, Now, endOfInput: true);
        var result = Verifier.Compare(input, actual, options, null, Now.ToUnixTimeMilliseconds(), examples: 5);

        Assert.True(result.IsEqual, Describe(result));
        var names = actual[ClickstreamOutput.Aggregated]
            .Select(r => System.Text.Json.JsonDocument.Parse(r.Value).RootElement.GetProperty("aggregate").GetString()).ToHashSet();
        Assert.Contains("country_revenue_15m", names);
        Assert.Contains("mobile_hourly", names);
    }

    [Fact]
    public void batch_recomputation_equals_the_streaming_topology_on_avro_frames() =>
        AssertEqualToTopology(Traffic(99, 10_000), 2, PayloadFormat.Avro, endOfInput: true);

    [Fact]
    public void batch_recomputation_equals_the_streaming_topology_where_sessions_close_under_stragglers()
    {
        // Few users, 5-minute sessions, clicks up to 4 minutes apart and up to 2.5 minutes out of order: stragglers land
        // in sessions the watermark has just closed, bridge sessions, or come too late for their minute. Repeated ids, bots, blank
        // users and clicks at the same millisecond too.
        var random = new Random(11);
        var t0 = Pipelines.ClickstreamFixture.T0;
        // First, for certain: u9's session [t0+30s, t0+5m30s) closes when u8's click moves the watermark to t0+5m40s, and
        // u9's click at t0+5m10s, on time for its minute, falls inside it.
        var records = new List<byte[]>
        {
            Core.Events.ClickEventJson.ToBytes(Pipelines.ClickstreamFixture.Event(at: t0 + 30_000, user: "u9", page: "/a")),
            Core.Events.ClickEventJson.ToBytes(Pipelines.ClickstreamFixture.Event(at: t0 + 7 * 60_000 + 40_000, user: "u8")),
            Core.Events.ClickEventJson.ToBytes(Pipelines.ClickstreamFixture.Event(at: t0 + 5 * 60_000 + 10_000, user: "u9", page: "/b")),
        };
        var newest = t0 + 10 * 60_000;
        var earlier = new List<Core.Events.ClickEvent>();
        for (var i = 0; i < 3_000; i++)
        {
            var roll = random.Next(100);
            if (roll < 3 && earlier.Count > 0)
            {
                records.Add(Core.Events.ClickEventJson.ToBytes(earlier[random.Next(earlier.Count)]));
                continue;
            }
            newest += roll < 10 ? 0 : random.Next(0, 4 * 60_000);
            var user = random.Next(4) switch { 0 => "", _ => $"u{random.Next(3)}" };
            var e = Pipelines.ClickstreamFixture.Event(
                roll < 20 ? Core.Events.EventType.Purchase : Core.Events.EventType.PageView,
                at: newest - random.Next(0, 150_000), user: user, session: $"s{random.Next(3)}",
                product: roll < 20 ? $"p{random.Next(12)}" : null, category: roll < 20 ? $"c{random.Next(3)}" : null,
                price: roll < 20 ? 100 * random.Next(1, 9) : null, quantity: roll < 20 ? random.Next(1, 3) : null,
                page: roll is >= 20 and < 30 ? null : $"/p{i}",
                userAgent: roll is >= 95 ? "Googlebot/2.1" : "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0");
            earlier.Add(e);
            records.Add(Core.Events.ClickEventJson.ToBytes(e));
        }
        var input = new VerificationInput("clickstream.events",
            [records.Select((r, offset) => new TopicRecord("clickstream.events", 0, offset, null, r)).ToList()], "hand-made");
        var options = new ClickstreamOptions { SessionGap = TimeSpan.FromMinutes(5) };
        var actual = TopologyOutputs.Run(input, options, null, Now, endOfInput: true);
        var result = Verifier.Compare(input, actual, options, null, Now.ToUnixTimeMilliseconds(), examples: 5);

        Assert.True(result.IsEqual, Describe(result));
        var late = actual[ClickstreamOutput.Late].Select(r => System.Text.Json.JsonDocument.Parse(r.Value).RootElement.GetProperty("aggregate").GetString()).ToList();
        Assert.Contains(AggregateNames.Sessions, late);
        Assert.Contains(AggregateNames.Events1m, late);
    }

    private static void AssertEqualToTopology(GeneratorSettings settings, int partitions, PayloadFormat format, bool endOfInput)
    {
        var options = new ClickstreamOptions();
        ISchemaSource? schemas = format == PayloadFormat.Avro ? new StaticSchemaSource().Add(1, EventSchemas.V3) : null;
        var (input, clicks) = ManifestReplay.Generate(settings, long.MaxValue, partitions, format, avroSchemaId: 1);
        Assert.Equal(settings.MaxEvents, clicks);

        var actual = TopologyOutputs.Run(input, options, schemas, Now, endOfInput);
        var result = Verifier.Compare(input, actual, options, schemas, Now.ToUnixTimeMilliseconds(), examples: 5);

        Assert.True(result.IsEqual, Describe(result));
        foreach (var report in result.Outputs)
        {
            Assert.True(report.Expected > 0, $"{report.Output}: nothing expected, so nothing was checked");
            // Windows and sessions the watermark has not closed come out only at the end of the input, and then all of them.
            var emitted = endOfInput ? report.Expected + report.Pending : report.Expected;
            Assert.Equal(emitted, report.Actual);
        }
        Assert.Contains(result.Outputs, r => r.Output == ClickstreamOutput.Aggregated && r.Pending > 0);
    }

    private static string Describe(VerificationResult result)
    {
        var text = new StringBuilder();
        foreach (var r in result.Outputs)
        {
            text.AppendLine($"{r.Output}: expected {r.Expected} (+{r.Pending} pending), actual {r.Actual}, missing {r.Missing}, extra {r.Extra}, " +
                $"different {r.Different}, duplicates {r.IdenticalDuplicates}/{r.ConflictingDuplicates}");
            foreach (var d in r.Examples) text.AppendLine($"  {d.Kind} {d.Id}: {d.Detail}");
        }
        return text.ToString();
    }
}
