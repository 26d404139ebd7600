using System.Text;
using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.IntegrationTests.Cli;
using Sluice.Kafka;
using Sluice.TestKit;
using Sluice.Verification;
using Sluice.Verification.Recording;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Verification;

/// <summary><c>sluice record</c> as a real child process: kill -9 and restart while records flow; a partition the broker cut.</summary>
public sealed class RecordCliTests(ITestOutputHelper output)
{
    private const int Partitions = 3;

    [Fact]
    public async Task a_recorder_killed_mid_stream_and_restarted_keeps_every_record_exactly_once()
    {
        // 1. An embedded broker with the six output topics, and a producer writing numbered records into all of them.
        using var broker = EmbeddedBroker.Start(1, Recordings.OutputTopics.Select(t => new TopicSpec(t, Partitions)));
        using var dir = new TempDirectory("sluice-record");
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);
        using var stop = new CancellationTokenSource();
        var produced = Task.Run(() => Produce(factory, stop.Token));

        // 2. The recorder starts; three times, once it has recorded something new: kill -9 it and start it again.
        var recorder = await Recordings.StartAsync(broker.BootstrapServers, dir.Path);
        try
        {
            for (var kill = 1; kill <= 3; kill++)
            {
                await recorder.WaitForLineAsync(l => Has(l, "Recorded "), Long, "progress");
                recorder.KillHard();
                Assert.Equal(137, await recorder.WaitForExitAsync(Long));
                recorder.Dispose();
                recorder = await Recordings.StartAsync(broker.BootstrapServers, dir.Path);
                output.WriteLine(recorder.Lines.First(l => Has(l, "Recording clickstream.enriched")));
            }

            // 3. The producer stops; the recorder catches up, then SIGTERM: it exits 0.
            await stop.CancelAsync();
            var total = await produced;
            await Recordings.CaughtUpAsync(broker.BootstrapServers, dir.Path, recorder);
            recorder.Terminate();
            Assert.Equal(0, await recorder.WaitForExitAsync(Long));

            // 4. Every topic partition: the recording holds exactly the broker's records, each offset once, bytes equal.
            using var reader = new TopicReader(factory, Long);
            long recorded = 0;
            foreach (var topic in Recordings.OutputTopics)
            {
                var onBroker = reader.Read(reader.Logs(topic));
                var inFiles = RecordingDirectory.Read(dir.Path, topic);
                Assert.Equal(Partitions, inFiles.Count);
                for (var p = 0; p < Partitions; p++)
                {
                    Assert.Equal(onBroker[p].Select(r => r.Offset), inFiles[p].Select(r => r.Offset));
                    Assert.Equal(onBroker[p].Select(r => Encoding.UTF8.GetString(r.Value)), inFiles[p].Select(r => Encoding.UTF8.GetString(r.Value)));
                    Assert.Equal(onBroker[p].Select(r => r.Key is null ? null : Encoding.UTF8.GetString(r.Key)), inFiles[p].Select(r => r.Key is null ? null : Encoding.UTF8.GetString(r.Key)));
                }
                recorded += inFiles.Sum(p => p.Count);
            }
            Assert.Equal(total, recorded);
            output.WriteLine($"{total:N0} records produced, {recorded:N0} recorded across 3 kill -9s, none twice");
        }
        finally
        {
            await stop.CancelAsync();
            recorder.Dispose();
        }
    }

    [Fact]
    public async Task a_recorder_that_starts_after_the_broker_deleted_records_refuses_to_record_a_gap()
    {
        // 1. The first partition of clickstream.bots filled past the embedded broker's 5 MiB: its log no longer starts at 0.
        using var broker = EmbeddedBroker.Start(1, Recordings.OutputTopics.Select(t => new TopicSpec(t, 1)));
        using var dir = new TempDirectory("sluice-record");
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);
        using (var producer = new ProducerBuilder<byte[]?, byte[]>(factory.ProducerConfig()).Build())
        {
            var value = new byte[64 * 1024];
            new Random(1).NextBytes(value); // random: lz4 would shrink zeros to nothing
            for (var i = 0; i < 128; i++) producer.Produce(new TopicPartition("clickstream.bots", 0), new Message<byte[]?, byte[]> { Value = value });
            producer.Flush(Long);
        }

        // 2. The recorder says which partition, from which offset, and exits 1.
        var r = await SluiceProcess.RunAsync(["record", "--bootstrap-servers", broker.BootstrapServers, "--dir", dir.Path], Long);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"cannot record clickstream\.bots\[0\]: the next offset to record is 0 but the broker's log now starts at [1-9][\d,]*", r.StdErr);
    }

    [Fact]
    public async Task verify_of_a_recording_equals_verify_of_the_topics_and_refuses_a_recording_behind_them()
    {
        // 1. A broker process, traffic with its manifest, the recorder, and one `sluice process` run to the end of the input.
        using var broker = await BrokerProcess.StartAsync();
        using var dir = new TempDirectory("sluice-record");
        using var checkpoints = new TempDirectory("sluice-ckpt");
        var recording = Path.Combine(dir.Path, "outputs");
        var manifest = dir.File("truth.json");
        using var recorder = await Recordings.StartAsync(broker.BootstrapServers, recording);
        await ProduceAsync(broker.BootstrapServers, 20_000, manifest: manifest);
        await RunThenTerminateAsync(ProcessArgs(broker.BootstrapServers, "record-verify", checkpoints.Path), broker.BootstrapServers, checkpoints.Path, "record-verify", toEnd: true);
        await Recordings.CaughtUpAsync(broker.BootstrapServers, recording, recorder);
        recorder.Terminate();
        Assert.Equal(0, await recorder.WaitForExitAsync(Long));

        // 2. verify from the topics and from the recording: both equal, the same table row for row.
        var fromTopics = await VerifyAsync(broker.BootstrapServers, manifest, output);
        var fromRecording = await SluiceProcess.RunAsync(
            ["verify", "--bootstrap-servers", broker.BootstrapServers, "--manifest", manifest, "--outputs-from", recording, "--examples", "3"], Long);
        output.WriteLine(fromRecording.StdOut);
        var recorded = new VerifyReport(fromRecording);
        AssertEqual(fromTopics);
        AssertEqual(recorded);
        Assert.Equal(fromTopics.Rows, recorded.Rows);
        // The six outputs, dim_users and the events' profiles.
        Assert.Equal(8, recorded.Rows.Count);
        Assert.Contains($"outputs read from the recording in {recording}", fromRecording.StdOut.Replace("\n", "", StringComparison.Ordinal));

        // 3. One more record on an output topic that the stopped recorder never saw: verify of the recording refuses it.
        using (var producer = new ProducerBuilder<byte[]?, byte[]>(Factory(broker.BootstrapServers).ProducerConfig()).Build())
        {
            producer.Produce(new TopicPartition("clickstream.sessions", 0), new Message<byte[]?, byte[]> { Value = "{}"u8.ToArray() });
            producer.Flush(Long);
        }
        var behind = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", broker.BootstrapServers, "--manifest", manifest, "--outputs-from", recording], Long);
        Assert.Equal(1, behind.ExitCode);
        Assert.Matches(@"the recording of clickstream\.sessions\[0\] in .* ends at offset [\d,-]+ but the broker holds a record at [\d,]+; let `sluice record` catch up", behind.StdErr);
    }

    [Fact]
    public async Task verify_outputs_from_a_directory_that_does_not_exist_is_refused_before_anything_is_read()
    {
        var r = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", "127.0.0.1:9", "--outputs-from", "/nonexistent/recording"], Long);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--outputs-from names no directory; pass the one `sluice record --dir` wrote", r.StdErr, StringComparison.Ordinal);
    }

    // Numbered records round-robin over every output topic and partition, with a pause now and then so the kills land
    // both mid-stream and between bursts. Returns how many were written.
    private static long Produce(KafkaClientFactory factory, CancellationToken stop)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(factory.ProducerConfig()).Build();
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var topic in Recordings.OutputTopics)
            {
                for (var p = 0; p < Partitions; p++)
                {
                    var key = n % 7 == 0 ? null : Encoding.UTF8.GetBytes($"key-{n % 100}");
                    producer.Produce(new TopicPartition(topic, p), new Message<byte[]?, byte[]> { Key = key, Value = Encoding.UTF8.GetBytes($"{{\"n\":{n}}}") });
                    n++;
                }
            }
            if (n % 360 == 0) Thread.Sleep(20);
        }
        producer.Flush(Long);
        return n;
    }
}
