using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Pipelines.Hosting;
using Sluice.Verification;
using Sluice.Verification.Recording;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice record --dir DIR</c>: every output topic followed from its first offset into files, for <c>sluice verify --outputs-from DIR</c>.</summary>
internal static class RecordCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Where the records go (DIR/TOPIC/PARTITION.rec); a directory it wrote before is resumed where it stopped", Required = true };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "The cluster to record (default kafka.bootstrapServers)" };
        var topic = new Option<string[]>("--topic") { Description = "Record this topic instead of the processor's outputs (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("record",
            "Follow every output topic from its first offset and append each record (topic, partition, offset, key, value) to files, " +
            "so `verify --outputs-from` can check runs larger than the broker keeps; joins no group, resumes where it stopped")
        {
            dir, bootstrap, topic,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var factory = ClusterCommands.ExistingCluster(options, loggers, "record");
            var topology = ClickstreamProcessor.TopologyOptions(options);
            IReadOnlyList<string> topics = parse.GetValue(topic) is { Length: > 0 } t ? t : [.. ClickstreamOutputs.All.Select(o => o.Topic(topology)), .. UserTopics(factory, topology)];
            var directory = Path.GetFullPath(parse.GetValue(dir)!);
            Directory.CreateDirectory(directory);
            var recorder = new OutputRecorder(factory, directory, topics, options.Kafka.ConnectTimeout, loggers.CreateLogger("Sluice.Record"));
            // The consumer blocks in native code; the loop checks the token between polls.
            await Task.Factory.StartNew(() => recorder.Run(ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    // The user dimension's topics, when the processor joins users and the broker has them: a run without them still records.
    private static IEnumerable<string> UserTopics(Sluice.Kafka.KafkaClientFactory factory, Sluice.Pipelines.Clickstream.ClickstreamOptions topology)
    {
        if (!topology.JoinsUsers) return [];
        using var admin = factory.CreateAdminClient("record");
        var existing = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(m => m.Error.Code == Confluent.Kafka.ErrorCode.NoError)
            .Select(m => m.Topic).ToHashSet(StringComparer.Ordinal);
        return ClickstreamOutputs.Users.Select(o => o.Topic(topology)).Where(existing.Contains).ToList();
    }
}
