using Sluice.Sinks;
using Sluice.Sinks.Rows;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>What every sink promises, run against each implementation: idempotent migrations, atomic rows and offsets, upsert by stable id.</summary>
/// <remarks>Each test starts from an empty store (a fresh database or file per test instance).</remarks>
public abstract class SinkContractTests
{
    protected const string Group = "contract";

    /// <summary>The outputs of 3,000 generated events: every output kind, with duplicates and late events among them.</summary>
    protected static readonly IReadOnlyList<SinkRecord> Records = SinkTestData.Outputs(3_000);

    /// <summary>The outputs of 1,500 events, four in five with ids that are not lower-case UUIDs (e7, a ULID, a number, an upper-case UUID).</summary>
    protected static readonly IReadOnlyList<SinkRecord> MixedIdRecords = SinkTestData.Outputs(1_500, seed: 11, mixedIds: true);

    /// <summary>A new sink over this test's store, not yet opened; <paramref name="beforeCommit"/> runs inside each write, before it commits.</summary>
    protected abstract ISink CreateSink(Action? beforeCommit = null);

    /// <summary>Rows held per output.</summary>
    protected abstract Dictionary<OutputKind, long> CountRows();

    /// <summary>Every row of every table, in a canonical order: equal fingerprints mean equal contents.</summary>
    protected abstract string Fingerprint();

    [Fact]
    public void opening_twice_applies_the_migrations_once_and_leaves_the_store_as_it_was()
    {
        using (var first = Opened()) first.Write(Batch(Records.Take(500)));
        var before = Fingerprint();
        using var second = Opened();
        Assert.Equal(before, Fingerprint());
        Assert.NotEmpty(second.ReadOffsets(Group));
    }

    [Fact]
    public void a_written_batch_holds_one_row_per_stable_id_and_its_next_offsets()
    {
        using var sink = Opened();
        var batch = Batch(Records);
        sink.Write(batch);

        Assert.Equal(SinkTestData.ExpectedRows(Records), CountRows());
        Assert.All(Enum.GetValues<OutputKind>(), k => Assert.True(CountRows()[k] > 0, $"no {k} rows: the test data should hold every output"));
        Assert.Equal(batch.NextOffsets.OrderBy(p => p.Key.ToString()), sink.ReadOffsets(Group).OrderBy(p => p.Key.ToString()));
        Assert.Empty(sink.ReadOffsets("another-group"));
    }

    [Fact]
    public void writing_the_same_batch_again_changes_nothing()
    {
        using var sink = Opened();
        var batch = Batch(Records);
        sink.Write(batch);
        var (rows, contents, offsets) = (CountRows(), Fingerprint(), sink.ReadOffsets(Group));

        sink.Write(batch);

        Assert.Equal(rows, CountRows());
        Assert.Equal(contents, Fingerprint());
        Assert.Equal(offsets, sink.ReadOffsets(Group));
    }

    [Fact]
    public void a_batch_holding_ids_twice_lands_each_once()
    {
        using var sink = Opened();
        // Every record again at a later offset of its partition, as a processor replaying after a crash would write it.
        var high = Records.Max(r => r.Offset) + 1;
        var doubled = Records.Concat(Records.Select(r => r with { Offset = r.Offset + high })).ToList();
        sink.Write(Batch(doubled));

        Assert.Equal(SinkTestData.ExpectedRows(Records), CountRows());
        Assert.All(sink.ReadOffsets(Group), p => Assert.True(p.Value > high, $"{p.Key} stored {p.Value}, not past the repeated records"));
    }

    [Fact]
    public void events_whose_ids_are_not_uuids_land_once_each_under_the_id_they_were_sent_with()
    {
        using var sink = Opened();
        var batch = Batch(MixedIdRecords);
        sink.Write(batch);
        var contents = Fingerprint();
        sink.Write(batch);

        Assert.Equal(SinkTestData.ExpectedRows(MixedIdRecords), CountRows());
        Assert.Equal(contents, Fingerprint());
        var ids = ParsedBatch.Parse(batch, SinkTopics.Default).Events.Select(e => e.EventId).ToList();
        Assert.Contains(ids, id => id.Length > 1 && id[0] == 'e' && id[1..].All(char.IsAsciiDigit));
        Assert.Contains(ids, id => id.Length == 26 && id.StartsWith("01J", StringComparison.Ordinal));
        Assert.Contains(ids, id => id.All(char.IsAsciiDigit));
        Assert.DoesNotContain(ids, id => id.Length == 36 && id != id.ToLowerInvariant());
    }

    [Fact]
    public void a_batch_that_fails_before_commit_leaves_neither_rows_nor_offsets()
    {
        var first = Records.Take(1_000).ToList();
        using (var sink = Opened()) sink.Write(Batch(first));
        var (rows, contents) = (CountRows(), Fingerprint());

        using var failing = Opened(beforeCommit: () => throw new InvalidOperationException("injected: the process dies before commit"));
        var ex = Assert.Throws<InvalidOperationException>(() => failing.Write(Batch(Records.Skip(1_000))));
        Assert.Contains("injected", ex.Message);

        Assert.Equal(rows, CountRows());
        Assert.Equal(contents, Fingerprint());
        Assert.Equal(Batch(first).NextOffsets.OrderBy(p => p.Key.ToString()), failing.ReadOffsets(Group).OrderBy(p => p.Key.ToString()));
    }

    [Fact]
    public void stored_offsets_survive_reopening_and_advance_batch_by_batch()
    {
        var half = Records.Count / 2;
        using (var sink = Opened()) sink.Write(Batch(Records.Take(half)));
        using (var sink = Opened())
        {
            Assert.Equal(Batch(Records.Take(half)).NextOffsets.OrderBy(p => p.Key.ToString()), sink.ReadOffsets(Group).OrderBy(p => p.Key.ToString()));
            sink.Write(Batch(Records.Skip(half)));
        }
        using var reopened = Opened();
        var expected = Batch(Records).NextOffsets;
        Assert.Equal(expected.OrderBy(p => p.Key.ToString()), reopened.ReadOffsets(Group).OrderBy(p => p.Key.ToString()));
        Assert.Equal(SinkTestData.ExpectedRows(Records), CountRows());
    }

    /// <summary>A new sink opened over this test's store.</summary>
    protected ISink Opened(Action? beforeCommit = null)
    {
        var sink = CreateSink(beforeCommit);
        sink.Open();
        return sink;
    }

    protected static SinkBatch Batch(IEnumerable<SinkRecord> records) => new(Group, records.ToList());
}
