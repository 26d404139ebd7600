using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.Sinks.Postgres;

namespace Sluice.App.Demo;

/// <summary>A store the demo lands its outputs in: its name, its configured consumer group, and how to create it.</summary>
public sealed record DemoSink(string Name, string GroupId, Func<ISink> Create);

/// <summary>The stores <c>demo</c> runs beside the pipeline, each as a <see cref="Hosting.SinkService"/>.</summary>
/// <remarks>
/// The seam for stores: a store joins the demo with one line in <see cref="Configured"/>, naming itself, its
/// <c>sinks.&lt;name&gt;.groupId</c> and a constructor of its <see cref="ISink"/>; the demo starts it after the members,
/// waits at the end until it has stored every output record, and reports what it wrote. PostgreSQL runs when
/// <c>postgres.connectionString</c> is set.
/// </remarks>
public static class DemoSinks
{
    /// <summary>The stores the configuration enables, in the order they start.</summary>
    public static IReadOnlyList<DemoSink> Configured(SluiceOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var topics = Topics(options);
        var sinks = new List<DemoSink>();
        if (options.Postgres.ConnectionString.Length > 0)
            sinks.Add(new DemoSink("postgres", options.Sinks.Postgres.GroupId, () => new PostgresSink(options.Postgres.ConnectionString, topics, logger)));
        return sinks;
    }

    /// <summary>The output topics the processor writes, as configured.</summary>
    public static SinkTopics Topics(SluiceOptions options)
    {
        var t = ClickstreamProcessor.TopologyOptions(options);
        return new SinkTopics(t.EnrichedTopic, t.DeadLetterTopic, t.LateTopic, t.BotsTopic, t.AggregatedTopic, t.SessionsTopic);
    }
}
