using Sluice.Core.Events;

namespace Sluice.Pipelines.Quality;

/// <summary>What became of one input record, as far as data quality is concerned: each record has exactly one outcome.</summary>
public enum QualityOutcome : byte
{
    /// <summary>A dead letter: undecodable, failing validation, or failing in a processor.</summary>
    Invalid,

    /// <summary>Valid, but its event id was seen within the deduplication horizon.</summary>
    Duplicate,

    /// <summary>Valid and new, from a crawler or HTTP tool.</summary>
    Bot,

    /// <summary>Valid, new and human, but its window had closed.</summary>
    Late,

    /// <summary>Valid, new, human and on time: enriched and aggregated.</summary>
    Accepted,
}

/// <summary>One input record's outcome, fed to the quality window: its event (when it was valid), the dead letter's reason, its ingest lag.</summary>
/// <param name="Event">The decoded event of a valid record; null for a dead letter.</param>
/// <param name="Reason">The dead letter's reason code; null otherwise.</param>
/// <param name="IngestLagMs">Processing time minus event time, for accepted events.</param>
public readonly record struct QualityObservation(QualityOutcome Outcome, ClickEvent? Event, string? Reason, long IngestLagMs);
