using Sluice.App.Ingest;
using Sluice.Core.Events;
using Sluice.Streaming.Errors;

namespace Sluice.UnitTests.Ingest;

/// <summary>An ingest output that keeps what it is given; <see cref="FailAfterEvents"/> makes it throw like a broker gone.</summary>
internal sealed class RecordingOutput : IIngestOutput
{
    public List<(ClickEvent Event, string Json)> Events { get; } = [];
    public List<(string Key, long Timestamp)> Changes { get; } = [];
    public List<DeadLetterRecord> DeadLetters { get; } = [];
    public int Flushes { get; private set; }
    public int? FailAfterEvents { get; init; }

    public void Event(ClickEvent e, ReadOnlyMemory<byte> json)
    {
        if (Events.Count == FailAfterEvents) throw new IOException("the output is gone");
        Events.Add((e, System.Text.Encoding.UTF8.GetString(json.Span)));
    }

    public void Change(string key, long timestampMs, ReadOnlyMemory<byte> json) => Changes.Add((key, timestampMs));

    public void DeadLetter(DeadLetterRecord letter) => DeadLetters.Add(letter);

    public void Flush(CancellationToken cancellationToken = default) => Flushes++;

    public void Dispose() { }
}
