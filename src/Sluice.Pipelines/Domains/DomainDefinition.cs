using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Core.Configuration;
using Sluice.Pipelines.Domains.Rules;
using YamlDotNet.RepresentationModel;
using static Sluice.Pipelines.Domains.DomainFileErrors;

namespace Sluice.Pipelines.Domains;

/// <summary>A domain file (<c>config/domains/NAME.yaml</c>) as read: its fields, its validation rules and, for a domain
/// that describes its own event, the event's key and time, its topics and its aggregates, checked for form.</summary>
/// <remarks>
/// The generator reads the same file's <c>journey</c> section. What a rule refers to (a field, its type) is checked when
/// the rules are compiled against a record type (<see cref="Rules.RuleCompiler"/>); what the event and aggregates refer
/// to, when the domain's schema is compiled (<see cref="DomainSchema"/>). Every error names the file, the line and the key.
/// </remarks>
public sealed partial class DomainDefinition
{
    private const string BuiltInResource = "Sluice.Pipelines.ecommerce.yaml";
    private static readonly Lazy<DomainDefinition> BuiltInEcommerce = new(LoadBuiltIn);
    private static readonly string[] Sections = ["name", "description", "schema", "journey", "fields", "rules", "event", "topics", "aggregates", "enrichment", "simulation"];

    private DomainDefinition(string name, string source, IReadOnlyList<FieldSpec> fields, IReadOnlyList<RuleSpec> rules, bool hasJourney)
    {
        HasJourney = hasJourney;
        Name = name;
        Source = source;
        Fields = fields;
        Rules = rules;
    }

    /// <summary>The <c>event</c> section; null for a domain whose event is a type fixed in code (e-commerce).</summary>
    public EventSpec? Event { get; private init; }

    /// <summary>The <c>topics</c> section, defaults filled in; null when the file has no <c>event</c>.</summary>
    public TopicsSpec? Topics { get; private init; }

    /// <summary>The <c>schema</c> section: the name, namespace and doc of the Avro record generated from the fields.</summary>
    public SchemaSpec Schema { get; private init; } = null!;

    /// <summary>The <c>simulation</c> section (what a generator simulates); null when the file has none.</summary>
    public SimulationSpec? Simulation { get; private init; }

    /// <summary>The <c>aggregates</c> section, in file order.</summary>
    public IReadOnlyList<AggregateSpec> Aggregates { get; private init; } = [];

    /// <summary>True when the file describes its own event (an <c>event</c> section): a <see cref="Topology.DomainTopology"/> runs it.</summary>
    public bool DescribesOwnEvent => Event is not null;

    /// <summary>The domain's name: the file's <c>name</c>, or the file name without extension.</summary>
    public string Name { get; }

    /// <summary>Where it was read from, as errors name it.</summary>
    public string Source { get; }

    public IReadOnlyList<FieldSpec> Fields { get; }

    /// <summary>The e-commerce enrichment's word lists (bots, mobile); the built-in lists where the file sets none.</summary>
    public EnrichmentSpec Enrichment { get; private init; } = EnrichmentSpec.Default;

    /// <summary>True when the file has a <c>journey</c> section (the generator's, checked by the generator).</summary>
    public bool HasJourney { get; }

    /// <summary>The validation rules, in file order (the order they are checked in).</summary>
    public IReadOnlyList<RuleSpec> Rules { get; }

    /// <summary>The built-in e-commerce domain (config/domains/ecommerce.yaml, embedded at build).</summary>
    public static DomainDefinition Ecommerce => BuiltInEcommerce.Value;

