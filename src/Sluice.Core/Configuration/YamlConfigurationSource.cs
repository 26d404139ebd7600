using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

/// <summary>Reads a YAML file into configuration keys (<c>section:key</c>); sequences become <c>key:0</c>, <c>key:1</c>.</summary>
public sealed class YamlConfigurationSource(string path) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new YamlConfigurationProvider(path);
}

internal sealed class YamlConfigurationProvider(string path) : ConfigurationProvider
{
    public override void Load()
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        YamlStream stream;
        using (var reader = new StreamReader(path)) stream = YamlFile.Load(reader, $"configuration file {path}");
        if (stream.Documents.Count > 0) Flatten(stream.Documents[0].RootNode, "", data);
        Data = data;
    }

    private static void Flatten(YamlNode node, string prefix, Dictionary<string, string?> data)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                    Flatten(value, prefix.Length == 0 ? ((YamlScalarNode)key).Value! : $"{prefix}:{((YamlScalarNode)key).Value}", data);
                break;
            case YamlSequenceNode seq:
                for (var i = 0; i < seq.Children.Count; i++) Flatten(seq.Children[i], $"{prefix}:{i}", data);
                break;
            case YamlScalarNode scalar:
                // "~", "null" and an empty value are YAML's null: leave the default in place.
                var isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null";
                data[prefix] = isNull ? (scalar.Value == "" ? "" : null) : scalar.Value;
                break;
        }
    }
}
