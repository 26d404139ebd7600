using System.Security.Cryptography;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Model;

namespace Sluice.UnitTests.Generate;

public class ClickstreamGeneratorTests
{
    private static readonly GeneratorSettings Small = new() { Users = 2_000, Products = 300, MaxEvents = 30_000 };

    private static readonly GeneratorSettings Clean = Small with
    {
        MalformedRate = 0, LateRate = 0, OutOfOrderRate = 0, DuplicateRate = 0, BotRate = 0, Cdc = false,
    };

    private static readonly Lazy<List<Recorded>> SmallRun = new(() => Recorded.Run(Small));

    private static byte[] Hash(GeneratorSettings settings)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var generator = new ClickstreamGenerator(settings);
        foreach (var r in generator)
        {
            hash.AppendData(r.Payload.Span);
            hash.AppendData([(byte)r.Fault, (byte)r.Kind]);
        }
        return hash.GetHashAndReset();
    }

    [Fact]
    public void same_seed_and_settings_give_a_byte_identical_stream()
    {
        Assert.Equal(Hash(Small), Hash(Small));
    }

    [Fact]
    public void another_seed_gives_another_stream()
    {
        Assert.NotEqual(Hash(Small), Hash(Small with { Seed = 43 }));
    }

    [Fact]
    public void stops_at_the_event_limit_counting_click_records_only()
    {
        var run = SmallRun.Value;
        Assert.Equal(30_000, run.Count(r => r.IsClick));
        Assert.Contains(run, r => !r.IsClick);
    }

    [Fact]
    public void stops_at_the_duration_on_the_event_clock()
    {
        var settings = Clean with { MaxEvents = 0, Duration = TimeSpan.FromMinutes(30) };
        var run = Recorded.Run(settings);
        var start = settings.Start.ToUnixTimeMilliseconds();
        Assert.NotEmpty(run);
        Assert.All(run, r => Assert.InRange(r.Record.EventTime, start, start + 30 * 60_000 - 1));
    }

    [Fact]
    public void clean_events_decode_as_valid_v3_events_with_integer_money()
    {
        foreach (var r in SmallRun.Value.Where(r => r.IsClick && r.Fault is FaultKind.None))
        {
            Assert.True(ClickEventJson.TryRead(r.Payload, out var e, out var error), error.Detail);
            Assert.Equal(r.Event, e);
            Assert.Equal(3, e!.SchemaVersion);
            Assert.Equal(e.PartitionKey, r.Record.Key);
            if (e.PriceCents is { } price) Assert.True(price > 0);
            if (e.EventType == EventType.Purchase) Assert.True(e.Quantity >= 1 && e.ProductId is not null);
            if (e.IpAddress is { } ip) Assert.EndsWith(".0", ip);
        }
    }

    [Fact]
    public void anonymous_visitors_only_view_and_search()
    {
        var anonymous = SmallRun.Value.Where(r => r.Event is { UserId: null } && r.Counted).ToList();
        Assert.NotEmpty(anonymous);
        Assert.All(anonymous, r => Assert.False(r.Event!.EventType.RequiresUser(), r.Event.EventType.ToWireName()));
    }

    [Fact]
    public void every_event_type_occurs_and_some_sessions_buy()
    {
        var types = SmallRun.Value.Where(r => r.Counted).Select(r => r.Event!.EventType).ToHashSet();
        Assert.Equal(EventTypes.All.Count, types.Count);
    }

    [Fact]
    public void a_session_has_no_gap_of_30_minutes_and_a_users_sessions_are_30_minutes_apart()
    {
        var events = Recorded.Run(Clean).Select(r => r.Event!).ToList();
        const long timeout = 30 * 60_000;
        foreach (var session in events.GroupBy(e => e.SessionId))
        {
            var times = session.Select(e => e.Timestamp).ToList();
            for (var i = 1; i < times.Count; i++) Assert.InRange(times[i] - times[i - 1], 0, timeout - 1);
        }
        foreach (var user in events.Where(e => e.UserId is not null).GroupBy(e => e.UserId))
        {
            var sessions = user.GroupBy(e => e.SessionId).Select(s => (First: s.Min(e => e.Timestamp), Last: s.Max(e => e.Timestamp)))
                .OrderBy(s => s.First).ToList();
            for (var i = 1; i < sessions.Count; i++) Assert.True(sessions[i].First - sessions[i - 1].Last >= timeout);
        }
    }

    [Fact]
    public void every_record_carries_its_fault_label_and_counts_follow_the_rates()
    {
        var clicks = Recorded.Run(Small with { MaxEvents = 100_000 }).Where(r => r.IsClick).ToList();
        double Share(Func<FaultKind, bool> which) => clicks.Count(r => which(r.Fault)) / (double)clicks.Count;
        Assert.InRange(Share(k => k.IsMalformed()), 0.007, 0.013);
        Assert.InRange(Share(k => k == FaultKind.Bot), 0.015, 0.025);
        Assert.InRange(Share(k => k == FaultKind.OutOfOrder), 0.015, 0.025);
        Assert.InRange(Share(k => k == FaultKind.Late), 0.003, 0.007);
        Assert.InRange(Share(k => k == FaultKind.Duplicate), 0.003, 0.007);
        foreach (var kind in FaultKinds.Malformed) Assert.Contains(clicks, r => r.Fault == kind);
    }

    [Fact]
    public void zero_rates_give_only_clean_events()
    {
        Assert.All(Recorded.Run(Clean), r => Assert.Equal(FaultKind.None, r.Fault));
    }

    [Fact]
    public void structural_malformations_fail_decoding_with_the_expected_reason()
    {
        var malformed = SmallRun.Value.Where(r => r.Fault.IsMalformed()).ToList();
        foreach (var r in malformed)
        {
            var decoded = ClickEventJson.TryRead(r.Payload, out var e, out var error);
            switch (r.Fault)
            {
                case FaultKind.NegativePrice:
                    Assert.True(decoded);
                    Assert.True(e!.PriceCents < 0);
                    break;
                case FaultKind.ZeroQuantity:
                    Assert.True(decoded);
                    Assert.Equal(EventType.Purchase, e!.EventType);
                    Assert.Equal(0, e.Quantity);
                    break;
                default:
                    Assert.False(decoded, r.Fault.ToLabel());
                    Assert.Equal(r.Fault.ExpectedReasonCode(), error.ReasonCode);
                    break;
            }
        }
    }

    [Fact]
    public void late_events_arrive_minutes_behind_and_out_of_order_events_within_the_bound()
    {
        var head = 0L;
        var sawLate = false;
        var sawOutOfOrder = false;
        foreach (var r in SmallRun.Value.Where(r => r.IsClick))
        {
            var behind = head - r.Record.EventTime;
            if (r.Fault == FaultKind.Late)
            {
                sawLate = true;
                // The head is the newest event already sent: at least LateMin minus one inter-event gap behind.
                Assert.InRange(behind, Small.LateMin.TotalMilliseconds - 60_000, Small.LateMax.TotalMilliseconds);
            }
            if (r.Fault == FaultKind.OutOfOrder)
            {
                sawOutOfOrder = true;
                Assert.True(behind < Small.OutOfOrderBound.TotalMilliseconds, $"out-of-order event {behind} ms behind");
            }
            if (r.Counted) Assert.True(behind < Small.OutOfOrderBound.TotalMilliseconds, $"{r.Fault.ToLabel()} event {behind} ms behind");
            head = Math.Max(head, r.Record.EventTime);
        }
        Assert.True(sawLate && sawOutOfOrder);
    }

    [Fact]
    public void duplicates_repeat_the_bytes_of_an_earlier_valid_event()
    {
        var firstSeen = new Dictionary<EventId, byte[]>();
        var duplicates = 0;
        foreach (var r in SmallRun.Value.Where(r => r.IsClick))
        {
            if (r.Fault == FaultKind.Duplicate)
            {
                duplicates++;
                Assert.True(firstSeen.TryGetValue(r.Record.EventId, out var original));
                Assert.Equal(original, r.Payload);
            }
            else if (r.Counted)
            {
                firstSeen[r.Record.EventId] = r.Payload;
            }
        }
        Assert.True(duplicates > 0);
    }

    [Fact]
    public void bots_use_crawler_agents_and_keep_one_endless_session_while_cubot_phones_are_human()
    {
        var run = SmallRun.Value;
        var bots = run.Where(r => r.Fault == FaultKind.Bot).Select(r => r.Event!).ToList();
        var botAgents = UserAgents.Bots.Select(b => b.UserAgent).ToHashSet();
        Assert.All(bots, e => Assert.Contains(e.UserAgent!, botAgents));
        Assert.Equal(UserAgents.Bots.Length, bots.Select(e => e.SessionId).Distinct().Count());
        // A bot's session spans the whole run, far beyond any session timeout.
        var span = bots.GroupBy(e => e.SessionId).Max(g => g.Max(e => e.Timestamp) - g.Min(e => e.Timestamp));
        Assert.True(span > 60 * 60_000);
        Assert.Contains(run, r => r.IsClick && r.Fault == FaultKind.None && r.Event!.UserAgent!.Contains("CUBOT", StringComparison.Ordinal));
    }

    [Fact]
    public void fault_rates_do_not_change_the_journeys()
    {
        // Faults draw from their own generator: the journey events of a faulty run are those of a clean run.
        var clean = Recorded.Run(Clean).Select(r => r.Record.EventId).ToList();
        var faulty = Recorded.Run(Small with { Cdc = false })
            .Where(r => r.Fault is not (FaultKind.Bot or FaultKind.Duplicate))
            .Select(r => r.Record.EventId).ToHashSet();
        var prefix = clean.Take(20_000).ToList();
        Assert.True(prefix.Count(faulty.Contains) > prefix.Count * 0.99);
    }

    [Fact]
    public void cdc_starts_with_a_snapshot_of_every_customer_and_follows_debezium_envelopes()
    {
        var run = SmallRun.Value;
        var generatorUsers = new ClickstreamGenerator(Small).Users;
        var customers = Enumerable.Range(0, generatorUsers.Count).Count(i => generatorUsers[i].IsLoggedIn);
        var snapshot = run.TakeWhile(r => !r.IsClick).ToList();
        Assert.Equal(customers, snapshot.Count);
        foreach (var r in run.Where(r => !r.IsClick))
        {
            using var doc = JsonDocument.Parse(r.Payload);
            var root = doc.RootElement;
            var op = root.GetProperty("op").GetString();
            Assert.Contains(op, new[] { "r", "c", "u", "d" });
            Assert.Equal(op is "r" or "c" ? JsonValueKind.Null : JsonValueKind.Object, root.GetProperty("before").ValueKind);
            Assert.Equal(op == "d" ? JsonValueKind.Null : JsonValueKind.Object, root.GetProperty("after").ValueKind);
            Assert.Equal("users", root.GetProperty("source").GetProperty("table").GetString());
            Assert.Equal(Small.CdcTopic, r.Record.Topic);
            var row = op == "d" ? root.GetProperty("before") : root.GetProperty("after");
            Assert.Equal(r.Record.Key, row.GetProperty("user_id").GetString());
        }
        Assert.Contains(run, r => r.Record.Op == Sluice.Generate.Cdc.ChangeOp.Update);
        Assert.Contains(run, r => r.Record.Op == Sluice.Generate.Cdc.ChangeOp.Create);
        Assert.Contains(run, r => r.Record.Op == Sluice.Generate.Cdc.ChangeOp.Delete);
    }

    [Fact]
    public void events_reference_users_that_exist_with_the_segment_in_effect_at_their_time()
    {
        // Replay the change stream and check each customer event against the profile as of its event time.
        var run = Recorded.Run(Small with { MaxEvents = 60_000, CdcRate = 0.02 });
        var history = new Dictionary<string, List<(long Ts, string? Segment)>>();
        foreach (var r in run.Where(r => !r.IsClick))
        {
            using var doc = JsonDocument.Parse(r.Payload);
            var root = doc.RootElement;
            var after = root.GetProperty("after");
            var segment = after.ValueKind == JsonValueKind.Null ? null : after.GetProperty("segment").GetString();
            if (!history.TryGetValue(r.Record.Key, out var versions)) history[r.Record.Key] = versions = [];
            versions.Add((root.GetProperty("ts_ms").GetInt64(), segment));
        }
        var checkedEvents = 0;
        foreach (var r in run.Where(r => r.IsClick && r.Event is { UserId: not null } && r.Fault is FaultKind.None or FaultKind.Late or FaultKind.OutOfOrder))
        {
            var e = r.Event!;
            Assert.True(history.TryGetValue(e.UserId!, out var versions), $"{e.UserId} never created");
            var inEffect = versions.Where(v => v.Ts <= e.Timestamp).OrderBy(v => v.Ts).LastOrDefault();
            Assert.True(inEffect.Ts != 0 || versions.Any(v => v.Ts <= e.Timestamp), $"{e.UserId} did not exist at {e.Timestamp}");
            Assert.NotNull(inEffect.Segment);
            Assert.Equal(inEffect.Segment, e.UserSegment);
            checkedEvents++;
        }
        Assert.True(checkedEvents > 10_000);
    }

    [Theory]
    [InlineData("generator.lateRate")]
    [InlineData("generator.botRate")]
    [InlineData("generator.duplicateRate")]
    public void negative_rates_are_rejected_naming_the_key(string key)
    {
        var settings = key switch
        {
            "generator.lateRate" => Small with { LateRate = -0.1 },
            "generator.botRate" => Small with { BotRate = -1 },
            _ => Small with { DuplicateRate = double.NaN },
        };
        var ex = Assert.Throws<ConfigurationException>(() => new ClickstreamGenerator(settings));
        Assert.Equal(key, ex.Key);
    }

    [Fact]
    public void late_bound_inside_the_out_of_order_bound_is_rejected()
    {
        var ex = Assert.Throws<ConfigurationException>(() => (Small with { LateMin = TimeSpan.FromMinutes(1) }).Validate());
        Assert.Equal("generator.lateMin", ex.Key);
    }

    [Fact]
    public void fault_rates_adding_up_to_more_than_one_are_rejected()
    {
        var ex = Assert.Throws<ConfigurationException>(() => (Small with { MalformedRate = 0.6, OutOfOrderRate = 0.5 }).Validate());
        Assert.Equal("generator.invalidRate", ex.Key);
    }

    [Fact]
    public void unbounded_run_without_duration_is_rejected()
    {
        var ex = Assert.Throws<ConfigurationException>(() => (Small with { MaxEvents = 0 }).Validate());
        Assert.Equal("generator.maxEvents", ex.Key);
    }

    [Fact]
    public void settings_follow_the_generator_keys_of_the_configuration_file()
    {
        var options = new Sluice.Core.Configuration.GeneratorOptions
        {
            Users = 123, Seed = 9, Products = 45, ConcurrentSessions = 6, AnonymousShare = 0.5, InvalidRate = 0.05, LateRate = 0.01,
            OutOfOrderRate = 0.03, DuplicateRate = 0.04, BotRate = 0.06, Cdc = false, CdcRate = 0.007,
        };
        var topics = new Sluice.Core.Configuration.TopicOptions { Events = "shop.events", CdcUsers = "shop.users" };
        var settings = GeneratorSettings.From(options, topics);
        Assert.Equal(123, settings.Users);
        Assert.Equal(9, settings.Seed);
        Assert.Equal(45, settings.Products);
        Assert.Equal(6, settings.ConcurrentSessions);
        Assert.Equal(0.5, settings.AnonymousShare);
        Assert.Equal(0.05, settings.MalformedRate);
        Assert.Equal(0.01, settings.LateRate);
        Assert.Equal(0.03, settings.OutOfOrderRate);
        Assert.Equal(0.04, settings.DuplicateRate);
        Assert.Equal(0.06, settings.BotRate);
        Assert.False(settings.Cdc);
        Assert.Equal(0.007, settings.CdcRate);
        Assert.Equal("shop.events", settings.EventsTopic);
        Assert.Equal("shop.users", settings.CdcTopic);
    }

    [Fact]
    public void configuration_defaults_give_the_same_stream_as_the_built_in_settings()
    {
        var fromDefaults = GeneratorSettings.From(new Sluice.Core.Configuration.GeneratorOptions(), new Sluice.Core.Configuration.TopicOptions());
        Assert.Equal(Hash(Small), Hash(fromDefaults with { MaxEvents = Small.MaxEvents, Users = Small.Users, Products = Small.Products }));
    }
}
