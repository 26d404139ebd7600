using Microsoft.Extensions.Hosting;
using Sluice.Pipelines.Hosting;

namespace Sluice.App.Demo;

/// <summary>The demo's course as a hosted service: runs it to its end, records a failure, then stops the host.</summary>
internal sealed class DemoRunService(Func<CancellationToken, Task> run, ProcessorFailures failures, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await run(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failures.Record(ex);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
