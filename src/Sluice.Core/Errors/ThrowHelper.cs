using System.Diagnostics.CodeAnalysis;

namespace Sluice.Core.Errors;

/// <summary>Throw sites kept out of hot methods so those stay small enough to inline.</summary>
public static class ThrowHelper
{
    [DoesNotReturn]
    public static void Throw(string message, bool isTransient = false, Exception? inner = null) =>
        throw new SluiceException(message, isTransient, inner);

    [DoesNotReturn]
    public static void ThrowConfiguration(string key, string problem) =>
        throw new ConfigurationException(key, problem);

    [DoesNotReturn]
    public static T ThrowConfiguration<T>(string key, string problem) =>
        throw new ConfigurationException(key, problem);
}
