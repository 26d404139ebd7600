using System.Globalization;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Registry;
using Sluice.Verification.Recording;

namespace Sluice.Verification;

/// <summary>What <c>sluice verify</c> found: where the input came from and a report per output.</summary>
public sealed record VerificationResult(string InputOrigin, long InputRecords, IReadOnlyList<long> FinalWatermarks, IReadOnlyList<OutputReport> Outputs)
{
    public bool IsEqual => Outputs.All(o => o.IsEqual);
}

/// <summary>Reads a run's input and outputs from Kafka, recomputes the outputs in batch and compares them by stable id.</summary>
public static class Verifier
{
    private const string RetentionNote =
        "the broker deleted the records before it (the embedded broker keeps 5 MiB per partition), so the outputs cannot be checked whole";

    /// <summary>The input: from the topic when the broker still holds all of it, else (or with <paramref name="regenerate"/>) regenerated from <paramref name="manifest"/>.</summary>
    /// <exception cref="SluiceException">Neither is possible, or the regenerated stream disagrees with what the broker holds.</exception>
    public static VerificationInput ReadInput(TopicReader reader, string topic, string? manifest, bool regenerate = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (regenerate && manifest is null) ThrowHelper.ThrowConfiguration("--manifest", "regenerating the input needs the manifest of the run");
        var logs = reader.Logs(topic);
        var cut = logs.FirstOrDefault(l => l.LogStart > 0);
        if (cut is null && !regenerate)
        {
            var partitions = reader.Read(logs);
            var count = partitions.Sum(p => (long)p.Count);
            return new VerificationInput(topic, partitions, $"input read from the topic {topic} ({count:N0} records over {logs.Count} partitions)");
        }
        if (manifest is null)
        {
            ThrowHelper.Throw($"cannot verify: {topic}[{cut!.Partition}] starts at offset {cut.LogStart:N0}; the broker no longer holds the whole input " +
                "(the embedded broker keeps 5 MiB per partition). Pass --manifest FILE, the manifest `sluice produce --manifest` wrote, to regenerate it from its seed");
        }
        var regenerated = ManifestReplay.Regenerate(manifest!, logs.Count);
        if (regenerated.Topic != topic)
            ThrowHelper.Throw($"cannot verify: {manifest} describes a run into {regenerated.Topic}, not {topic}");
        // What the broker still holds must be exactly what was regenerated at the same offsets: the proof that the
        // partitions were recomputed as the producer chose them.
        var held = reader.Read(logs);
        foreach (var log in logs)
        {
            var mine = regenerated.Partitions[log.Partition];
            if (mine.Count != log.LogEnd)
                ThrowHelper.Throw($"cannot verify: {topic}[{log.Partition}] ends at offset {log.LogEnd:N0} but the run regenerated from {manifest} puts {mine.Count:N0} records there; the topic holds more than that run, or another run");
            foreach (var r in held[log.Partition])
            {
                if (!r.Value.AsSpan().SequenceEqual(mine[(int)r.Offset].Value))
                    ThrowHelper.Throw($"cannot verify: {topic}[{log.Partition}]@{r.Offset} differs from the record regenerated from {manifest}");
            }
        }
        var checkedCount = held.Sum(p => (long)p.Count);
        return regenerated with { Origin = $"{regenerated.Origin}; the {checkedCount:N0} records the broker still holds are byte-identical to it" };
    }

    /// <summary>Every output topic, whole; fails when the broker has deleted the beginning of one.</summary>
    public static Dictionary<ClickstreamOutput, List<OutputRecord>> ReadOutputs(TopicReader reader, ClickstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var outputs = new Dictionary<ClickstreamOutput, List<OutputRecord>>();
        foreach (var output in options.JoinsUsers ? [.. ClickstreamOutputs.All, .. ClickstreamOutputs.Users] : ClickstreamOutputs.All)
        {
            var topic = output.Topic(options);
            var logs = reader.Logs(topic);
            if (logs.FirstOrDefault(l => l.LogStart > 0) is { } cut)
                ThrowHelper.Throw($"cannot verify: {topic}[{cut!.Partition}] starts at offset {cut.LogStart:N0}; {RetentionNote}");
            outputs[output] = reader.Read(logs).SelectMany(p => p)
                .Select(r => new OutputRecord(r.Key, r.Value, Position: $"{r.Topic}[{r.Partition}]@{r.Offset.ToString(CultureInfo.InvariantCulture)}"))
                .ToList();
        }
        return outputs;
    }

