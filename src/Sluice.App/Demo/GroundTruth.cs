using Sluice.Core.Events;
using Sluice.Generate.Cdc;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;

namespace Sluice.App.Demo;

/// <summary>What the generator was told to send and what a correct pipeline must therefore output.</summary>
/// <param name="ProfileVersions">User-profile changes that open a version of dim_users: snapshot reads, creates, updates.</param>
/// <param name="CurrentUsers">Users with a current profile at the end: read or created, less deleted.</param>
public sealed record GroundTruth(long Records, long Valid, long Malformed, long Late, long Bots, long Duplicates, IReadOnlyDictionary<long, long[]> Windows,
    long ProfileVersions = 0, long CurrentUsers = 0)
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
            m.FaultCount(FaultKind.Duplicate), m.Windows.ToDictionary(kv => kv.Key, kv => (long[])kv.Value.Clone()),
            m.ChangeCount(ChangeOp.Read) + m.ChangeCount(ChangeOp.Create) + m.ChangeCount(ChangeOp.Update),
            m.ChangeCount(ChangeOp.Read) + m.ChangeCount(ChangeOp.Create) - m.ChangeCount(ChangeOp.Delete));
    }
}
