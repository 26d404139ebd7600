using System.CommandLine;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Cli.Inspection;
using Sluice.Kafka;
using Sluice.Schemas.Registry;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice tail TOPIC</c>: a topic's records as JSON lines, Avro decoded through the registry.</summary>
/// <remarks>Reads without joining a consumer group (partitions are assigned directly), so it commits nothing and
/// starts at once, without waiting for a rebalance.</remarks>
internal static class TailCommand
{
    public static Command Create()
    {
        var topic = new Argument<string>("topic") { Description = "The topic to read" };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "The cluster to read (default kafka.bootstrapServers)" };
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start at the oldest record the broker holds (default: only new records)" };
        var count = new Option<long?>("--count") { Description = "Stop after this many records" }
            .Require(v => v is null or > 0, "--count must be a positive whole number, for example --count 10");
        var partition = new Option<int?>("--partition") { Description = "Only this partition" }
            .Require(v => v is null or >= 0, "--partition must be 0 or more");
        var registry = new Option<string?>("--registry") { Description = "Schema registry URL for Avro frames (default schemaRegistry.url)" };
        var command = new Command("tail", "Print a topic's records as JSON lines, Avro frames decoded through the schema registry")
        {
            topic, bootstrap, fromBeginning, count, partition, registry,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"), OptionKey.Of(registry, "schemaRegistry.url"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var logger = loggers.CreateLogger("Sluice.Tail");
            var factory = ClusterCommands.ExistingCluster(options, loggers, "tail");
            var name = parse.GetValue(topic)!;

            List<PartitionLog> partitions;
            using (var inspector = new TopicInspector(factory, options.Kafka.ConnectTimeout))
                partitions = [.. inspector.Partitions([name])];
            if (parse.GetValue(partition) is { } only)
            {
                if (!partitions.Exists(p => p.Partition == only))
                    throw new Core.Errors.SluiceException($"topic {name} has no partition {only}; it has 0 to {partitions.Count - 1}");
                partitions = partitions.FindAll(p => p.Partition == only);
            }

            using var schemaRegistry = options.SchemaRegistry.Url.Length > 0 ? SchemaRegistryClients.Create(options.SchemaRegistry) : null;
            var format = new RecordJson(schemaRegistry);
            var start = parse.GetValue(fromBeginning) ? Offset.Beginning : Offset.End;
            var limit = parse.GetValue(count) ?? long.MaxValue;

            using var consumer = factory.CreateConsumer<byte[]?, byte[]?>("sluice-tail", "tail", b => b
                .SetKeyDeserializer(Deserializers.ByteArray!).SetValueDeserializer(Deserializers.ByteArray!));
            consumer.Assign(partitions.Select(p => new TopicPartitionOffset(name, p.Partition, start)));
            long printed = 0;
            try
            {
                while (printed < limit && !ct.IsCancellationRequested)
                {
                    var result = consumer.Consume(ct);
                    if (result?.Message is null) continue;
                    await Console.Out.WriteLineAsync(format.Format(result)).ConfigureAwait(false);
                    printed++;
                }
            }
            catch (OperationCanceledException)
            {
            }
            await Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (format.SawFrameWithoutRegistry)
                logger.LogWarning("Avro frames were printed as base64: set schemaRegistry.url or pass --registry to decode them");
            return ct.IsCancellationRequested && printed < limit && parse.GetValue(count) is not null ? 130 : 0;
        });
        return command;
    }
}
