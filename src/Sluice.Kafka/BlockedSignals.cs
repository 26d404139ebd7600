using System.Runtime.InteropServices;

namespace Sluice.Kafka;

/// <summary>
/// Runs a native call with every blockable signal blocked on the calling thread, so that the threads it starts inherit
/// a mask that keeps signals away from them.
/// </summary>
/// <remarks>
/// librdkafka's mock cluster runs one thread that waits in <c>poll()</c> and stops serving for good when <c>poll()</c>
/// fails, EINTR included. A signal whose handler runs on that thread makes it fail: the .NET runtime handles SIGCONT,
/// SIGCHLD and SIGWINCH, and the kernel may hand a process-wide signal to any thread that does not block it, so a
/// broker frozen with SIGSTOP and continued could stop answering for good. librdkafka blocks signals in its clients'
/// threads in the same way; the mock cluster's thread, started by <c>rd_kafka_mock_cluster_new</c> on the caller's
/// thread, takes the caller's mask. Blocking does not delay the continue itself, which the kernel performs when
/// SIGCONT is sent. Where there are no POSIX signals the call just runs.
/// </remarks>
internal static unsafe partial class BlockedSignals
{
    // glibc's sigset_t is 128 bytes, macOS's 4: one size holds either.
    private const int SetSize = 128;

    /// <summary>Runs <paramref name="call"/> on this thread with all signals blocked, then restores the thread's mask.</summary>
    public static T Around<T>(Func<T> call)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return call();
        var all = stackalloc byte[SetSize];
        var previous = stackalloc byte[SetSize];
        var (block, setMask) = OperatingSystem.IsMacOS() ? (1, 3) : (0, 2);
        if (SigFillSet(all) != 0 || PthreadSigmask(block, all, previous) != 0) return call();
        try
        {
            return call();
        }
        finally
        {
            PthreadSigmask(setMask, previous, null);
        }
    }

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    private static partial int SigFillSet(byte* set);

    [LibraryImport("libc", EntryPoint = "pthread_sigmask")]
    private static partial int PthreadSigmask(int how, byte* set, byte* previous);
}
