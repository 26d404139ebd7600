using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Hosting;
using Sluice.Kafka;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice topics</c>: every topic's partitions, offsets and records held, and each consumer group's lag.</summary>
internal static class TopicsCommand
{
    public static Command Create()
    {
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "The cluster to inspect (default kafka.bootstrapServers)" };
        var topic = new Option<string[]>("--topic") { Description = "Only this topic (repeatable)", AllowMultipleArgumentsPerToken = false };
        var group = new Option<string[]>("--group")
        {
            Description = "Also show this consumer group's lag (repeatable; processor.groupId is always shown)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("topics", "List topics with partitions, log start and end offsets and records held, and consumer groups with their lag")
        {
            bootstrap, topic, group,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var factory = ClusterCommands.ExistingCluster(options, loggers, "topics");
            using var inspector = new TopicInspector(factory, options.Kafka.ConnectTimeout);
            var only = parse.GetValue(topic) is { Length: > 0 } t ? t : null;
            var partitions = inspector.Partitions(only);
            var groups = await inspector.GroupsAsync([options.Processor.GroupId, .. parse.GetValue(group) ?? []], partitions).ConfigureAwait(false);
            AnsiConsole.Write(TopicTable(partitions));
            AnsiConsole.Write(GroupTable(groups));
            return 0;
        });
        return command;
    }

    private static Table TopicTable(IReadOnlyList<PartitionLog> partitions)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"topics at the cluster ({partitions.Select(p => p.Topic).Distinct().Count()})");
        table.AddColumn("topic");
        foreach (var c in new[] { "partitions", "log start", "log end", "records held" }) table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var group in partitions.GroupBy(p => p.Topic))
        {
            table.AddRow(Markup.Escape(group.Key), N(group.Count()), N(group.Sum(p => p.LogStart)), N(group.Sum(p => p.LogEnd)), N(group.Sum(p => p.Held)));
            if (group.Count() == 1 || group.All(p => p.LogEnd == 0)) continue;
            foreach (var p in group)
                table.AddRow($"  [grey][[{p.Partition}]][/]", "", N(p.LogStart), N(p.LogEnd), N(p.Held));
        }
        return table;
    }

    private static Table GroupTable(IReadOnlyList<GroupPosition> positions)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"consumer groups ({positions.Select(p => p.Group).Distinct().Count()})");
        table.AddColumn("group");
        table.AddColumn("topic");
        foreach (var c in new[] { "partitions", "committed", "lag" }) table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var g in positions.GroupBy(p => (p.Group, p.Topic)))
        {
            var committed = g.Where(p => p.Committed is not null).ToList();
            table.AddRow(Markup.Escape(g.Key.Group), Markup.Escape(g.Key.Topic), N(g.Count()),
                committed.Count == 0 ? "none" : N(committed.Sum(p => p.Committed!.Value)), N(g.Sum(p => p.Lag)));
        }
        if (positions.Count == 0) table.AddRow("[grey]none[/]", "", "", "", "");
        return table;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