    /// <summary>Reads and checks a domain file; throws a configuration error naming the file, line and key.</summary>
    public static DomainDefinition Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) Fail(path, 0, "processor.domain", $"domain file {path} does not exist; pass an existing YAML file, or leave the key empty for the built-in e-commerce domain");
        using var reader = new StreamReader(path);
        return Parse(reader, path, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Parses YAML text; <paramref name="source"/> names it in errors.</summary>
    public static DomainDefinition Parse(TextReader yaml, string source, string defaultName = "domain")
    {
        var stream = YamlFile.Load(yaml, $"domain file {source}");
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Fail(source, 0, "fields", "the file is empty or not a mapping; it needs at least fields: and rules:");
            return null!;
        }
        foreach (var (keyNode, _) in root.Children)
        {
            var key = Scalar(keyNode);
            if (!Sections.Contains(key))
                Fail(source, keyNode, key, $"unknown section; a domain file has {string.Join(", ", Sections)}");
        }
        var name = Child(root, "name") is YamlScalarNode n && !string.IsNullOrWhiteSpace(n.Value) ? n.Value! : defaultName;
        var fields = ParseFields(Child(root, "fields"), source);
        var rules = ParseRules(Child(root, "rules"), source);
        var eventSpec = ParseEvent(Child(root, "event"), source);
        if (eventSpec is null)
        {
            foreach (var section in new[] { "topics" })
                if (Child(root, section) is { } node)
                    Fail(source, node, section, "belongs to a domain that describes its own event; add event: { key: FIELD, time: FIELD }");
        }
        return new DomainDefinition(name, source, fields, rules, Child(root, "journey") is not null)
        {
            Event = eventSpec,
            Schema = ParseSchema(Child(root, "schema"), source, name),
            Topics = eventSpec is null ? null : ParseTopics(Child(root, "topics"), source, name),
            Aggregates = ParseAggregates(Child(root, "aggregates"), source),
            Enrichment = ParseEnrichment(Child(root, "enrichment"), source, eventSpec is not null),
            Simulation = ParseSimulation(Child(root, "simulation"), source, eventSpec is not null),
        };
    }

    private static SchemaSpec ParseSchema(YamlNode? node, string source, string domain)
    {
        var spec = SchemaSpec.For(domain);
        if (node is null) return spec;
        if (node is not YamlMappingNode map)
        {
            Fail(source, node, "schema", "must be a mapping: { name: Reading, namespace: acme.sensors, doc: ... }");
            return null!;
        }
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"schema.{prop}";
            var text = Scalar(pv);
            spec = prop switch
            {
                "name" when AvroName().IsMatch(text) => spec with { Name = text },
                "name" => Invalid<SchemaSpec>(source, pv, at, $"'{text}' is not an Avro name: a letter or _, then letters, digits and _"),
                "namespace" when text.Length == 0 || text.Split('.').All(AvroName().IsMatch) => spec with { Namespace = text },
                "namespace" => Invalid<SchemaSpec>(source, pv, at, $"'{text}' is not an Avro namespace: names separated by dots"),
                "doc" => spec with { Doc = text },
                _ => Invalid<SchemaSpec>(source, pk, at, "unknown property; schema has name, namespace and doc"),
            };
        }
        return spec;
    }

    private static EnrichmentSpec ParseEnrichment(YamlNode? node, string source, bool ownEvent)
    {
        if (node is null) return EnrichmentSpec.Default;
        if (ownEvent) Fail(source, node, "enrichment", "is the e-commerce event's (bot signatures, mobile words); a domain with its own event has none");
        if (node is not YamlMappingNode map)
        {
            Fail(source, node, "enrichment", "must be a mapping: { botSignatures: [...], mobileUserAgents: [...], mobileDeviceTypes: [...] }");
            return null!;
        }
        var spec = EnrichmentSpec.Default;
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"enrichment.{prop}";
            var words = Strings(pv, source, at);
            if (words.Count == 0 || words.Any(string.IsNullOrWhiteSpace)) Fail(source, pv, at, "lists at least one word, none blank");
            spec = prop switch
            {
                "botSignatures" => spec with { BotSignatures = words },
                "mobileUserAgents" => spec with { MobileUserAgents = words },
                "mobileDeviceTypes" => spec with { MobileDeviceTypes = words },
                _ => Invalid<EnrichmentSpec>(source, pk, at, "unknown list; enrichment has botSignatures, mobileUserAgents and mobileDeviceTypes"),
            };
        }
        return spec;
    }

    private static List<FieldSpec> ParseFields(YamlNode? node, string source)
    {
        if (node is null) return [];
        if (node is not YamlMappingNode map)
        {
            Fail(source, node, "fields", "must be a mapping of field name -> { type: ..., required: ..., role: ... }");
            return null!;
        }
        var fields = new List<FieldSpec>();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var name = Scalar(keyNode);
            var key = $"fields.{name}";
            if (!SnakeCase().IsMatch(name)) Fail(source, keyNode, key, "a field name is snake_case: lower-case letters, digits and _");
            if (valueNode is not YamlMappingNode spec)
            {
                Fail(source, valueNode, key, "must be a mapping such as { type: string, required: true, role: dimension }");
                return null!;
            }
            FieldType? type = null;
            var required = false;
            var role = FieldRole.Attribute;
            var values = new List<string>();
            YamlNode? defaultNode = null;
            List<string> aliases = [];
            string? doc = null;
            foreach (var (pk, pv) in spec.Children)
            {
                var prop = Scalar(pk);
                switch (prop)
                {
                    case "type":
                        type = Enum.TryParse<FieldType>(Scalar(pv), ignoreCase: true, out var t) && !int.TryParse(Scalar(pv), out _)
                            ? t : Invalid<FieldType>(source, pv, $"{key}.type", $"'{Scalar(pv)}' is not a type; use one of {FieldSpec.TypeNames}");
                        break;
                    case "required": required = Bool(pv, source, $"{key}.required"); break;
                    case "role":
                        role = Scalar(pv) switch
                        {
                            "dimension" => FieldRole.Dimension,
                            "metric" => FieldRole.Metric,
                            "attribute" => FieldRole.Attribute,
                            var other => Invalid<FieldRole>(source, pv, $"{key}.role", $"'{other}' is not a role; use dimension, metric or attribute"),
                        };
                        break;
                    case "values": values.AddRange(Strings(pv, source, $"{key}.values")); break;
                    case "default": defaultNode = pv; break;
                    case "aliases":
                        aliases = Strings(pv, source, $"{key}.aliases");
                        if (aliases.FirstOrDefault(a => !SnakeCase().IsMatch(a)) is { } bad)
                            Fail(source, pv, $"{key}.aliases", $"'{bad}' is not a field name (snake_case: lower-case letters, digits and _)");
                        break;
                    case "doc": doc = Scalar(pv); break;
                    default: Fail(source, pk, $"{key}.{prop}", "unknown property; a field has type, required, role, (for an enum) values, and default, aliases and doc"); break;
                }
            }
            if (type is null) Fail(source, spec, $"{key}.type", $"missing; use one of {FieldSpec.TypeNames}");
            if (type == FieldType.Enum && values.Count == 0) Fail(source, spec, $"{key}.values", "an enum field lists its values: values: [a, b]");
            if (type != FieldType.Enum && values.Count > 0) Fail(source, spec, $"{key}.values", "only an enum field has values");
            if (role == FieldRole.Metric && type is not (FieldType.Long or FieldType.Int or FieldType.Double))
                Fail(source, spec, $"{key}.role", "a metric is a number (long, int or double)");
            if (fields.Any(f => f.Name == name)) Fail(source, keyNode, key, "declared twice");
            var field = new FieldSpec(name, type!.Value, required, role, values, (int)keyNode.Start.Line) { Aliases = aliases, Doc = doc };
            fields.Add(defaultNode is null ? field : field with { Default = FieldDefault(defaultNode, field, source, $"{key}.default") });
        }
        return fields;
    }

    // A default is a value of the field's type, written as the file writes values: an enum's default is one of its values.
    private static string FieldDefault(YamlNode node, FieldSpec field, string source, string key)
    {
        if (node is not YamlScalarNode scalar || scalar.Value is null)
            return Invalid<string>(source, node, key, "must be a plain value of the field's type");
        var text = scalar.Value;
        var valid = field.Type switch
        {
            FieldType.String => true,
            FieldType.Enum => field.Values.Contains(text),
            FieldType.Int => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            FieldType.Long or FieldType.Timestamp => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d),
        };
        if (!valid)
            Fail(source, node, key, field.Type == FieldType.Enum
                ? $"'{text}' is not one of the field's values ({string.Join(", ", field.Values)})"
                : $"'{text}' is not a {FieldSpec.NameOf(field.Type)}");
        return text;
    }

    private static List<RuleSpec> ParseRules(YamlNode? node, string source)
    {
        if (node is null) return [];
        if (node is not YamlSequenceNode list)
        {
            Fail(source, node, "rules", "must be a list of rules: - { code: ..., field: ..., <check> }");
            return null!;
        }
        var rules = new List<RuleSpec>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var item = list.Children[i];
            var key = $"rules[{i}]";
            if (item is not YamlMappingNode map)
            {
                Fail(source, item, key, "a rule is a mapping: { code: ..., field: ..., <check> }");
                return null!;
            }
            rules.Add(ParseRule(map, i, source));
        }
        return rules;
    }

    private static RuleSpec ParseRule(YamlMappingNode map, int index, string source)
    {
        var key = $"rules[{index}]";
        var line = (int)map.Start.Line;
        string? code = null, field = null;
        var checks = new List<string>();
        var spec = new RuleSpec(index, line, "", "");
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"{key}.{prop}";
            switch (prop)
            {
                case "code":
                    code = Scalar(pv);
                    if (!SnakeCase().IsMatch(code) || code.Length > 64)
                        Fail(source, pv, at, $"'{code}' is not a reason code; write snake_case of at most 64 characters, such as price_above_maximum");
                    break;
                case "field": field = Scalar(pv); break;
                case "when": spec = spec with { When = Conditions(pv, source, at) }; break;
                case "required": checks.Add(prop); spec = spec with { Required = True(pv, source, at) }; break;
                case "absent": checks.Add(prop); spec = spec with { Absent = True(pv, source, at) }; break;
                case "min": checks.Add("min/max"); spec = spec with { Min = Bound(pv, source, at) }; break;
                case "max": checks.Add("min/max"); spec = spec with { Max = Bound(pv, source, at) }; break;
                case "in":
                    checks.Add(prop);
                    var values = Strings(pv, source, at);
                    if (values.Count == 0) Fail(source, pv, at, "lists at least one value");
                    spec = spec with { In = values };
                    break;
                case "minLength": checks.Add("minLength/maxLength"); spec = spec with { MinLength = Count(pv, source, at) }; break;
                case "maxLength": checks.Add("minLength/maxLength"); spec = spec with { MaxLength = Count(pv, source, at) }; break;
                case "pattern":
                    checks.Add(prop);
                    try
                    {
                        _ = new Regex(Value(pv, at), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
                    }
                    catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
                    {
                        Fail(source, pv, at, $"not a regular expression the non-backtracking engine takes: {ex.Message.TrimEnd('.')}");
                    }
                    spec = spec with { Pattern = Value(pv, at) };
                    break;
                case "format":
                    checks.Add(prop);
                    if (!TextFormats.All.ContainsKey(Scalar(pv)))
                        Fail(source, pv, at, $"'{Scalar(pv)}' is not a format; use one of {string.Join(", ", TextFormats.All.Keys)}, or a pattern");
                    spec = spec with { Format = Scalar(pv) };
                    break;
                case "maxFutureSkew": checks.Add(prop); spec = spec with { MaxFutureSkew = Duration(pv, source, at) }; break;
                case "maxAge": checks.Add(prop); spec = spec with { MaxAge = Duration(pv, source, at) }; break;
                default:
                    Fail(source, pk, at, "unknown property; a rule has code, field, when and one check: required, absent, min/max, in, minLength/maxLength, pattern, format, maxFutureSkew or maxAge");
                    break;
            }
        }
        if (code is null) Fail(source, map, $"{key}.code", "missing; every rule names the reason code its dead letters carry");
        if (string.IsNullOrWhiteSpace(field)) Fail(source, map, $"{key}.field", "missing; a rule checks one field");
        var distinct = checks.Distinct().ToList();
        if (distinct.Count == 0) Fail(source, map, key, "has no check; add one of required, absent, min/max, in, minLength/maxLength, pattern, format, maxFutureSkew, maxAge");
        if (distinct.Count > 1) Fail(source, map, key, $"has {string.Join(" and ", distinct)}; a rule makes one check (write two rules, each with its own code)");
        if (spec.Min is { Field: null } lo && spec.Max is { Field: null } hi && lo.Real > hi.Real)
            Fail(source, map, $"{key}.min", $"{lo.Real.ToString(CultureInfo.InvariantCulture)} is above max {hi.Real.ToString(CultureInfo.InvariantCulture)}");
        if (spec.MinLength > spec.MaxLength) Fail(source, map, $"{key}.minLength", $"{spec.MinLength} is above maxLength {spec.MaxLength}");
        return spec with { Code = code!, Field = field! };
    }

    private static List<ConditionSpec> Conditions(YamlNode node, string source, string key)
    {
        if (node is not YamlMappingNode map || map.Children.Count == 0)
        {
            Fail(source, node, key, "must be a mapping of field -> [values], or field -> absent / present, such as { event_type: [purchase] }");
            return null!;
        }
        var result = new List<ConditionSpec>();
        foreach (var (fk, fv) in map.Children)
        {
            var field = Scalar(fk);
            result.Add(fv switch
            {
                YamlSequenceNode => new ConditionSpec(field, Strings(fv, source, $"{key}.{field}"), true),
                YamlScalarNode { Value: "absent" or "null" or "~" or "" or null } => new ConditionSpec(field, null, false),
                YamlScalarNode { Value: "present" } => new ConditionSpec(field, null, true),
                YamlScalarNode s => new ConditionSpec(field, [s.Value!], true),
                _ => Invalid<ConditionSpec>(source, fv, $"{key}.{field}", "write a list of values, absent or present"),
            });
        }
        return result;
    }

    private static BoundSpec Bound(YamlNode node, string source, string key)
    {
        if (node is YamlMappingNode map && map.Children.Count == 1 && Child(map, "field") is YamlScalarNode other && !string.IsNullOrWhiteSpace(other.Value))
            return new BoundSpec(0, other.Value);
        if (node is YamlScalarNode && long.TryParse(Value(node, key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            return new BoundSpec(value, null);
        // A fraction (or an exponent) is a limit only a double field can take; the compiler says so for the others.
        if (node is YamlScalarNode && double.TryParse(Value(node, key), NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
            return new BoundSpec(0, null) { Real = real, IsWhole = false };
        return Invalid<BoundSpec>(source, node, key, $"'{(node as YamlScalarNode)?.Value}' is not a whole number, a decimal number or {{ field: other_field }}");
    }

    private static int Count(YamlNode node, string source, string key) =>
        node is YamlScalarNode && int.TryParse(Value(node, key), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : Invalid<int>(source, node, key, $"'{(node as YamlScalarNode)?.Value}' is not a whole number of characters (0 or more)");

    private static bool Bool(YamlNode node, string source, string key) =>
        Scalar(node) switch
        {
            "true" => true,
            "false" => false,
            var other => Invalid<bool>(source, node, key, $"'{other}' is not true or false"),
        };

    private static bool True(YamlNode node, string source, string key) =>
        Bool(node, source, key) ? true : Invalid<bool>(source, node, key, "write true, or remove the rule");

    /// <summary>A duration: hh:mm:ss, d.hh:mm:ss, or a number with a unit (500ms, 30s, 15m, 2h, 7d).</summary>
    internal static TimeSpan Duration(YamlNode node, string source, string key)
    {
        var text = Value(node, key).Trim();
        var unit = DurationWithUnit().Match(text);
        if (unit.Success)
        {
            var n = long.Parse(unit.Groups[1].Value, CultureInfo.InvariantCulture);
            return unit.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
        }
        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
            return span;
        return Invalid<TimeSpan>(source, node, key, $"'{text}' is not a duration; write hh:mm:ss, d.hh:mm:ss or a number with ms, s, m, h or d (such as 7d)");
    }

    private static List<string> Strings(YamlNode node, string source, string key)
    {
        if (node is not YamlSequenceNode seq)
        {
            Fail(source, node, key, "must be a list: [a, b]");
            return null!;
        }
        return [.. seq.Children.Select(c => c is YamlScalarNode ? Value(c, key) : Invalid<string>(source, c, key, "list items are plain values"))];
    }

    private static string Scalar(YamlNode node) => (node as YamlScalarNode)?.Value ?? "";

    // A value (not a key or a name) may be a ${env:NAME} or ${file:PATH} reference, as in the configuration.
    private static string Value(YamlNode node, string key) => SecretReferences.Resolve(Scalar(node), key);

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static T Invalid<T>(string source, YamlNode node, string key, string problem)
    {
        DomainFileErrors.Fail(source, node, key, problem);
        return default!;
    }

    private static DomainDefinition LoadBuiltIn()
    {
        using var stream = typeof(DomainDefinition).Assembly.GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidOperationException($"embedded resource {BuiltInResource} is missing from the build");
        using var reader = new StreamReader(stream);
        return Parse(reader, "built-in config/domains/ecommerce.yaml", "ecommerce");
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex SnakeCase();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex AvroName();

    [GeneratedRegex("^([0-9]+)(ms|s|m|h|d)$")]
    private static partial Regex DurationWithUnit();
}
