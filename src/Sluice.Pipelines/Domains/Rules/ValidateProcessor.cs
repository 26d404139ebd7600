using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Domains.Rules;

/// <summary>Validation in any topology: the first broken rule's code goes to the dead-letter output; a valid record's time then feeds the watermark.</summary>
/// <remarks>A maxAge rule measures against the record's Kafka timestamp, which the record still carries here.</remarks>
/// <param name="eventTime">The record's event time, epoch milliseconds.</param>
public sealed class ValidateProcessor<T>(RuleSet<T> rules, Func<T, long> eventTime, IProcessor<string, T> next) : IProcessor<string, T>
{
    private IProcessorContext _context = null!;

    public void Init(IProcessorContext context) => _context = context;

    public void Process(in Record<string, T> record)
    {
        var reason = rules.Validate(record.Value, _context.NowMs, record.Timestamp, out var detail);
        if (reason is not null)
        {
            _context.DeadLetter(reason, detail);
            return;
        }
        // Only trusted times move the watermark: a bad timestamp must not close every window. Nor may a device whose
        // clock runs fast (ahead, but within the allowed future skew): past processing time, its time counts as now.
        var time = eventTime(record.Value);
        _context.ReportEventTime(Math.Min(time, _context.NowMs));
        next.Process(record.WithTimestamp(time));
    }

    public void Close()
    {
    }
}
