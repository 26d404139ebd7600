using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice.Verification;

/// <summary>The kinds of difference between an output and its recomputation.</summary>
public enum DifferenceKind
{
    /// <summary>Expected and not there.</summary>
    Missing,

    /// <summary>There, with an id that nothing expected.</summary>
    Extra,

    /// <summary>Same id, other content.</summary>
    Different,

    /// <summary>A second record with an id already there, equal to the expected one: harmless for sinks that upsert by id.</summary>
    IdenticalDuplicate,

    /// <summary>A second record with an id already there, with other content.</summary>
    ConflictingDuplicate,
}

/// <summary>One difference, for the examples of the report.</summary>
public sealed record OutputDifference(DifferenceKind Kind, string Id, string Detail);

/// <summary>How one output compares with its recomputation.</summary>
/// <param name="Expected">Records the input's own watermark has closed (required).</param>
/// <param name="Pending">Expected records whose window or session the input's watermark has not closed: present or not, both are right.</param>
/// <param name="Actual">Records read from the output topic.</param>
public sealed record OutputReport(
    ClickstreamOutput Output, string Topic, long Expected, long Pending, long Actual, long Missing, long Extra, long Different,
    long IdenticalDuplicates, long ConflictingDuplicates, IReadOnlyList<OutputDifference> Examples)
{
    /// <summary>Nothing missing, extra or different; identical duplicates allowed.</summary>
    public bool IsEqual => Missing == 0 && Extra == 0 && Different == 0 && ConflictingDuplicates == 0;
}

/// <summary>Compares an output's records with the recomputed ones by stable id, field by field, ignoring processing-time fields.</summary>
public static class OutputComparison
{
    /// <summary>Fields that record when the processor ran, not what it computed (dotted paths into the value).</summary>
    public static IReadOnlyList<string> IgnoredFields(ClickstreamOutput output) => output switch
    {
        // The joined profile is checked as EventProfiles, after corrections: the first join may rightly differ.
        ClickstreamOutput.Enriched => ["processing_time", "ingest_lag_ms", "profile_version", "profile_position", "profile_segment", "profile_country", "signup_date"],
        ClickstreamOutput.Corrections => ["corrected_at"],
        ClickstreamOutput.Late => ["event.processing_time", "event.ingest_lag_ms"],
        ClickstreamOutput.DeadLetters => ["failed_at"],
        _ => [],
    };

    /// <summary>The stable id of a record of <paramref name="output"/>: event id, source position (and aggregate), or the Kafka key.</summary>
    public static string IdOf(ClickstreamOutput output, OutputRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        switch (output)
        {
            case ClickstreamOutput.Aggregated or ClickstreamOutput.Sessions:
                return record.Key is null ? "(no key)" : Encoding.UTF8.GetString(record.Key);
        }
        try
        {
            using var doc = JsonDocument.Parse(record.Value);
            var v = doc.RootElement;
            return output switch
            {
                ClickstreamOutput.Enriched or ClickstreamOutput.Bots or ClickstreamOutput.Corrections or ClickstreamOutput.EventProfiles =>
                    v.GetProperty("event_id").GetString()!,
                ClickstreamOutput.UserVersions =>
                    $"{v.GetProperty("user_id").GetString()}|{v.GetProperty("source_position").GetInt64().ToString(CultureInfo.InvariantCulture)}",
                ClickstreamOutput.DeadLetters => Position(v),
                _ => $"{Position(v)} {v.GetProperty("aggregate").GetString()}",
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Not a record of this output at all: it matches nothing, so it counts as extra under its position.
            return $"(unreadable {record.Position ?? "record"})";
        }
    }

    private static string Position(JsonElement v) =>
        $"{v.GetProperty("topic").GetString()}[{v.GetProperty("partition").GetInt32().ToString(CultureInfo.InvariantCulture)}]@{v.GetProperty("offset").GetInt64().ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/>, keeping up to <paramref name="examples"/> differences of each kind.</summary>
    public static OutputReport Compare(ClickstreamOutput output, string topic, IReadOnlyList<OutputRecord> expected, IReadOnlyList<OutputRecord> actual, int examples = 5)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var ignored = IgnoredFields(output);
        var byId = new Dictionary<string, (List<OutputRecord> Expected, List<OutputRecord> Actual)>(StringComparer.Ordinal);
        (List<OutputRecord>, List<OutputRecord>) Entry(string id)
        {
            if (!byId.TryGetValue(id, out var entry)) byId[id] = entry = ([], []);
            return entry;
        }
        foreach (var r in expected) Entry(IdOf(output, r)).Item1.Add(r);
        foreach (var r in actual) Entry(IdOf(output, r)).Item2.Add(r);

        long missing = 0, extra = 0, different = 0, identical = 0, conflicting = 0;
        var found = new List<OutputDifference>();
        var shown = new int[Enum.GetValues<DifferenceKind>().Length];
        void Note(DifferenceKind kind, string id, string detail)
        {
            if (shown[(int)kind]++ < examples) found.Add(new OutputDifference(kind, id, detail));
        }

        foreach (var (id, (want, got)) in byId.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            // Each expected record takes an equal actual one first. What is left of the actual records is then a
            // duplicate of one already matched, a changed copy of an expected record not matched, or unexpected.
            var unmatched = new List<OutputRecord>(got);
            var unpaired = new List<OutputRecord>();
            foreach (var e in want)
            {
                var i = unmatched.FindIndex(a => Differences(e, a, ignored).Count == 0);
                if (i >= 0) unmatched.RemoveAt(i);
                else unpaired.Add(e);
            }
            foreach (var a in unmatched)
            {
                if (want.Count == 0)
                {
                    extra++;
                    Note(DifferenceKind.Extra, id, $"not expected{At(a)}");
                }
                else if (want.Any(w => Differences(w, a, ignored).Count == 0))
                {
                    identical++;
                    Note(DifferenceKind.IdenticalDuplicate, id, $"repeated{At(a)}");
                }
                else if (unpaired.Count > 0)
                {
                    different++;
                    Note(DifferenceKind.Different, id, Describe(Differences(unpaired[0], a, ignored), a));
                    unpaired.RemoveAt(0);
                }
                else
                {
                    conflicting++;
                    Note(DifferenceKind.ConflictingDuplicate, id, $"a second record with {Describe(Differences(want[0], a, ignored), a)}");
                }
            }
            foreach (var e in unpaired)
            {
                if (e.Pending) continue;
                missing++;
                Note(DifferenceKind.Missing, id, "not in the output");
            }
        }
        return new OutputReport(output, topic, expected.Count(e => !e.Pending), expected.Count(e => e.Pending), actual.Count,
            missing, extra, different, identical, conflicting, found);
    }

