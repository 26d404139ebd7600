using System.CommandLine;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Hosting;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.Serve;
using Sluice.Serve.Api;
using Sluice.Serve.Health;
using Sluice.Streaming.Checkpoints;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice process</c>: the clickstream processor as a long-running service, members of one consumer group with checkpointed state.</summary>
internal static class ProcessCommand
{
    public static Command Create()
    {
        var members = new Option<int>("--members") { Description = "Group members (threads) to run in this process (1-64)", DefaultValueFactory = _ => 1 }
            .Require(v => v is >= 1 and <= 64, "--members must be between 1 and 64");
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "Kafka host:port list (default kafka.bootstrapServers)" };
        var command = new Command("process",
            "Run the clickstream processor until SIGTERM or Ctrl+C: members of processor.groupId, state checkpointed every processor.checkpointInterval")
        {
            members, bootstrap,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            return await RunAsync(options, parse.GetValue(members), loggers, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(SluiceOptions options, int memberCount, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("Sluice.Process");
        // Every value first: a bad processor.* key is one line, before any broker is contacted or checkpoint directory created.
        ClickstreamProcessor.Validate(options);
        if (options.Kafka.UseEmbeddedBroker)
            ThrowHelper.Throw("process needs a Kafka cluster: set kafka.bootstrapServers or pass --bootstrap-servers (`sluice broker` runs the embedded one in its own process)");
        // Everything that can be checked is checked before joining the group, so a mistake is one line, not a member
        // that waits in the group for a topic that does not exist.
        using var connection = KafkaConnection.Open(options, loggers);
        EnsureTopics(connection, options);
        var availability = connection.WatchAvailability(options, loggers);
        await EnsureRegistryAsync(options, ct).ConfigureAwait(false);
        using var store = CheckpointStores.FromOptions(options);
        store.Open();
        logger.LogInformation("process: {Members} member(s) of group {Group} on {Topic}; checkpoints every {Interval} in {Store}",
            memberCount, options.Processor.GroupId, options.Kafka.Topics.Events, options.Processor.CheckpointInterval, store.Description);

        // One per process, shared by the members; queued alerts are delivered (for up to 10 s) after the members stop.
        await using var alerts = QualityAlertDispatcher.FromOptions(options.Quality, loggers);
        var failures = new ProcessorFailures();
        var readiness = new ProcessorReadiness(availability, failures);
        var builder = ProcessorHost.CreateBuilder("sluice-process");
        builder.Services.AddSingleton(readiness);
        var group = new ProcessorGroup();
        var warehouse = WarehouseChoice.ForProcess(options);
        using var disposeWarehouse = warehouse.Reader as IDisposable;
        // Before the members: up, and not ready, before any partition is assigned.
        ObserveServer.AddTo(builder.Services, options, ProcessorReadinessChecks.For(group, readiness, options.Observe.ReadyMaxLag), loggers.CreateLogger("Sluice.Observe"),
            "process", warehouse);
        ProcessorHost.AddMembers(builder.Services, memberCount, i => ClickstreamProcessor.FromOptions(options, connection.Factory, $"member-{i}", loggers, store, alerts),
            group, failures, loggers.CreateLogger("Sluice.Process.Member"));
        using (var host = builder.Build())
        {
            // Past kafka.unavailableDeadline the members stop: their last checkpoint cannot be flushed, and the command
            // exits with the watch's one line.
            using var giveUp = availability.Expired.Register(() => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication());
            await host.RunAsync(ct).ConfigureAwait(false);
        }
        if (connection.Unavailable is { } unavailable) throw unavailable;

        if (failures.First is { } failure)
        {
            if (failure is SluiceException) throw failure;
            ThrowHelper.Throw($"a processor member failed: {failure.GetType().Name}: {failure.Message}", inner: failure);
        }
        var lost = group.LostInput;
        if (lost.Count > 0)
            logger.LogError("process: not exact: the broker deleted {Records} input records before they were read ({Partitions})",
                lost.Sum(l => l.Value), string.Join(", ", lost.Select(l => $"{l.Key}: {l.Value}")));
        logger.LogInformation("process: stopped cleanly after {Records} records", group.Processed);
        return 0;
    }

    private static void EnsureTopics(KafkaConnection connection, SluiceOptions options)
    {
        var metadata = connection.Metadata;
        var topology = ClickstreamProcessor.TopologyOptions(options);
        // The processor never touches the dead letters' replay log, nor the CDC topic unless it joins users.
        var unused = new List<string> { PipelineTopics.ReplayLog(PipelineTopics.DeadLetters(options)) };
        if (!topology.JoinsUsers) unused.Add(options.Kafka.Topics.CdcUsers);
        foreach (var topic in PipelineTopics.All(options).Where(t => !unused.Contains(t)))
        {
            var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
            if (found is null || found.Error.Code == ErrorCode.UnknownTopicOrPart || found.Partitions.Count == 0)
                ThrowHelper.Throw($"topic {topic} does not exist at {connection.Factory.BootstrapServers}; create it (`sluice broker` creates every pipeline topic) or check kafka.topics.*" +
                    (topic == options.Kafka.Topics.CdcUsers ? ", or set processor.userDimension: false to run without the user dimension" : ""));
            if (found.Error.Code != ErrorCode.NoError)
                ThrowHelper.Throw($"topic {topic} at {connection.Factory.BootstrapServers} cannot be used: {found.Error.Reason}", isTransient: found.Error.IsError);
        }
        if (!topology.JoinsUsers || topology.Domain.Topics is not null) return;
        // Task p joins partition p of both: the user changes must be partitioned as the events.
        var events = metadata.Topics.First(t => t.Topic == topology.InputTopic).Partitions.Count;
        var changes = metadata.Topics.First(t => t.Topic == topology.UserChangesTopic).Partitions.Count;
        if (changes != events)
            ThrowHelper.ThrowConfiguration("kafka.topics.cdcUsers",
                $"{topology.UserChangesTopic} has {changes} partitions and {topology.InputTopic} has {events}: the user changes must have as many, keyed by user_id like the events; repartition it, or set processor.userDimension: false");
    }

    private static async Task EnsureRegistryAsync(SluiceOptions options, CancellationToken ct)
    {
        if (options.SchemaRegistry.Url is not { Length: > 0 } url) return;
        using var http = new HttpClient { Timeout = options.Kafka.ConnectTimeout };
        try
        {
            using var response = await http.GetAsync(new Uri(new Uri(url.TrimEnd('/') + "/"), "subjects"), ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                ThrowHelper.Throw($"the schema registry at {url} answered {(int)response.StatusCode} {response.ReasonPhrase} to GET /subjects; check schemaRegistry.url");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            ThrowHelper.Throw($"no schema registry answered at {url} ({ex.Message}); check schemaRegistry.url, or leave it empty to read JSON only", isTransient: true, ex);
        }
    }
}
