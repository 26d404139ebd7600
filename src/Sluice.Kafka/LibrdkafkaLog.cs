using Microsoft.Extensions.Logging;

namespace Sluice.Kafka;

/// <summary>Where librdkafka's own log lines go: every client and the embedded broker write them through an <see cref="ILogger"/>, never raw to stderr.</summary>
internal static class LibrdkafkaLog
{
    /// <summary>A syslog level (0 emergency .. 7 debug), as librdkafka reports it, as a log level.</summary>
    public static LogLevel Level(int syslogLevel) => syslogLevel switch
    {
        <= 3 => LogLevel.Error,
        4 => LogLevel.Warning,
        5 or 6 => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>As <see cref="Level(int)"/>, but debug while <paramref name="availability"/> reports an outage: every client repeats its connection failures then, and the watch has reported the outage once.</summary>
    public static LogLevel Level(int syslogLevel, BrokerAvailability? availability) =>
        availability is { IsAvailable: false } ? LogLevel.Debug : Level(syslogLevel);

    /// <summary>Writes one librdkafka line; called on librdkafka's threads, where an exception would end the process, so a logger that throws is ignored.</summary>
    public static void Write(ILogger? logger, LogLevel level, string? facility, string? name, string? message)
    {
        if (logger is null || !logger.IsEnabled(level)) return;
        try
        {
            logger.Log(level, "librdkafka {Facility} {Name}: {Message}", facility, name, message);
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
