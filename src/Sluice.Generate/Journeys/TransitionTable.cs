using System.Globalization;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Generate.Randomness;
using YamlDotNet.RepresentationModel;

namespace Sluice.Generate.Journeys;

/// <summary>The Markov chain of a shopping session, loaded from a domain YAML file and validated.</summary>
/// <remarks>
/// Rows must sum to 1 within <see cref="Tolerance"/>; a bad row is reported with its key
/// (<c>journey.transitions.browse</c>) and the file. Anonymous visitors use the same rows renormalised
/// over the states that need no login.
/// </remarks>
public sealed class TransitionTable
{
    /// <summary>How far a row may be from summing to 1.</summary>
    public const double Tolerance = 1e-9;

    private const string ResourceName = "Sluice.Generate.ecommerce.yaml";
    private static readonly Lazy<TransitionTable> DefaultTable = new(LoadDefault);

    private readonly double[,] _probabilities;
    private readonly double[][] _loggedIn;
    private readonly double[][] _anonymous;

    private TransitionTable(JourneyState start, double[,] probabilities)
    {
        Start = start;
        _probabilities = probabilities;
        _loggedIn = new double[JourneyStates.Count][];
        _anonymous = new double[JourneyStates.Count][];
        Span<double> row = stackalloc double[JourneyStates.Count];
        for (var from = 0; from < JourneyStates.Count - 1; from++)
        {
            for (var to = 0; to < JourneyStates.Count; to++) row[to] = probabilities[from, to];
            _loggedIn[from] = Weights.Cumulative(row);
            for (var to = 0; to < JourneyStates.Count; to++)
            {
                if (((JourneyState)to).RequiresLogin()) row[to] = 0;
            }
            // A row whose whole mass needs a login sends an anonymous visitor away.
            var rest = 0.0;
            foreach (var p in row) rest += p;
            if (rest <= 0) row[(int)JourneyState.Exit] = 1;
            _anonymous[from] = Weights.Cumulative(row);
        }
    }

    /// <summary>The state every session starts in.</summary>
    public JourneyState Start { get; }

    /// <summary>The built-in e-commerce table (config/domains/ecommerce.yaml, embedded).</summary>
    public static TransitionTable Default => DefaultTable.Value;

    /// <summary>Probability of moving from <paramref name="from"/> to <paramref name="to"/> for a logged-in customer.</summary>
    public double Probability(JourneyState from, JourneyState to) => _probabilities[(int)from, (int)to];

    /// <summary>The next state after <paramref name="from"/>.</summary>
    public JourneyState Next(JourneyState from, bool loggedIn, Prng rng) =>
        (JourneyState)rng.Pick(loggedIn ? _loggedIn[(int)from] : _anonymous[(int)from]);

    /// <summary>Loads and validates a domain file; throws <see cref="ConfigurationException"/> naming the bad key.</summary>
    public static TransitionTable Load(string path)
    {
        if (!File.Exists(path)) ThrowHelper.Throw($"domain file {path} does not exist; pass an existing YAML file");
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    /// <summary>Parses and validates YAML text; <paramref name="source"/> names it in errors.</summary>
    public static TransitionTable Parse(TextReader yaml, string source)
    {
        var stream = YamlFile.Load(yaml, $"domain file {source}");
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            return Fail("journey", source, "the file has no 'journey:' section");
        if (Child(root, "journey") is not YamlMappingNode journey)
            return Fail("journey", source, "missing or not a mapping; write journey: { start: landing, transitions: { ... } }");

        var start = JourneyState.Landing;
        if (Child(journey, "start") is YamlScalarNode { Value: { } startWritten })
        {
            var startText = SecretReferences.Resolve(startWritten, "journey.start");
            if (!JourneyStates.TryParse(startText, out start) || start == JourneyState.Exit)
                return Fail("journey.start", source, $"'{startText}' is not a state a session can start in; use one of {JourneyStates.NameList} except exit");
        }

        if (Child(journey, "transitions") is not YamlMappingNode rows)
            return Fail("journey.transitions", source, "missing or not a mapping of state -> { next_state: probability }");

        var probabilities = new double[JourneyStates.Count, JourneyStates.Count];
        var seen = new bool[JourneyStates.Count];
        foreach (var (keyNode, rowNode) in rows.Children)
        {
            var fromName = ((YamlScalarNode)keyNode).Value;
            var rowKey = $"journey.transitions.{fromName}";
            if (!JourneyStates.TryParse(fromName, out var from))
                return Fail(rowKey, source, $"'{fromName}' is not a state; use one of {JourneyStates.NameList}");
            if (from == JourneyState.Exit)
                return Fail(rowKey, source, "exit ends a session and cannot have transitions; remove this row");
            if (rowNode is not YamlMappingNode row)
                return Fail(rowKey, source, "must be a mapping of next_state: probability");
            seen[(int)from] = true;

            var sum = 0.0;
            foreach (var (toNode, valueNode) in row.Children)
            {
                var toName = ((YamlScalarNode)toNode).Value;
                var cellKey = $"{rowKey}.{toName}";
                if (!JourneyStates.TryParse(toName, out var to))
                    return Fail(cellKey, source, $"'{toName}' is not a state; use one of {JourneyStates.NameList}");
                var text = (valueNode as YamlScalarNode)?.Value is { } written ? SecretReferences.Resolve(written, cellKey) : null;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || double.IsNaN(p) || p < 0 || p > 1)
                    return Fail(cellKey, source, $"'{text}' is not a probability between 0 and 1");
                probabilities[(int)from, (int)to] = p;
                sum += p;
            }
            if (Math.Abs(sum - 1.0) > Tolerance)
                return Fail(rowKey, source, $"probabilities sum to {sum.ToString("R", CultureInfo.InvariantCulture)}, not 1; adjust the row so it sums to 1");
        }
        for (var s = 0; s < JourneyStates.Count - 1; s++)
        {
            if (!seen[s])
                return Fail($"journey.transitions.{((JourneyState)s).ToName()}", source, "the row is missing; every state except exit needs one");
        }
        return new TransitionTable(start, probabilities);
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static TransitionTable Fail(string key, string source, string problem) =>
        ThrowHelper.ThrowConfiguration<TransitionTable>(key, $"{problem} (in {source})");

    private static TransitionTable LoadDefault()
    {
        using var stream = typeof(TransitionTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from the build");
        using var reader = new StreamReader(stream);
        return Parse(reader, "built-in config/domains/ecommerce.yaml");
    }
}
