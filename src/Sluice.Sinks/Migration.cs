namespace Sluice.Sinks;

/// <summary>One step of a store's schema; once released, its SQL never changes (a change is a new migration).</summary>
internal sealed record Migration(int Version, string Name, string Sql);