    /// <summary>
    /// Every output topic as <c>sluice record</c> kept it in <paramref name="directory"/>; the records the broker still
    /// holds must be byte-identical to it at the same offsets, and none may lie past its end (a recorder behind).
    /// </summary>
    /// <param name="origin">Set to one line for the summary: what was read and what was checked against the broker.</param>
    public static Dictionary<ClickstreamOutput, List<OutputRecord>> ReadRecordedOutputs(string directory, TopicReader reader, ClickstreamOptions options, out string origin)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var outputs = new Dictionary<ClickstreamOutput, List<OutputRecord>>();
        long recorded = 0, compared = 0;
        foreach (var output in options.JoinsUsers ? [.. ClickstreamOutputs.All, .. ClickstreamOutputs.Users] : ClickstreamOutputs.All)
        {
            var topic = output.Topic(options);
            // A recording made without the user topics (an older `sluice record`) still verifies the rest.
            if (ClickstreamOutputs.Users.Contains(output) && !RecordingDirectory.Holds(directory, topic)) continue;
            var partitions = RecordingDirectory.Read(directory, topic);
            var logs = reader.Logs(topic);
            if (partitions.Count != logs.Count)
                ThrowHelper.Throw($"cannot verify: {directory} recorded {partitions.Count} partitions of {topic}, the broker has {logs.Count}; the recording is of another run");
            var held = reader.Read(logs);
            foreach (var log in logs)
            {
                var mine = partitions[log.Partition];
                var last = mine.Count == 0 ? -1 : mine[^1].Offset;
                foreach (var r in held[log.Partition])
                {
                    if (r.Offset > last)
                        ThrowHelper.Throw($"cannot verify: the recording of {topic}[{log.Partition}] in {directory} ends at offset {last:N0} but the broker holds a record at {r.Offset:N0}; " +
                            "let `sluice record` catch up (or start it again: it resumes) before verifying");
                    var at = mine.BinarySearch(r, OffsetOrder.Instance);
                    if (at < 0 || !mine[at].Value.AsSpan().SequenceEqual(r.Value) || !KeyEquals(mine[at].Key, r.Key))
                        ThrowHelper.Throw($"cannot verify: {topic}[{log.Partition}]@{r.Offset:N0} on the broker differs from the recording in {directory}{(at < 0 ? " (not recorded)" : "")}; the recording is of another run");
                    compared++;
                }
            }
            recorded += partitions.Sum(p => (long)p.Count);
            outputs[output] = partitions.SelectMany(p => p)
                .Select(r => new OutputRecord(r.Key, r.Value, Position: $"recorded {r.Topic}[{r.Partition}]@{r.Offset.ToString(CultureInfo.InvariantCulture)}"))
                .ToList();
        }
        origin = $"outputs read from the recording in {directory} ({recorded:N0} records); the {compared:N0} the broker still holds are byte-identical to it";
        return outputs;
    }

    private static bool KeyEquals(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private sealed class OffsetOrder : IComparer<TopicRecord>
    {
        public static readonly OffsetOrder Instance = new();

        public int Compare(TopicRecord? x, TopicRecord? y) => x!.Offset.CompareTo(y!.Offset);
    }

    /// <summary>The user changes the processor read (<see cref="ClickstreamOptions.UserChangesTopic"/>), whole; null when it joins
    /// no users, or when the broker has deleted the beginning of the topic (the dimension then cannot be recomputed).</summary>
    public static IReadOnlyList<TopicRecord>? ReadChanges(TopicReader reader, ClickstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.JoinsUsers) return null;
        var logs = reader.Logs(options.UserChangesTopic!);
        if (logs.Any(l => l.LogStart > 0)) return null;
        return [.. reader.Read(logs).SelectMany(p => p)];
    }

    /// <summary>Recomputes <paramref name="input"/> and compares every output with <paramref name="actual"/>; with
    /// <paramref name="changes"/> (<see cref="ReadChanges"/>) and the user topics among <paramref name="actual"/>, also
    /// dim_users and every enriched event's profile (<see cref="UserDimensionRecomputation"/>).</summary>
    public static VerificationResult Compare(VerificationInput input, IReadOnlyDictionary<ClickstreamOutput, List<OutputRecord>> actual,
        ClickstreamOptions options, ISchemaSource? schemas, long nowMs, int examples, IReadOnlyList<TopicRecord>? changes = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(options);
        var expected = new BatchRecomputation(options, schemas, nowMs).Run(input);
        // Invalid user changes are dead letters too, beside the events'.
        if (changes is not null) expected[ClickstreamOutput.DeadLetters].AddRange(UserDimensionRecomputation.DeadLetters(changes));
        var reports = ClickstreamOutputs.All
            .Select(o => OutputComparison.Compare(o, o.Topic(options), expected[o], actual.TryGetValue(o, out var a) ? a : [], examples))
            .ToList();
        if (changes is not null && actual.TryGetValue(ClickstreamOutput.UserVersions, out var versions))
        {
            var (wantVersions, wantProfiles) = UserDimensionRecomputation.Expected(changes, expected[ClickstreamOutput.Enriched]);
            reports.Add(OutputComparison.Compare(ClickstreamOutput.UserVersions, ClickstreamOutput.UserVersions.Topic(options), wantVersions,
                UserDimensionRecomputation.LastVersions(versions), examples));
            var profiles = UserDimensionRecomputation.ActualProfiles(actual.GetValueOrDefault(ClickstreamOutput.Enriched) ?? [],
                actual.GetValueOrDefault(ClickstreamOutput.Corrections) ?? []);
            reports.Add(OutputComparison.Compare(ClickstreamOutput.EventProfiles, ClickstreamOutput.EventProfiles.Topic(options), wantProfiles, profiles, examples));
        }
        return new VerificationResult(input.Origin, input.Records, expected.FinalWatermarks, reports);
    }
}
