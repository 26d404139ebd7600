using System.CommandLine;
using System.Diagnostics;
using Confluent.Kafka;
using Sluice.Cli.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice bench</c>: end-to-end throughput figures (micro-benchmarks live in bench/Sluice.Benchmarks).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Measure throughput; each subcommand prints a table of figures");
        command.Subcommands.Add(Kafka());
        command.Subcommands.Add(BenchEngineCommand.Create());
        command.Subcommands.Add(BenchPostgresCommand.Create());
        command.Subcommands.Add(BenchLakeCommand.Create());
        command.Subcommands.Add(BenchDuckDbCommand.Create());
        command.Subcommands.Add(BenchE2eCommand.Create());
        return command;
    }

    private static Command Kafka()
    {
        var messages = new Option<int>("--messages") { Description = "Messages to produce and consume", DefaultValueFactory = _ => 1_000_000 }
            .Require(v => v >= 1, "--messages must be a positive whole number");
        var size = new Option<int>("--size") { Description = "Payload bytes per message", DefaultValueFactory = _ => 350 }
            .Require(v => v is >= 1 and <= 1_000_000, "--size must be between 1 and 1000000 bytes");
        var partitions = new Option<int>("--partitions") { Description = "Partitions of the benchmark topic", DefaultValueFactory = _ => 6 }
            .Require(v => v is >= 1 and <= 1000, "--partitions must be between 1 and 1000");
        var command = new Command("kafka", "Produce then consume through the embedded broker with Sluice's client defaults (idempotent, acks=all, lz4)")
        {
            messages, size, partitions,
        };
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse);
            int n = parse.GetValue(messages), bytes = parse.GetValue(size), parts = parse.GetValue(partitions);
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            using var connection = KafkaConnection.OpenEmbedded(options, loggers);
            var topic = $"bench.{Guid.NewGuid():N}";
            connection.Embedded!.CreateTopic(topic, parts);
            var factory = connection.Factory;

            // Compressible but not trivial payloads, like JSON events.
            var random = new Random(7);
            const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789{}\":,";
            var payloads = Enumerable.Range(0, 1024).Select(_ =>
            {
                var b = new byte[bytes];
                for (var i = 0; i < b.Length; i++) b[i] = (byte)alphabet[random.Next(alphabet.Length)];
                return b;
            }).ToArray();
            var keys = Enumerable.Range(0, 10_000).Select(i => $"u{i:D6}").ToArray();

            double produceSeconds = 0, consumeSeconds = 0;
            long consumed = 0, failed = 0, held = 0;
            AnsiConsole.Progress().Start(ctx =>
            {
                var produceTask = ctx.AddTask("produce", maxValue: n);
                using (var producer = factory.CreateProducer("bench"))
                {
                    var sw = Stopwatch.StartNew();
                    Action<DeliveryReport<string, byte[]>> onDelivered = r => { if (r.Error.IsError) Interlocked.Increment(ref failed); };
                    for (var i = 0; i < n; i++)
                    {
                        var message = new Message<string, byte[]> { Key = keys[i % keys.Length], Value = payloads[i & 1023] };
                        while (true)
                        {
                            try { producer.Produce(topic, message, onDelivered); break; }
                            catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull) { producer.Poll(TimeSpan.FromMilliseconds(5)); }
                        }
                        if ((i & 0xFFFF) == 0) produceTask.Value = i;
                    }
                    producer.Flush(TimeSpan.FromMinutes(5));
                    produceSeconds = sw.Elapsed.TotalSeconds;
                    produceTask.Value = n;
                }

                // The embedded broker keeps only 5 MiB per partition: consume what it still holds, counted from its watermarks.
                using var consumer = factory.CreateConsumer($"bench-{Guid.NewGuid():N}", "bench");
                for (var p = 0; p < parts; p++)
                {
                    var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
                    held += w.High.Value - w.Low.Value;
                }
                var consumeTask = ctx.AddTask("consume", maxValue: held);
                consumer.Subscribe(topic);
                var first = consumer.Consume(TimeSpan.FromSeconds(30));
                var watch = Stopwatch.StartNew();
                if (first is not null) consumed = 1;
                while (consumed < held)
                {
                    if (consumer.Consume(TimeSpan.FromSeconds(10)) is null) break;
                    if ((++consumed & 0xFFFF) == 0) consumeTask.Value = consumed;
                }
                consumeSeconds = watch.Elapsed.TotalSeconds;
                consumeTask.Value = consumed;
                consumer.Close();
            });

            var table = new Table().Border(TableBorder.Rounded).Title($"Kafka through the embedded broker: {n:N0} × {bytes} B, {parts} partitions");
            table.AddColumn("stage");
            table.AddColumn(new TableColumn("messages/s").RightAligned());
            table.AddColumn(new TableColumn("MB/s").RightAligned());
            table.AddColumn(new TableColumn("seconds").RightAligned());
            table.AddRow("produce (idempotent, acks=all, lz4)", $"{n / produceSeconds:N0}", $"{n * (double)bytes / produceSeconds / 1e6:N1}", $"{produceSeconds:N2}");
            table.AddRow($"consume (one consumer; the {held:N0} the broker holds)", $"{consumed / consumeSeconds:N0}", $"{consumed * (double)bytes / consumeSeconds / 1e6:N1}", $"{consumeSeconds:N2}");
            AnsiConsole.Write(table);
            if (failed > 0 || consumed != held)
            {
                Console.Error.WriteLine($"sluice: {failed} deliveries failed, {consumed:N0} of the {held:N0} held consumed");
                return 1;
            }
            return 0;
        });
        return command;
    }
}
