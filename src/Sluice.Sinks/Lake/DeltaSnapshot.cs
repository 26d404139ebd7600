namespace Sluice.Sinks.Lake;

/// <summary>A table's state at one version: the reconciliation of its log's actions (the protocol's "Action Reconciliation").</summary>
public sealed class DeltaSnapshot
{
    /// <summary>-1 for a table with no commit yet.</summary>
    public long Version { get; internal set; } = -1;
    public ProtocolAction? Protocol { get; internal set; }
    public MetadataAction? Metadata { get; internal set; }

    /// <summary>The live data files by path: added and not removed since.</summary>
    public Dictionary<string, AddAction> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Removed files by path, until vacuum forgets them.</summary>
    public Dictionary<string, RemoveAction> Tombstones { get; } = new(StringComparer.Ordinal);

    /// <summary>The latest txn version per appId.</summary>
    public Dictionary<string, long> Transactions { get; } = new(StringComparer.Ordinal);

    /// <summary>Applies one commit's (or checkpoint's) actions in order.</summary>
    internal void Apply(DeltaAction action)
    {
        if (action.Protocol is { } p) Protocol = p;
        if (action.MetaData is { } m) Metadata = m;
        if (action.Txn is { } t) Transactions[t.AppId] = t.Version;
        if (action.Add is { } a)
        {
            Files[a.Path] = a;
            Tombstones.Remove(a.Path);
        }
        if (action.Remove is { } r)
        {
            Files.Remove(r.Path);
            Tombstones[r.Path] = r;
        }
    }

    /// <summary>Every action a checkpoint of this snapshot holds: protocol, metaData, txns, live adds, tombstones.</summary>
    public IEnumerable<DeltaAction> CheckpointActions(long now)
    {
        if (Protocol is not null) yield return new DeltaAction { Protocol = Protocol };
        if (Metadata is not null) yield return new DeltaAction { MetaData = Metadata };
        foreach (var (appId, version) in Transactions.OrderBy(t => t.Key, StringComparer.Ordinal))
            yield return new DeltaAction { Txn = new TxnAction { AppId = appId, Version = version, LastUpdated = now } };
        foreach (var add in Files.Values.OrderBy(a => a.Path, StringComparer.Ordinal)) yield return new DeltaAction { Add = add };
        foreach (var remove in Tombstones.Values.OrderBy(r => r.Path, StringComparer.Ordinal)) yield return new DeltaAction { Remove = remove };
    }
}
