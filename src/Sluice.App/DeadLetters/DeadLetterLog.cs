using Sluice.Verification;

namespace Sluice.App.DeadLetters;

/// <summary>Which dead letters a command acts on: by reason, by when they failed, or by id; every letter when empty.</summary>
public sealed record DeadLetterFilter(IReadOnlySet<string> Reasons, long? SinceMs, long? UntilMs, IReadOnlySet<string> Ids)
{
    /// <summary>Every letter.</summary>
    public static DeadLetterFilter All { get; } = new(new HashSet<string>(), null, null, new HashSet<string>());

    public bool Matches(DeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        return (Reasons.Count == 0 || Reasons.Contains(letter.ReasonCode))
               && (SinceMs is not { } since || letter.FailedAtMs >= since)
               && (UntilMs is not { } until || letter.FailedAtMs < until)
               && (Ids.Count == 0 || Ids.Contains(letter.Id));
    }
}

/// <summary>The dead-letter topic and its replay log, read whole: the letters, and the newest replay mark of each.</summary>
/// <remarks>The replay log is the dead-letter topic's name with <c>.replays</c> appended; the broker command creates it
/// with the pipeline's topics. A record of the dead-letter topic that is not a dead letter is counted, not shown.</remarks>
public sealed class DeadLetterLog
{
    private DeadLetterLog(string topic, IReadOnlyList<DeadLetter> letters, int unreadable, IReadOnlyDictionary<string, ReplayMark> marks, long deleted)
    {
        Topic = topic;
        Letters = letters;
        Unreadable = unreadable;
        Marks = marks;
        Deleted = deleted;
    }

    /// <summary>The dead-letter topic.</summary>
    public string Topic { get; }

    /// <summary>Every letter the broker still holds, by partition and offset.</summary>
    public IReadOnlyList<DeadLetter> Letters { get; }

    /// <summary>Records of the topic that are not dead letters.</summary>
    public int Unreadable { get; }

    /// <summary>Letters the broker has already deleted (retention): below each partition's log start.</summary>
    public long Deleted { get; }

    /// <summary>The newest replay mark of each replayed letter, by letter id.</summary>
    public IReadOnlyDictionary<string, ReplayMark> Marks { get; }

    /// <summary>The replay log of <paramref name="deadLetterTopic"/>.</summary>
    public static string ReplayTopicOf(string deadLetterTopic) => Pipelines.Hosting.PipelineTopics.ReplayLog(deadLetterTopic);

    /// <summary>Reads <paramref name="topic"/> and its replay log (absent: nothing replayed yet) from their first held offsets to their ends.</summary>
    public static DeadLetterLog Read(TopicReader reader, string topic)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var logs = reader.Logs(topic);
        if (logs.Count == 0)
            throw new Core.Errors.SluiceException($"the dead-letter topic {topic} does not exist on the cluster; check processor.deadLetterTopic (or the domain file's topics) and kafka.bootstrapServers");
        var letters = new List<DeadLetter>();
        var unreadable = 0;
        foreach (var partition in reader.Read(logs))
            foreach (var record in partition)
            {
                if (DeadLetter.Parse(record) is { } letter) letters.Add(letter);
                else unreadable++;
            }
        var marks = new Dictionary<string, ReplayMark>(StringComparer.Ordinal);
        var replays = reader.Logs(ReplayTopicOf(topic));
        foreach (var partition in reader.Read(replays))
            foreach (var record in partition)
                if (ReplayMark.Parse(record.Value) is { } mark) marks[mark.Letter] = mark;
        return new DeadLetterLog(topic, letters, unreadable, marks, logs.Sum(l => l.LogStart));
    }
}