    private static string At(OutputRecord a) => a.Position is null ? "" : $" at {a.Position}";

    private static string Describe(List<string> fields, OutputRecord a)
    {
        const int Shown = 4;
        var text = string.Join("; ", fields.Take(Shown));
        if (fields.Count > Shown) text += $"; and {fields.Count - Shown} more";
        return text + At(a);
    }

    /// <summary>The fields (dotted paths, "(key)" for the Kafka key) in which <paramref name="expected"/> and <paramref name="actual"/> differ.</summary>
    public static List<string> Differences(OutputRecord expected, OutputRecord actual, IReadOnlyList<string> ignored)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(ignored);
        var found = new List<string>();
        if (!(expected.Key ?? []).AsSpan().SequenceEqual(actual.Key ?? []) || (expected.Key is null) != (actual.Key is null))
            found.Add($"(key) {Text(expected.Key)} expected, {Text(actual.Key)} found");
        if (expected.Value.AsSpan().SequenceEqual(actual.Value)) return found;
        JsonDocument? want = null, got = null;
        try
        {
            want = JsonDocument.Parse(expected.Value);
            try
            {
                got = JsonDocument.Parse(actual.Value);
            }
            catch (JsonException)
            {
                found.Add("(value) not JSON");
                return found;
            }
            Walk(want.RootElement, got.RootElement, "", ignored, found);
            return found;
        }
        finally
        {
            want?.Dispose();
            got?.Dispose();
        }
    }

    private static void Walk(JsonElement want, JsonElement got, string path, IReadOnlyList<string> ignored, List<string> found)
    {
        if (ignored.Contains(path)) return;
        if (want.ValueKind == JsonValueKind.Object && got.ValueKind == JsonValueKind.Object)
        {
            var names = want.EnumerateObject().Select(p => p.Name).Union(got.EnumerateObject().Select(p => p.Name), StringComparer.Ordinal);
            foreach (var name in names)
            {
                var child = path.Length == 0 ? name : path + "." + name;
                if (ignored.Contains(child)) continue;
                var inWant = want.TryGetProperty(name, out var w);
                var inGot = got.TryGetProperty(name, out var g);
                if (inWant && inGot) Walk(w, g, child, ignored, found);
                else found.Add(inWant ? $"{child} missing" : $"{child} not expected");
            }
            return;
        }
        if (want.ValueKind == JsonValueKind.Array && got.ValueKind == JsonValueKind.Array)
        {
            var wa = want.EnumerateArray().ToList();
            var ga = got.EnumerateArray().ToList();
            if (wa.Count != ga.Count)
            {
                found.Add($"{path}: {wa.Count} items expected, {ga.Count} found");
                return;
            }
            for (var i = 0; i < wa.Count; i++) Walk(wa[i], ga[i], $"{path}[{i}]", ignored, found);
            return;
        }
        if (!SameValue(want, got)) found.Add($"{path}: {Short(want.GetRawText())} expected, {Short(got.GetRawText())} found");
    }

    private static bool SameValue(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind) return false;
        return a.ValueKind switch
        {
            JsonValueKind.String => a.ValueEquals(b.GetString()),
            // 2 and 2.0 are the same number; doubles compare exactly, as the processor computes them.
            JsonValueKind.Number => a.GetRawText() == b.GetRawText() || (a.TryGetDouble(out var x) && b.TryGetDouble(out var y) && x.Equals(y)),
            _ => a.GetRawText() == b.GetRawText(),
        };
    }

    private static string Text(byte[]? bytes) => bytes is null ? "none" : Short(Encoding.UTF8.GetString(bytes));

    private static string Short(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
