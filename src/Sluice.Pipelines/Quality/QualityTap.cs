using Sluice.Core.Events;
using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Quality;

/// <summary>Marks, on the record passing through, how far it got through the topology, and forwards it unchanged.</summary>
/// <remarks>Placed between stages by <see cref="QualityWiring"/>; the <see cref="QualityProbe"/> turns the last mark into the record's outcome.</remarks>
/// <param name="outcome">The outcome the record has if nothing later marks it; null for the tap after decoding, which only notes the event's time.</param>
public sealed class QualityTap<TValue>(QualityProbe probe, QualityOutcome? outcome, IProcessor<string, TValue> next) : IProcessor<string, TValue>
{
    public void Init(IProcessorContext context)
    {
    }

    public void Process(in Record<string, TValue> record)
    {
        if (outcome is not { } o)
        {
            if (record.Value is ClickEvent decoded) probe.MarkDecoded(decoded);
        }
        else if (o == QualityOutcome.Duplicate && record.Value is ClickEvent e) probe.MarkValid(e, record.Timestamp);
        else probe.Mark(o);
        next.Process(record);
    }

    public void Close()
    {
    }
}
