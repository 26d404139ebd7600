using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Kafka;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice broker</c>: the embedded broker on its own, for producer, processors and dashboard in separate processes.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var brokers = new Option<int?>("--brokers") { Description = "Brokers in the mock cluster (default kafka.embedded.brokers)" };
        var bootstrapFile = new Option<FileInfo?>("--bootstrap-file") { Description = "Also write the bootstrap servers to this file" };
        var command = new Command("broker", "Run the embedded Kafka-protocol broker until Ctrl+C and print its bootstrap servers")
        {
            brokers, bootstrapFile,
        };
        command.SetAction(async (parse, ct) =>
        {
            var extra = parse.GetValue(brokers) is { } n ? new[] { $"kafka.embedded.brokers={n}" } : [];
            var options = GlobalOptions.LoadOptions(parse, extra);
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var logger = loggers.CreateLogger("Sluice.Broker");
            using var broker = EmbeddedBroker.Start(options.Kafka.Embedded.Brokers, KafkaConnection.Topics(options));
            if (parse.GetValue(bootstrapFile) is { } file)
            {
                var tmp = file.FullName + ".tmp";
                await File.WriteAllTextAsync(tmp, broker.BootstrapServers + "\n", ct).ConfigureAwait(false);
                File.Move(tmp, file.FullName, overwrite: true);
            }
            // stdout carries only the bootstrap string, so scripts can capture it: BS=$(sluice broker | head -1)
            Console.WriteLine(broker.BootstrapServers);
            await Console.Out.FlushAsync(ct).ConfigureAwait(false);
            logger.LogInformation("embedded broker up: {Brokers} broker(s) at {Bootstrap}; topics {Topics}; Ctrl+C stops it",
                broker.BrokerCount, broker.BootstrapServers, string.Join(", ", broker.Topics.Select(t => $"{t.Key} ({t.Value} partitions)")));
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            logger.LogInformation("embedded broker stopped");
            if (parse.GetValue(bootstrapFile) is { } f) f.Delete();
            return 0;
        });
        return command;
    }
}
