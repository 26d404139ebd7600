using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Sluice.TestKit;

/// <summary>A long-running <c>sluice</c> child process whose stderr lines can be awaited, stopped by signal.</summary>
public sealed partial class SluiceChild : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<DateTime> _arrivals = [];
    private readonly StringBuilder _stdout = new();
    private readonly Lock _lock = new();

    private SluiceChild(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lock)
            {
                _lines.Add(e.Data);
                _arrivals.Add(DateTime.UtcNow);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lock) _stdout.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    /// <summary>Starts <c>sluice</c> with <paramref name="args"/> and extra environment in <paramref name="workingDirectory"/>.</summary>
    public static SluiceChild Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        new(SluiceProcess.Start(args, environment, workingDirectory));

    public int Id => _process.Id;

    /// <summary>When the process was started (UTC), for figures measured from its own log lines.</summary>
    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public bool HasExited => _process.HasExited;

    /// <summary>Every stderr line so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock) return [.. _lines];
        }
    }

    public string StdErr => string.Join('\n', Lines);

    public string StdOut
    {
        get
        {
            lock (_lock) return _stdout.ToString();
        }
    }

    /// <summary>Waits for a stderr line (from the start of the output) that matches; returns it, or throws with the output so far.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what, int skip = 0) =>
        (await WaitForTimedLineAsync(match, timeout, what, skip).ConfigureAwait(false)).Line;

    /// <summary>As <see cref="WaitForLineAsync"/>, with the time (UTC) the line arrived: recovery figures need when, not only whether.</summary>
    public async Task<(string Line, DateTime At)> WaitForTimedLineAsync(Func<string, bool> match, TimeSpan timeout, string what, int skip = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Find(match, skip) is { } found) return found;
            if (_process.HasExited && Find(match, skip) is null)
                throw new InvalidOperationException($"sluice exited ({_process.ExitCode}) before {what}; stderr:\n{StdErr}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what} within {timeout}; stderr:\n{StdErr}");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private (string Line, DateTime At)? Find(Func<string, bool> match, int skip)
    {
        lock (_lock)
        {
            var seen = 0;
            for (var i = 0; i < _lines.Count; i++)
                if (match(_lines[i]) && seen++ >= skip) return (_lines[i], _arrivals[i]);
        }
        return null;
    }

    /// <summary>SIGTERM: the process should stop cleanly.</summary>
    public void Terminate() => Signal(15);

    /// <summary>SIGKILL: kill -9, nothing runs after it.</summary>
    public void KillHard() => Signal(9);

    /// <summary>SIGSTOP: the process freezes; its peers' connections stay open and go unanswered, as in a network partition.</summary>
    public void Pause() => Signal(19);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal(18);

    /// <summary>Polls <paramref name="done"/> while the process runs; throws with its stderr when it exits first, or kills it and throws after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> done, TimeSpan timeout, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!done())
        {
            if (_process.HasExited) throw new InvalidOperationException($"sluice exited ({_process.ExitCode}) before {what}; stderr:\n{StdErr}");
            if (watch.Elapsed > timeout)
            {
                _process.Kill(entireProcessTree: true);
                throw new TimeoutException($"not {what} within {timeout}; stderr:\n{StdErr}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the exit and returns its code; kills the process and throws after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sluice did not exit within {timeout}; stderr:\n{StdErr}");
        }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        var cwd = _process.StartInfo.WorkingDirectory;
        _process.Dispose();
        // The working directory SluiceProcess made for this child, and whatever the command wrote into it.
        if (Path.GetFileName(cwd).StartsWith("sluice-cwd-", StringComparison.Ordinal) && Path.GetDirectoryName(cwd) == Path.TrimEndingDirectorySeparator(Path.GetTempPath()))
        {
            try { Directory.Delete(cwd, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private void Signal(int signal)
    {
        if (SysKill(_process.Id, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}

/// <summary>An embedded broker in its own process (<c>sluice broker</c>), as separate processes use it.</summary>
public sealed class BrokerProcess : IDisposable
{
    private readonly SluiceChild _child;

    private BrokerProcess(SluiceChild child, string bootstrapServers)
    {
        _child = child;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>Freezes the broker (SIGSTOP): it stops answering without closing a connection.</summary>
    public void Pause() => _child.Pause();

    /// <summary>Lets a paused broker answer again.</summary>
    public void Resume() => _child.Resume();

    /// <summary>Starts <c>sluice broker</c>; with <paramref name="partitions"/>, every pipeline topic gets that many (<c>kafka.partitions</c>).</summary>
    public static async Task<BrokerProcess> StartAsync(TimeSpan? timeout = null, int? partitions = null)
    {
        var dir = new TempDirectory("sluice-broker-file");
        var file = dir.File("bootstrap");
        string[] settings = partitions is { } n ? ["--set", $"kafka.partitions={n}"] : [];
        var child = SluiceChild.Start(["broker", "--bootstrap-file", file, .. settings]);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!File.Exists(file))
        {
            if (child.HasExited || DateTime.UtcNow > deadline)
            {
                child.Dispose();
                throw new InvalidOperationException($"sluice broker did not write {file}; stderr:\n{child.StdErr}");
            }
            await Task.Delay(50);
        }
        var bootstrap = (await File.ReadAllTextAsync(file)).Trim();
        dir.Dispose();
        return new BrokerProcess(child, bootstrap);
    }

    public void Dispose()
    {
        _child.Resume(); // a paused process would not act on SIGTERM
        _child.Terminate();
        try
        {
            _child.WaitForExitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
        }
        _child.Dispose();
    }
}
