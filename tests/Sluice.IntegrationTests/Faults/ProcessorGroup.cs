using Sluice.IntegrationTests.Cli;
using Sluice.TestKit;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Faults;

/// <summary>Up to <c>size</c> <c>sluice process</c> processes in one consumer group sharing one checkpoint directory; any slot can be stopped, killed and started again.</summary>
internal sealed class ProcessorGroup : IDisposable
{
    private readonly SluiceChild?[] _slots;
    private readonly List<SluiceChild> _all = [];
    private readonly TempDirectory _checkpoints = new("sluice-ckpt-group");

    public ProcessorGroup(string bootstrap, string group, int size)
    {
        Bootstrap = bootstrap;
        Group = group;
        _slots = new SluiceChild?[size];
    }

    public string Bootstrap { get; }

    public string Group { get; }

    public string CheckpointDirectory => _checkpoints.Path;

    /// <summary>The process now in slot <paramref name="slot"/>.</summary>
    public SluiceChild this[int slot] => _slots[slot] ?? throw new InvalidOperationException($"slot {slot} was never started");

    /// <summary>The processes not yet exited.</summary>
    public SluiceChild[] Running => [.. _slots.OfType<SluiceChild>().Where(c => !c.HasExited)];

    /// <summary>Starts a new process in <paramref name="slot"/> (the previous one must have exited); its logs are kept until the group is disposed.</summary>
    public SluiceChild Start(int slot)
    {
        if (_slots[slot] is { HasExited: false }) throw new InvalidOperationException($"slot {slot} is still running");
        var child = SluiceChild.Start(ProcessArgs(Bootstrap, Group, CheckpointDirectory));
        _slots[slot] = child;
        _all.Add(child);
        return child;
    }

    /// <summary>Starts a process in every slot and waits until each has been assigned its partitions.</summary>
    public async Task StartAllAsync()
    {
        for (var slot = 0; slot < _slots.Length; slot++) Start(slot);
        for (var slot = 0; slot < _slots.Length; slot++) await AssignedAsync(slot);
    }

    /// <summary>Starts a new process in <paramref name="slot"/> and waits until it has partitions and has processed a record (or the input has all been read).</summary>
    public async Task<Recovery> RestartAsync(int slot, Task produced)
    {
        var restarted = Start(slot);
        var connected = (await restarted.WaitForTimedLineAsync(l => Has(l, "connected to"), Long, "a connection")).At;
        var assigned = await AssignedAsync(slot);
        var first = await FirstRecordAsync(slot, produced);
        return new Recovery(restarted.StartedAt, connected, assigned, first, restarted.Lines.Count(l => Has(l, "Restored task-")));
    }

    /// <summary>Waits until the group's checkpoints have reached the end of every input partition.</summary>
    public Task CheckpointedToEndAsync() => WaitForCheckpointsAtEndAsync(Bootstrap, CheckpointDirectory, Group, Running);

    /// <summary>Waits until the group's checkpoints have reached the end of the input, then SIGTERM to every running process (see <see cref="TerminateAllAsync"/>).</summary>
    public async Task StopAtEndAsync()
    {
        await CheckpointedToEndAsync();
        await TerminateAllAsync();
    }

    /// <summary>Waits until the process in <paramref name="slot"/> has been assigned partitions (its <paramref name="skip"/>+1-th assignment); returns when.</summary>
    public async Task<DateTime> AssignedAsync(int slot, int skip = 0) =>
        (await this[slot].WaitForTimedLineAsync(l => Has(l, "was assigned clickstream"), Long, "an assignment", skip)).At;

    /// <summary>
    /// When the process in <paramref name="slot"/> processed its first record; null when it processed none because the input
    /// had all been read (<paramref name="produced"/> finished half a minute ago and still nothing).
    /// </summary>
    public async Task<DateTime?> FirstRecordAsync(int slot, Task produced)
    {
        var child = this[slot];
        var deadline = DateTime.UtcNow + Long;
        DateTime? producedAt = null;
        while (true)
        {
            try
            {
                return (await child.WaitForTimedLineAsync(l => Has(l, "First record processed"), TimeSpan.FromSeconds(1), "a first record")).At;
            }
            catch (TimeoutException)
            {
                if (produced.IsCompleted) producedAt ??= DateTime.UtcNow;
                if (DateTime.UtcNow - producedAt > TimeSpan.FromSeconds(30)) return null;
                if (DateTime.UtcNow > deadline) throw;
            }
        }
    }

    /// <summary>SIGTERM to every running process at once; each must exit 0 having left the group.</summary>
    public async Task TerminateAllAsync()
    {
        var running = Running;
        foreach (var child in running) child.Terminate();
        foreach (var child in running)
        {
            Assert.True(await child.WaitForExitAsync(Long) == 0, child.StdErr);
            Assert.Contains(child.Lines, l => Has(l, "left the group"));
        }
    }

    public void Dispose()
    {
        foreach (var child in _all) child.Dispose();
        _checkpoints.Dispose();
    }
}

/// <summary>How a restarted process came back: started, broker checked, partitions assigned, first record processed (null: nothing left to read).</summary>
internal sealed record Recovery(DateTime Started, DateTime Connected, DateTime Assigned, DateTime? FirstRecord, int TasksRestored)
{
    public override string ToString() =>
        $"broker checked after {Seconds(Started, Connected)}, rebalance (join) {Seconds(Connected, Assigned)}, first record " +
        $"{(FirstRecord is { } f ? Seconds(Started, f) : "none: nothing left to read")} after the restart; {TasksRestored} task(s) restored";
}
