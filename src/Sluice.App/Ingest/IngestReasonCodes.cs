namespace Sluice.App.Ingest;

/// <summary>
/// Reason codes the file source gives rows that are not events, beside the decoder's own
/// (<see cref="Sluice.Core.Errors.ReasonCodes"/>: <c>invalid_json</c>, <c>invalid_field_type</c>, ...). Never renamed once published.
/// </summary>
public static class IngestReasonCodes
{
    /// <summary>A CSV row with more or fewer columns than its file's header.</summary>
    public const string WrongColumnCount = "wrong_column_count";

    /// <summary>A CSV row that is not RFC 4180: a quote that never closes, or text after a closing quote.</summary>
    public const string InvalidCsv = "invalid_csv";
}
