using System.CommandLine;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Core.Errors;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice topics</c>: every topic with its partitions, offsets and records held, and each consumer group's lag.</summary>
internal static class TopicsCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "Kafka host:port list (default kafka.bootstrapServers)" };
        var groups = new Option<string[]>("--group")
        {
            Description = "Consumer group to show the lag of (repeatable; default: every group the cluster lists)",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("topics", "List every topic with partitions, log start and end offsets, records held, and consumer groups with their lag")
        {
            bootstrap, groups,
        };
        command.SetAction(parse =>
        {
            var extra = parse.GetValue(bootstrap) is { } bs ? new[] { $"kafka.bootstrapServers={bs}" } : [];
            var options = GlobalOptions.LoadOptions(parse, extra);
            if (options.Kafka.UseEmbeddedBroker)
                ThrowHelper.Throw("topics needs a Kafka cluster: set kafka.bootstrapServers or pass --bootstrap-servers (`sluice broker` runs the embedded one in its own process)");
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging, LogLevel.Warning);
            using var connection = KafkaConnection.Open(options, loggers);
            var topics = connection.Metadata.Topics
                .Where(t => !t.Topic.StartsWith("__", StringComparison.Ordinal) && t.Error.Code == ErrorCode.NoError)
                .OrderBy(t => t.Topic, StringComparer.Ordinal)
                .ToList();
            using var probe = connection.Factory.CreateConsumer($"{options.Kafka.ClientId}-topics-probe", "topics");
            var watermarks = new Dictionary<TopicPartition, WatermarkOffsets>();
            foreach (var topic in topics)
                foreach (var p in topic.Partitions)
                {
                    var tp = new TopicPartition(topic.Topic, p.PartitionId);
                    watermarks[tp] = probe.QueryWatermarkOffsets(tp, Timeout);
                }
            AnsiConsole.Write(TopicTable(topics, watermarks, connection.Factory.BootstrapServers));

            var (names, note) = GroupNames(connection.Factory, parse.GetValue(groups) ?? []);
            AnsiConsole.Write(GroupTable(connection.Factory, names, topics, watermarks, note));
            return 0;
        });
        return command;
    }

    private static Table TopicTable(List<TopicMetadata> topics, Dictionary<TopicPartition, WatermarkOffsets> watermarks, string bootstrap)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"topics at {bootstrap}");
        table.AddColumn("topic");
        table.AddColumn(new TableColumn("partitions").RightAligned());
        table.AddColumn(new TableColumn("log start (min–max)").RightAligned());
        table.AddColumn(new TableColumn("log end (sum)").RightAligned());
        table.AddColumn(new TableColumn("records held").RightAligned());
        table.AddColumn(new TableColumn("deleted").RightAligned());
        foreach (var topic in topics)
        {
            var marks = topic.Partitions.Select(p => watermarks[new TopicPartition(topic.Topic, p.PartitionId)]).ToList();
            var starts = marks.Select(m => m.Low.Value).DefaultIfEmpty(0).ToList();
            long end = marks.Sum(m => m.High.Value), start = starts.Sum();
            table.AddRow(Markup.Escape(topic.Topic), topic.Partitions.Count.ToString(Inv),
                starts.Min() == starts.Max() ? starts.Min().ToString("N0", Inv) : $"{starts.Min():N0}–{starts.Max():N0}",
                end.ToString("N0", Inv), (end - start).ToString("N0", Inv), start.ToString("N0", Inv));
        }
        table.Caption("deleted: records before the log start, gone from the broker (the embedded one keeps 5 MiB per partition)");
        return table;
    }

    // The cluster's own list when none are named; a broker that cannot list them (or lists none) is said so, not hidden.
    private static (List<string> Names, string? Note) GroupNames(Sluice.Kafka.KafkaClientFactory factory, string[] named)
    {
        if (named.Length > 0) return ([.. named], null);
        try
        {
            var config = new AdminClientConfig { BootstrapServers = factory.BootstrapServers };
            using var admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
            var groups = admin.ListGroups(Timeout).Where(g => g.ProtocolType is "consumer" or "").Select(g => g.Group).Order(StringComparer.Ordinal).ToList();
            return (groups, groups.Count == 0 ? "the cluster lists no consumer groups; name one with --group" : null);
        }
        catch (KafkaException ex)
        {
            return ([], $"the cluster did not list its consumer groups ({ex.Error.Reason}); name them with --group");
        }
    }

    private static Table GroupTable(Sluice.Kafka.KafkaClientFactory factory, List<string> groups, List<TopicMetadata> topics,
        Dictionary<TopicPartition, WatermarkOffsets> watermarks, string? note)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("consumer groups: committed offsets and lag");
        table.AddColumn("group");
        table.AddColumn("topic");
        table.AddColumn(new TableColumn("partitions committed").RightAligned());
        table.AddColumn(new TableColumn("committed (sum)").RightAligned());
        table.AddColumn(new TableColumn("lag").RightAligned());
        foreach (var group in groups)
        {
            // A consumer that never subscribes does not join the group: it only reads the group's committed offsets.
            using var reader = factory.CreateConsumer(group, "topics");
            var committed = reader.Committed(watermarks.Keys, Timeout).Where(c => c.Offset.Value >= 0).ToList();
            foreach (var byTopic in committed.GroupBy(c => c.Topic).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var lag = byTopic.Sum(c => Math.Max(0, watermarks[c.TopicPartition].High.Value - c.Offset.Value));
                var partitions = topics.First(t => t.Topic == byTopic.Key).Partitions.Count;
                table.AddRow(Markup.Escape(group), Markup.Escape(byTopic.Key), $"{byTopic.Count()} of {partitions}",
                    byTopic.Sum(c => c.Offset.Value).ToString("N0", Inv), lag.ToString("N0", Inv));
            }
            if (committed.Count == 0) table.AddRow(Markup.Escape(group), "", "0", "", "nothing committed");
        }
        if (note is not null) table.Caption(Markup.Escape(note));
        return table;
    }
}
