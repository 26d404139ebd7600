using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.Pipelines.Hosting;

/// <summary>The Generic Host that <c>process</c> and <c>demo</c> run their services on, and the processor members in it.</summary>
public static class ProcessorHost
{
    /// <summary>A host builder with no configuration or logging of its own (the command has both); services start in the order added and stop together.</summary>
    /// <remarks>
    /// In order, so a service can use what the ones before it started (the cluster's factory, the schema registry); together
    /// on stop, so every member checkpoints and leaves the group at once rather than each waiting for the rebalance the
    /// one before it caused. What members use while they stop (the broker, the registry) is released when the host is
    /// disposed, after every service has stopped.
    /// </remarks>
    public static HostApplicationBuilder CreateBuilder(string applicationName)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = applicationName });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o =>
        {
            // A member's last checkpoint and leaving the group take seconds; the host must wait for them.
            o.ShutdownTimeout = TimeSpan.FromSeconds(60);
            o.ServicesStartConcurrently = false;
            o.ServicesStopConcurrently = true;
        });
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        return builder;
    }

    /// <summary>Adds <paramref name="count"/> member services; <paramref name="create"/> makes member i (1-based) when its service starts.</summary>
    public static void AddMembers(IServiceCollection services, int count, Func<int, ClickstreamProcessor> create, ProcessorGroup group,
        ProcessorFailures failures, ILogger logger, Func<bool>? endOfInput = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        for (var i = 1; i <= count; i++)
        {
            var n = i;
            services.AddSingleton<IHostedService>(sp => new ProcessorMemberService(() => create(n), group,
                sp.GetRequiredService<IHostApplicationLifetime>(), failures, logger, endOfInput));
        }
    }
}
