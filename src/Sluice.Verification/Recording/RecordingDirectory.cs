using System.Globalization;
using Sluice.Core.Errors;

namespace Sluice.Verification.Recording;

/// <summary>Where <c>sluice record</c> keeps each partition: <c>DIR/TOPIC/PARTITION.rec</c>, one <see cref="PartitionRecording"/> each.</summary>
public static class RecordingDirectory
{
    /// <summary>The file of <paramref name="topic"/>[<paramref name="partition"/>] under <paramref name="directory"/>.</summary>
    public static string PartitionFile(string directory, string topic, int partition) =>
        Path.Combine(directory, topic, PartitionRecording.FileName(partition));

    /// <summary>The partitions recorded for <paramref name="topic"/>, in partition order; empty when the topic was never recorded.</summary>
    public static IReadOnlyList<(int Partition, string Path)> Partitions(string directory, string topic)
    {
        var dir = Path.Combine(directory, topic);
        if (!Directory.Exists(dir)) return [];
        var found = new List<(int, string)>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.rec"))
        {
            if (int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var p)) found.Add((p, file));
        }
        return [.. found.OrderBy(f => f.Item1)];
    }

    /// <summary>Every record of <paramref name="topic"/> the recording holds, per partition in offset order.</summary>
    /// <exception cref="SluiceException">The topic was not recorded in <paramref name="directory"/>.</exception>
    /// <summary>Whether <paramref name="directory"/> holds a recording of <paramref name="topic"/>.</summary>
    public static bool Holds(string directory, string topic) => Directory.Exists(directory) && Partitions(directory, topic).Count > 0;

    public static IReadOnlyList<List<TopicRecord>> Read(string directory, string topic)
    {
        if (!Directory.Exists(directory))
            ThrowHelper.Throw($"cannot verify: {directory} does not exist; pass the directory `sluice record --dir` wrote");
        var partitions = Partitions(directory, topic);
        if (partitions.Count == 0)
            ThrowHelper.Throw($"cannot verify: {directory} holds no recording of {topic}; `sluice record --dir {directory}` records every output topic of the run");
        return [.. partitions.Select(p => PartitionRecording.ReadAll(p.Path, topic, p.Partition))];
    }
}
