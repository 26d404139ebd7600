using System.Text;
using Sluice.Core.Errors;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming;

public class TaskManagerTests
{
    private static TopologyTestDriver Driver() =>
        new(new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100))), WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero));

    private static TopologyTestDriver TwoTopics(WatermarkStrategy strategy) =>
        new(new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100))) { SourceTopics = ["in", "in2"] }, strategy);

    [Fact]
    public void assignment_creates_one_task_per_partition_and_revocation_closes_it()
    {
        using var d = Driver();
        d.Assign(0, 3);
        Assert.Equal([0, 3], d.TaskManager.Tasks.Select(t => t.TaskId.Partition));
        d.Pipe(TestTopology.Input("a", 10), partition: 3);
        d.Revoke(3);
        Assert.Equal([0], d.TaskManager.Tasks.Select(t => t.TaskId.Partition));
        Assert.Empty(d.Output<string>("out")); // open windows belong to the partition's next owner
    }

    [Fact]
    public void each_task_owns_its_state_and_watermark()
    {
        using var d = Driver();
        d.Pipe(TestTopology.Input("a", 10), partition: 0);
        d.Pipe(TestTopology.Input("a", 20), partition: 1);
        d.Pipe(TestTopology.Input("a", 500), partition: 1);
        Assert.Equal(["a [0,100) 1"], d.Output<string>("out")); // only partition 1's window closed
        Assert.Equal(10, d.Task(0).Watermark);
        Assert.Equal(500, d.Task(1).Watermark);
    }

    [Fact]
    public void a_task_reading_two_topics_waits_for_the_slower_partition()
    {
        using var d = TwoTopics(WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero));
        d.Assign(0);
        d.Pipe("in", 0, TestTopology.Input("a", 10));
        d.Pipe("in", 0, TestTopology.Input("a", 500));
        Assert.Empty(d.Output<string>("out"));
        d.Pipe("in2", 0, TestTopology.Input("b", 300));
        Assert.Equal(300, d.Task().Watermark);
        Assert.Equal(["a [0,100) 1"], d.Output<string>("out"));
    }

    [Fact]
    public void a_revoked_partition_of_a_task_that_keeps_another_no_longer_holds_its_watermark_back()
    {
        // Without idleness, a partition left in the minimum after its revocation would hold the task back for ever.
        using var d = TwoTopics(WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero));
        d.Assign(0);
        d.Pipe("in", 0, TestTopology.Input("a", 10));
        d.Pipe("in2", 0, TestTopology.Input("b", 20));
        d.TaskManager.OnRevoked([new TopicPartition("in2", 0)]);
        d.Pipe("in", 0, TestTopology.Input("a", 500));
        Assert.Equal(500, d.Task().Watermark);
        Assert.Equal(["a [0,100) 1", "b [0,100) 1"], d.Output<string>("out"));
    }

    [Fact]
    public void idle_partition_releases_the_watermark_after_the_idle_timeout_of_processing_time()
    {
        using var d = TwoTopics(WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero).WithIdleness(TimeSpan.FromSeconds(30)));
        d.Assign(0);
        d.AdvanceClock(TimeSpan.FromSeconds(20));
        d.Pipe("in", 0, TestTopology.Input("a", 10));
        d.Pipe("in", 0, TestTopology.Input("a", 500));
        d.AdvanceClock(TimeSpan.FromSeconds(9));
        Assert.Empty(d.Output<string>("out"));
        d.AdvanceClock(TimeSpan.FromSeconds(1)); // in2 silent for 30 s, in still active
        Assert.True(d.Task().IsIdle("in2"));
        Assert.False(d.Task().IsIdle("in"));
        Assert.Equal(["a [0,100) 1"], d.Output<string>("out"));
    }

    [Fact]
    public void record_of_an_unassigned_partition_is_refused_with_a_clear_error()
    {
        using var d = Driver();
        d.Assign(0);
        var ex = Assert.Throws<SluiceException>(() => d.TaskManager.Process(new SourceRecord("in", 5, 0, 0, null, [1])));
        Assert.Contains("in[5]@0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void bad_input_and_processor_failures_go_to_the_dead_letter_output_with_source_and_payload()
    {
        using var d = Driver();
        d.Pipe(Encoding.UTF8.GetBytes("nonsense"));
        d.Pipe(Encoding.UTF8.GetBytes("boom"));
        var letters = d.Output<DeadLetterRecord>("dlq");
        Assert.Equal(["bad_input", StreamReasonCodes.ProcessingFailed], letters.Select(l => l.ReasonCode));
        Assert.Equal(("in", 0, 1L), (letters[1].Topic, letters[1].Partition, letters[1].Offset));
        Assert.Equal("boom", Encoding.UTF8.GetString(letters[1].Payload));
        Assert.Contains("InvalidOperationException", letters[1].Detail, StringComparison.Ordinal);
        Assert.Equal(1, d.Task().Metrics.Get(StreamReasonCodes.DeadLetterCounterPrefix + "bad_input"));
        Assert.Equal(2, d.Task().Metrics.Get("records_in"));
    }

    [Fact]
    public void task_lifecycle_events_fire_on_assignment_and_revocation()
    {
        using var d = Driver();
        var created = new List<int>();
        var closing = new List<int>();
        d.TaskManager.TaskCreated += t => created.Add(t.TaskId.Partition);
        d.TaskManager.TaskClosing += t => closing.Add(t.TaskId.Partition);
        d.Assign(1, 2);
        d.Revoke(2);
        Assert.Equal([1, 2], created);
        Assert.Equal([2], closing);
    }

    [Fact]
    public void a_task_closed_with_open_windows_counts_and_logs_the_state_it_drops()
    {
        var log = new WarningLog();
        using var tasks = new TaskManager(new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100))),
            WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero), TimeProvider.System, new NullCollector(), log);
        tasks.OnAssigned([new TopicPartition("in", 0), new TopicPartition("in", 1)]);
        tasks.Process(new SourceRecord("in", 0, 0, 0, null, TestTopology.Input("a", 10)));
        tasks.Process(new SourceRecord("in", 0, 1, 0, null, TestTopology.Input("b", 20)));
        tasks.Process(new SourceRecord("in", 1, 0, 0, null, TestTopology.Input("a", 10)));
        tasks.Task(1)!.AdvanceWatermarkTo(EventTime.EndOfTime); // partition 1's window fires: its task holds nothing now

        tasks.OnRevoked([new TopicPartition("in", 1)]);
        Assert.Equal(0, tasks.DroppedStateEntries);
        Assert.Empty(log.Warnings);

        tasks.OnRevoked([new TopicPartition("in", 0)]);
        Assert.Equal(2, tasks.DroppedStateEntries); // partition 0's window [0, 100) is still open, with keys a and b
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("task-0", warning, StringComparison.Ordinal);
        Assert.Contains("sum=2", warning, StringComparison.Ordinal);
    }

    private sealed class WarningLog : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
    }

    private sealed class NullCollector : IRecordCollector
    {
        public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record)
        {
        }
    }

    [Fact]
    public void sinks_bind_a_sender_once_when_their_task_starts_and_send_every_record_through_it()
    {
        var collector = new BindingCollector();
        using (var tasks = new TaskManager(new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100))),
                   WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero), TimeProvider.System, collector))
        {
            tasks.OnAssigned([new TopicPartition("in", 0)]);
            Assert.Equal(["late", "out"], collector.Bound.Order());
            for (var i = 0; i < 50; i++)
                tasks.Process(new SourceRecord("in", 0, i, 0, null, TestTopology.Input("k" + (i % 3), 10 + i * 20)));
            tasks.Process(new SourceRecord("in", 0, 50, 0, null, Encoding.UTF8.GetBytes("not a record")));
            tasks.AdvanceWatermarkTo(EventTime.EndOfTime);
        }

        Assert.Equal(2, collector.Bound.Count); // bound per task, not per record
        Assert.True(collector.SentThroughSender["out"] >= 10, "window results go through the bound sender");
        // Dead letters are rare and untyped per topic: they use the collector's generic Send.
        Assert.Equal(["dlq"], collector.SentDirectly);
    }

    private sealed class BindingCollector : IRecordCollector
    {
        public List<string> Bound { get; } = [];

        public Dictionary<string, int> SentThroughSender { get; } = [];

        public List<string> SentDirectly { get; } = [];

        public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record) => SentDirectly.Add(topic);

        public IRecordSender<TKey, TValue> SenderFor<TKey, TValue>(string topic)
        {
            Bound.Add(topic);
            SentThroughSender[topic] = 0;
            return new Sender<TKey, TValue>(this, topic);
        }

        private sealed class Sender<TKey, TValue>(BindingCollector owner, string topic) : IRecordSender<TKey, TValue>
        {
            public void Send(in Record<TKey, TValue> record) => owner.SentThroughSender[topic]++;
        }
    }
}
