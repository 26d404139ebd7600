using Sluice.Streaming.State;

namespace Sluice.Pipelines.Quality;

/// <summary>How the quality window's counts are written to task snapshots.</summary>
public static class QualitySerdes
{
    public static IStateSerde<QualityAggregator.Acc> Counts { get; } = StateSerdes.Create<QualityAggregator.Acc>(Write, Read);

    private static void Write(SnapshotWriter writer, in QualityAggregator.Acc value)
    {
        writer.WriteVarInt64(value.RecordsIn);
        writer.WriteVarInt64(value.Duplicates);
        writer.WriteVarInt64(value.Bots);
        writer.WriteVarInt64(value.Late);
        writer.WriteVarInt64(value.Accepted);
        writer.WriteVarInt64(value.IngestLagSumMs);
        writer.WriteVarInt64(value.IngestLagMaxMs);
        writer.WriteCount(value.InvalidByReason.Count);
        foreach (var (reason, n) in value.InvalidByReason)
        {
            writer.WriteString(reason);
            writer.WriteVarInt64(n);
        }
        writer.WriteCount(value.Nulls.Length);
        foreach (var n in value.Nulls) writer.WriteVarInt64(n);
    }

    private static QualityAggregator.Acc Read(ref SnapshotReader reader)
    {
        var acc = new QualityAggregator.Acc
        {
            RecordsIn = reader.ReadVarInt64(),
            Duplicates = reader.ReadVarInt64(),
            Bots = reader.ReadVarInt64(),
            Late = reader.ReadVarInt64(),
            Accepted = reader.ReadVarInt64(),
            IngestLagSumMs = reader.ReadVarInt64(),
            IngestLagMaxMs = reader.ReadVarInt64(),
        };
        var reasons = reader.ReadCount();
        for (var i = 0; i < reasons; i++)
        {
            var reason = reader.ReadRequiredString();
            if (!acc.InvalidByReason.TryAdd(reason, reader.ReadVarInt64())) reader.Fail($"reason '{reason}' appears twice");
        }
        var fields = reader.ReadCount();
        if (fields != acc.Nulls.Length) reader.Fail($"{fields} tracked fields, this build has {acc.Nulls.Length}");
        for (var i = 0; i < fields; i++) acc.Nulls[i] = reader.ReadVarInt64();
        return acc;
    }
}
