using System.Text;
using System.Text.Json;
using Sluice.Generate;
using Sluice.Pipelines.Clickstream;
using Sluice.Verification;

namespace Sluice.UnitTests.Verification;

/// <summary><c>verify</c>'s brute-force recomputation of dim_users and the events' profiles against the streaming topology.</summary>
public sealed class UserDimensionVerifyTests
{
    private static readonly DateTimeOffset Now = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);

    // Changes read after every event of a partition come hours of event time late: the horizon must reach back that far
    // for each to be corrected (beyond it an event keeps its first join, which verify reports as different).
    private static ClickstreamOptions Options() => new() { CorrectionHorizon = TimeSpan.FromDays(30) };

    private static GeneratorSettings Traffic() => new() { Seed = 31, Users = 800, MaxEvents = 12_000, Cdc = true, CdcRate = 0.02 };

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void dim_users_and_every_event_s_final_profile_equal_the_recomputation_whatever_order_the_changes_came_in(double changesAfter)
    {
        var options = Options();
        var (input, _) = ManifestReplay.Generate(Traffic(), long.MaxValue, 3);
        Assert.NotNull(input.Changes);
        var actual = TopologyOutputs.Run(input, options, null, Now, endOfInput: true, changesAfter);

        var result = Verifier.Compare(input, actual, options, null, Now.ToUnixTimeMilliseconds(), examples: 5, input.Changes);

        Assert.True(result.IsEqual, Describe(result));
        var versions = Assert.Single(result.Outputs, r => r.Output == ClickstreamOutput.UserVersions);
        var profiles = Assert.Single(result.Outputs, r => r.Output == ClickstreamOutput.EventProfiles);
        Assert.True(versions.Expected > 500, $"{versions.Expected} versions");
        Assert.Equal(result.Outputs.Single(r => r.Output == ClickstreamOutput.Enriched).Expected, profiles.Expected);
        // Read after half the events, the changes correct those joined before them.
        var corrections = actual[ClickstreamOutput.Corrections].Count;
        if (changesAfter == 0.0) Assert.Equal(0, corrections);
        else Assert.True(corrections > 100, $"{corrections} corrections");
    }

    [Fact]
    public void invalid_changes_are_expected_as_dead_letters_with_their_reason()
    {
        var options = Options();
        var (generated, _) = ManifestReplay.Generate(Traffic(), long.MaxValue, 3);
        var changes = generated.Changes!.ToList();
        var next = changes.Count(c => c.Partition == 0);
        changes.Add(new TopicRecord(options.UserChangesTopic!, 0, next, "u-x"u8.ToArray(), "not json"u8.ToArray()));
        changes.Add(new TopicRecord(options.UserChangesTopic!, 0, next + 1, "u-x"u8.ToArray(), """{"before":null,"after":{"user_id":"u-x"},"op":"z","ts_ms":5}"""u8.ToArray()));
        changes.Add(new TopicRecord(options.UserChangesTopic!, 0, next + 2, "u-x"u8.ToArray(), []));
        var input = generated with { Changes = changes };
        var actual = TopologyOutputs.Run(input, options, null, Now, endOfInput: true);

        var result = Verifier.Compare(input, actual, options, null, Now.ToUnixTimeMilliseconds(), examples: 5, input.Changes);

        Assert.True(result.IsEqual, Describe(result));
        var reasons = actual[ClickstreamOutput.DeadLetters].Select(r => JsonDocument.Parse(r.Value).RootElement)
            .Where(v => v.GetProperty("topic").GetString() == options.UserChangesTopic).Select(v => v.GetProperty("reason_code").GetString()).ToList();
        Assert.Equal(["cdc_malformed", "cdc_unknown_op"], reasons);
    }

    [Fact]
    public void a_lost_correction_or_a_version_written_wrong_is_found()
    {
        var options = Options();
        var (input, _) = ManifestReplay.Generate(Traffic(), long.MaxValue, 3);
        var actual = TopologyOutputs.Run(input, options, null, Now, endOfInput: true, changesAfter: 0.5);
        actual[ClickstreamOutput.Corrections].RemoveAt(0);
        var last = actual[ClickstreamOutput.UserVersions].Count - 1;
        var changed = Encoding.UTF8.GetString(actual[ClickstreamOutput.UserVersions][last].Value);
        using (var doc = JsonDocument.Parse(changed))
        {
            var segment = doc.RootElement.GetProperty("segment").GetString();
            changed = changed.Replace($"\"segment\":\"{segment}\"", "\"segment\":\"gold\"", StringComparison.Ordinal);
        }
        actual[ClickstreamOutput.UserVersions][last] = actual[ClickstreamOutput.UserVersions][last] with { Value = Encoding.UTF8.GetBytes(changed) };

        var result = Verifier.Compare(input, actual, options, null, Now.ToUnixTimeMilliseconds(), examples: 5, input.Changes);

        Assert.Equal(1, result.Outputs.Single(r => r.Output == ClickstreamOutput.EventProfiles).Different);
        Assert.Equal(1, result.Outputs.Single(r => r.Output == ClickstreamOutput.UserVersions).Different);
    }

    private static string Describe(VerificationResult result)
    {
        var text = new StringBuilder();
        foreach (var r in result.Outputs)
        {
            text.AppendLine($"{r.Output}: expected {r.Expected}, actual {r.Actual}, missing {r.Missing}, extra {r.Extra}, different {r.Different}");
            foreach (var d in r.Examples) text.AppendLine($"  {d.Kind} {d.Id}: {d.Detail}");
        }
        return text.ToString();
    }
}
