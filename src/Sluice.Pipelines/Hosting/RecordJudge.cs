using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Schemas.Registry;

namespace Sluice.Pipelines.Hosting;

/// <summary>What the configured topology's decoding and rules make of one payload: valid, or the dead-letter reason it
/// would get now. What a dead letter would become if replayed.</summary>
/// <remarks>Only the front of the topology is judged (decode, then the rules in file order): a payload that passes may
/// still be dropped as a repeat, go to the bots topic or be late, which depend on what the processor has seen.</remarks>
public sealed class RecordJudge
{
    private readonly Func<byte[], long, long, (string? Reason, string Detail)> _judge;

    private RecordJudge(Func<byte[], long, long, (string?, string)> judge) => _judge = judge;

    /// <summary>The judge of <paramref name="options"/>' topology (<c>processor.domain</c>); with <paramref name="schemas"/> it reads Avro frames too.</summary>
    public static RecordJudge For(ClickstreamOptions options, ISchemaSource? schemas)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Domain.DescribesOwnEvent)
        {
            var schema = DomainSchema.Compile(options.Domain);
            var decoder = new DomainRecordDecoder(schema, schemas is null ? null : new DomainRecordAvro(schema, schemas));
            return new RecordJudge((payload, logMs, nowMs) =>
                !decoder.TryDecode(payload, out var record, out var error) ? (error.ReasonCode, error.Detail)
                : schema.Rules.Validate(record!, nowMs, logMs, out var detail) is { } code ? (code, detail) : (null, ""));
        }
        var events = schemas is null ? ClickEventDecoder.JsonOnly : new ClickEventDecoder(schemas);
        var rules = ClickstreamRules.Compile(options.Domain);
        return new RecordJudge((payload, logMs, nowMs) =>
            !events.TryDecode(payload, out var e, out var error) ? (error.ReasonCode, error.Detail)
            : rules.Validate(e!, nowMs, logMs, out var detail) is { } code ? (code, detail) : (null, ""));
    }

    /// <summary>Null reason when <paramref name="payload"/> decodes and breaks no rule; else the code and detail it would be dead-lettered with.</summary>
    /// <param name="logTimestampMs">The time it entered the log (the old-event bound is measured against it); 0 when unknown.</param>
    /// <param name="nowMs">Processing time.</param>
    public (string? Reason, string Detail) Judge(byte[] payload, long logTimestampMs, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return _judge(payload, logTimestampMs, nowMs);
    }
}
