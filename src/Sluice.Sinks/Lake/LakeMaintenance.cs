namespace Sluice.Sinks.Lake;

/// <summary>Live files and bytes of a table, and what is on disk under it.</summary>
public sealed record LakeTableSize(string Table, long Version, int LiveFiles, long LiveBytes, int DiskFiles, long DiskBytes);

/// <summary>Compaction, vacuum and sizes over every table of a lake.</summary>
public static class LakeMaintenance
{
    /// <summary>Live files (the current version's adds) and every Parquet file under each table's partitions.</summary>
    public static IReadOnlyList<LakeTableSize> Sizes(LakeSink lake)
    {
        ArgumentNullException.ThrowIfNull(lake);
        var sizes = new List<LakeTableSize>();
        foreach (var table in lake.Tables)
        {
            table.Log.CatchUp(table.Snapshot);
            var disk = Directory.Exists(table.Log.TableRoot)
                ? Directory.EnumerateDirectories(table.Log.TableRoot, LakeTable<BronzeRow>.PartitionColumn + "=*")
                    .SelectMany(d => Directory.EnumerateFiles(d, "*.parquet")).Select(f => new FileInfo(f).Length).ToList()
                : [];
            sizes.Add(new LakeTableSize(table.Name, table.Snapshot.Version, table.Snapshot.Files.Count, table.Snapshot.Files.Values.Sum(a => a.Size),
                disk.Count, disk.Sum()));
        }
        return sizes;
    }
}
