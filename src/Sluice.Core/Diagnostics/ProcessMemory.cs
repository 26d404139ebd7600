using System.Globalization;

namespace Sluice.Core.Diagnostics;

/// <summary>Where this process's memory is: resident set (now and peak) from the kernel, and the managed heap by generation from the GC.</summary>
/// <param name="ResidentBytes">VmRSS: pages in memory now.</param>
/// <param name="PeakResidentBytes">VmHWM: the most ever resident.</param>
/// <param name="ManagedCommittedBytes">Memory the GC has committed for the managed heap (what of the resident set is managed, at most).</param>
/// <param name="ManagedHeapBytes">The managed heap after the last collection, all generations.</param>
/// <param name="GenerationBytes">After the last collection: gen0, gen1, gen2, large objects, pinned objects.</param>
/// <param name="FragmentedBytes">Free space inside the managed heap after the last collection.</param>
public sealed record ProcessMemory(long ResidentBytes, long PeakResidentBytes, long ManagedCommittedBytes, long ManagedHeapBytes,
    IReadOnlyList<long> GenerationBytes, long FragmentedBytes)
{
    /// <summary>Resident memory outside the managed heap: native libraries (librdkafka's queues and buffers), the runtime, code, stacks.</summary>
    public long NativeBytes => Math.Max(0, ResidentBytes - ManagedCommittedBytes);

    /// <summary>Now, from <c>/proc/self/status</c> (zero elsewhere) and <see cref="GC.GetGCMemoryInfo()"/>.</summary>
    public static ProcessMemory Read()
    {
        long rss = 0, hwm = 0;
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line);
            }
        }
        var gc = GC.GetGCMemoryInfo();
        var generations = new long[gc.GenerationInfo.Length];
        for (var i = 0; i < generations.Length; i++) generations[i] = gc.GenerationInfo[i].SizeAfterBytes;
        return new ProcessMemory(rss, hwm, gc.TotalCommittedBytes, gc.HeapSizeBytes, generations, gc.FragmentedBytes);
    }

    /// <summary>One line: resident now and peak, managed committed and live by generation, native.</summary>
    public override string ToString()
    {
        static string Mb(long bytes) => (bytes / (1024.0 * 1024)).ToString("N0", CultureInfo.InvariantCulture);
        return $"RSS {Mb(ResidentBytes)} MB (peak {Mb(PeakResidentBytes)}); managed committed {Mb(ManagedCommittedBytes)} MB, heap {Mb(ManagedHeapBytes)} MB " +
               $"[gen0 {Mb(GenerationBytes.ElementAtOrDefault(0))}, gen1 {Mb(GenerationBytes.ElementAtOrDefault(1))}, gen2 {Mb(GenerationBytes.ElementAtOrDefault(2))}, " +
               $"LOH {Mb(GenerationBytes.ElementAtOrDefault(3))}, POH {Mb(GenerationBytes.ElementAtOrDefault(4))}], fragmented {Mb(FragmentedBytes)} MB; " +
               $"outside the managed heap {Mb(NativeBytes)} MB";
    }

    private static long Kilobytes(string line)
    {
        var digits = line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
        var end = digits.IndexOf(' ');
        return long.Parse(end < 0 ? digits : digits[..end], NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
    }
}
