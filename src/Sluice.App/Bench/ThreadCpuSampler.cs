using System.Globalization;

namespace Sluice.App.Bench;

/// <summary>One thread's CPU over a sampled span: its operating-system name and the CPU seconds it used.</summary>
public sealed record ThreadCpu(string Name, double Seconds);

/// <summary>
/// CPU time per thread of this process, from <c>/proc/self/task/*/stat</c> (user + system ticks), sampled on a timer so that
/// threads which end before the span does (a producer, a member) still count. Linux only; elsewhere it reports nothing.
/// </summary>
/// <remarks>
/// Threads are told apart by their names (<c>comm</c>, at most 15 characters): Sluice names its stage threads <c>sl-…</c> and <c>sink-NAME</c>,
/// librdkafka names its own <c>rdk:…</c>, the runtime <c>.NET …</c>. A thread's CPU before <see cref="Start"/> is not
/// counted; a thread that ends loses what it used since the last sample, all of it if it lived less than one interval.
/// </remarks>
public sealed class ThreadCpuSampler : IDisposable
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the SDK supports
    private readonly Dictionary<int, (string Name, long Start, long Last)> _threads = [];
    private readonly Lock _gate = new();
    private Timer? _timer;

    /// <summary>Takes the first sample and keeps sampling every <paramref name="interval"/> until <see cref="Stop"/>.</summary>
    public void Start(TimeSpan interval)
    {
        Sample(first: true);
        _timer = new Timer(_ => Sample(first: false), null, interval, interval);
    }

    /// <summary>Takes the last sample and returns every thread's CPU since <see cref="Start"/>, largest first.</summary>
    public IReadOnlyList<ThreadCpu> Stop()
    {
        _timer?.Dispose();
        _timer = null;
        Sample(first: false);
        lock (_gate)
        {
            return _threads.Values.Select(t => new ThreadCpu(t.Name, (t.Last - t.Start) / TicksPerSecond))
                .Where(t => t.Seconds > 0).OrderByDescending(t => t.Seconds).ToList();
        }
    }

    private void Sample(bool first)
    {
        if (!OperatingSystem.IsLinux()) return;
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories("/proc/self/task");
        }
        catch (IOException)
        {
            return;
        }
        lock (_gate)
        {
            foreach (var dir in tasks)
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)) continue;
                if (Read(dir) is not var (name, ticks)) continue;
                // A thread seen after the first sample started within the span: its whole CPU counts.
                if (_threads.TryGetValue(tid, out var t)) _threads[tid] = (name, t.Start, ticks);
                else _threads[tid] = (name, first ? ticks : 0, ticks);
            }
        }
    }

    // "tid (comm) state ppid ... utime stime ...": utime and stime are fields 14 and 15; comm may hold spaces and parentheses.
    private static (string Name, long Ticks)? Read(string dir)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(dir, "stat"));
        }
        catch (IOException)
        {
            return null; // the thread ended between listing and reading
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
        if (open < 0 || close < open) return null;
        var fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state): utime is field 14, stime field 15.
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)) return null;
        return (stat[(open + 1)..close], user + system);
    }

    public void Dispose() => _timer?.Dispose();
}
