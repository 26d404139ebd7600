using System.Diagnostics.CodeAnalysis;
using Sluice.Core.Errors;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines.Domains;

/// <summary>Errors in a domain file: each names the key, the file and the line, and says what to write instead.</summary>
internal static class DomainFileErrors
{
    [DoesNotReturn]
    public static void Fail(string source, YamlNode? node, string key, string problem) =>
        throw new ConfigurationException(key, $"{problem} ({source}{(node is null ? "" : $", line {node.Start.Line}")})");

    [DoesNotReturn]
    public static void Fail(string source, int line, string key, string problem) =>
        throw new ConfigurationException(key, $"{problem} ({source}{(line > 0 ? $", line {line}" : "")})");
}
