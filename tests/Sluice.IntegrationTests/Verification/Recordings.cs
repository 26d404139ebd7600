using Sluice.IntegrationTests.Cli;
using Sluice.Pipelines.Clickstream;
using Sluice.TestKit;
using Sluice.Verification;
using Sluice.Verification.Recording;

namespace Sluice.IntegrationTests.Verification;

/// <summary>What tests of <c>sluice record</c> share: starting it, and waiting until its files reach the topics' ends.</summary>
internal static class Recordings
{
    public static IReadOnlyList<string> OutputTopics { get; } = [.. ClickstreamOutputs.All.Select(o => o.Topic(new ClickstreamOptions()))];

    /// <summary>Starts <c>sluice record --dir</c> against <paramref name="bootstrap"/> and waits until it has opened its files.</summary>
    public static async Task<SluiceChild> StartAsync(string bootstrap, string directory)
    {
        var child = SluiceChild.Start(["record", "--bootstrap-servers", bootstrap, "--dir", directory]);
        await child.WaitForLineAsync(l => ProcessorRuns.Has(l, "Recording clickstream.sessions"), ProcessorRuns.Long, "the recording to start");
        return child;
    }

    /// <summary>How far each partition's recording is behind the broker's log end (0 everywhere: caught up).</summary>
    public static long Behind(string bootstrap, string directory, IEnumerable<string>? topics = null)
    {
        long behind = 0;
        foreach (var topic in topics ?? OutputTopics)
        {
            foreach (var log in ProcessorRuns.Logs(bootstrap, topic))
            {
                var path = RecordingDirectory.PartitionFile(directory, topic, log.Partition);
                var last = File.Exists(path) ? PartitionRecording.ReadAll(path, topic, log.Partition).LastOrDefault()?.Offset ?? -1 : -1;
                behind += Math.Max(0, log.LogEnd - (last + 1));
            }
        }
        return behind;
    }

    /// <summary>Waits until the recording has caught up with every partition; fails with the recorder's log if it exits first.</summary>
    public static async Task CaughtUpAsync(string bootstrap, string directory, SluiceChild recorder, IEnumerable<string>? topics = null)
    {
        var deadline = DateTime.UtcNow + ProcessorRuns.Long;
        var list = topics?.ToList();
        while (Behind(bootstrap, directory, list) > 0)
        {
            if (recorder.HasExited) throw new InvalidOperationException($"sluice record exited before catching up; stderr:\n{recorder.StdErr}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"sluice record did not catch up within {ProcessorRuns.Long}; stderr:\n{recorder.StdErr}");
            await Task.Delay(500);
        }
    }
}
