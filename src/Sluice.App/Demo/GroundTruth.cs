using Sluice.Core.Events;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;

namespace Sluice.App.Demo;

/// <summary>What the generator was told to send and what a correct pipeline must therefore output.</summary>
public sealed record GroundTruth(long Records, long Valid, long Malformed, long Late, long Bots, long Duplicates, IReadOnlyDictionary<long, long[]> Windows)
{
    public static GroundTruth From(ManifestBuilder m)
    {
        ArgumentNullException.ThrowIfNull(m);
        long valid = 0;
        foreach (var type in EventTypes.All) valid += m.ValidCount(type);
        long malformed = 0;
        foreach (var kind in Enum.GetValues<FaultKind>())
            if (kind.IsMalformed()) malformed += m.FaultCount(kind);
        return new GroundTruth(m.ClickRecords, valid, malformed, m.FaultCount(FaultKind.Late), m.FaultCount(FaultKind.Bot),
            m.FaultCount(FaultKind.Duplicate), m.Windows.ToDictionary(kv => kv.Key, kv => (long[])kv.Value.Clone()));
    }
}
