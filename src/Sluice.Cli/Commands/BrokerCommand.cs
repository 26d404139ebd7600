using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;

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
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(brokers, "kafka.embedded.brokers"));
            var file = parse.GetValue(bootstrapFile);
            if (file is not null) OptionRules.EnsureWritable(file.FullName, "--bootstrap-file");
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var logger = loggers.CreateLogger("Sluice.Broker");
            using var broker = KafkaConnection.StartEmbedded(options, loggers, KafkaConnection.Topics(options));
            if (file is not null)
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
            file?.Delete();
            return 0;
        });
        return command;
    }
}
