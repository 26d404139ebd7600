namespace Sluice.Core.Errors;

/// <summary>The one exception type Sluice throws for conditions a user can act on.</summary>
/// <remarks>
/// The message is a single line that says what went wrong and what to do. <see cref="IsTransient"/>
/// tells a retry loop whether trying again can succeed (a broker that is starting) or not (a missing
/// native library, an invalid option).
/// </remarks>
public class SluiceException : Exception
{
    public SluiceException(string message, bool isTransient = false, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    public SluiceException() : this("Sluice failed.") { }

    public SluiceException(string message) : this(message, false) { }

    public SluiceException(string message, Exception innerException) : this(message, false, innerException) { }

    /// <summary>True when the same operation may succeed if tried again.</summary>
    public bool IsTransient { get; }
}

/// <summary>An invalid configuration value; names the key and what is allowed.</summary>
public sealed class ConfigurationException : SluiceException
{
    public ConfigurationException(string key, string problem)
        : base($"configuration key '{key}': {problem}")
    {
        Key = key;
        Problem = problem;
    }

    public ConfigurationException() : this("?", "invalid") { }

    public ConfigurationException(string message) : base(message) { Key = "?"; Problem = message; }

    public ConfigurationException(string message, Exception innerException) : base(message, innerException) { Key = "?"; Problem = message; }

    /// <summary>The configuration key, dotted (for example <c>kafka.bootstrapServers</c>).</summary>
    public string Key { get; }

    /// <summary>What is wrong and how to fix it, without the key: for reporting against the option that set it.</summary>
    public string Problem { get; }
}
