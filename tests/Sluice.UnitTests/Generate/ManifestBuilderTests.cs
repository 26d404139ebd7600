using System.Buffers;
using System.Text.Json;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;

namespace Sluice.UnitTests.Generate;

public class ManifestBuilderTests
{
    private static readonly GeneratorSettings Settings = new() { Users = 1_000, Products = 200, MaxEvents = 20_000 };

    private static (ManifestBuilder Manifest, List<Recorded> Run, ClickstreamGenerator Generator) Build()
    {
        var generator = new ClickstreamGenerator(Settings);
        var manifest = new ManifestBuilder();
        var run = new List<Recorded>();
        while (generator.MoveNext())
        {
            var r = generator.Current;
            manifest.Add(r);
            run.Add(new Recorded(r, r.Payload.ToArray()));
        }
        return (manifest, run, generator);
    }

    [Fact]
    public void counts_match_what_was_produced()
    {
        var (manifest, run, _) = Build();
        Assert.Equal(run.Count, manifest.Records);
        Assert.Equal(20_000, manifest.ClickRecords);
        for (var k = 0; k < FaultKinds.Count; k++)
            Assert.Equal(run.Count(r => r.IsClick && r.Fault == (FaultKind)k), manifest.FaultCount((FaultKind)k));
        foreach (var type in EventTypes.All)
            Assert.Equal(run.Count(r => r.Counted && r.Event!.EventType == type), manifest.ValidCount(type));
        Assert.Equal(run.Where(r => r.Fault == FaultKind.Late).Select(r => r.Record.EventId), manifest.LateEventIds);
        Assert.Equal(run.Where(r => r.Fault == FaultKind.Duplicate).Select(r => r.Record.EventId), manifest.DuplicateEventIds);
    }

    [Fact]
    public void window_counts_add_up_to_the_counted_events_by_event_time()
    {
        var (manifest, run, _) = Build();
        long total = 0;
        foreach (var (start, counts) in manifest.Windows)
        {
            Assert.Equal(0, start % 60_000);
            var expected = run.Count(r => r.Counted && r.Record.EventTime >= start && r.Record.EventTime < start + 60_000);
            Assert.Equal(expected, counts.Sum());
            total += counts.Sum();
        }
        Assert.Equal(run.Count(r => r.Counted), total);
    }

    [Fact]
    public void json_has_totals_faults_windows_sessions_and_ids()
    {
        var (manifest, _, generator) = Build();
        var buffer = new ArrayBufferWriter<byte>();
        manifest.WriteJson(buffer, generator);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        var root = doc.RootElement;
        Assert.Equal(20_000, root.GetProperty("totals").GetProperty("click_records").GetInt64());
        Assert.Equal(manifest.FaultCount(FaultKind.Late), root.GetProperty("faults").GetProperty("late").GetInt64());
        Assert.Equal("invalid_json", root.GetProperty("expected_reason_codes").GetProperty("malformed.not_json").GetString());
        Assert.Equal(manifest.Windows.Count, root.GetProperty("windows").GetProperty("counts").GetArrayLength());
        Assert.Equal(manifest.LateEventIds.Count, root.GetProperty("late_event_ids").GetArrayLength());
        var rate = root.GetProperty("sessions").GetProperty("conversion_rate").GetDouble();
        Assert.InRange(rate, 0.001, 0.5);
        Assert.Equal(42, root.GetProperty("generator").GetProperty("seed").GetInt64());
    }
}
