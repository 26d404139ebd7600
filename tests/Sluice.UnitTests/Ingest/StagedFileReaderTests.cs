using System.Text;
using Sluice.App.Ingest;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.TestKit;

namespace Sluice.UnitTests.Ingest;

public sealed class StagedFileReaderTests : IDisposable
{
    private const string Good = """{"event_id":"0b7e4c1e-6a0c-4a55-9b0e-0d2a5c1f0a01","event_type":"page_view","timestamp":1767225600000,"user_id":"u1","session_id":"s1"}""";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string text)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void json_lines_become_events_and_bad_lines_dead_letters_that_name_the_file_and_line()
    {
        var path = Write("in.jsonl", Good + "\n\n{\"event_id\": oops\n" + Good.Replace("1767225600000", "\"noon\"", StringComparison.Ordinal) + "\r\n" + Good + "\r\n");
        var output = new RecordingOutput();

        var tally = new StagedFileReader(output).Read(path);

        Assert.Equal(4, tally.Rows);
        Assert.Equal(2, output.Events.Count);
        // The row itself goes out when it is the event's JSON already, as the producer sends it.
        Assert.Equal(Good, output.Events[0].Json);
        Assert.Equal(Good, output.Events[1].Json);
        Assert.Equal("u1", output.Events[0].Event.PartitionKey);
        Assert.Collection(output.DeadLetters,
            d =>
            {
                Assert.Equal(ReasonCodes.InvalidJson, d.ReasonCode);
                Assert.Equal("file:in.jsonl", d.Topic);
                Assert.Equal(3, d.Offset);
                Assert.StartsWith("in.jsonl line 3: ", d.Detail, StringComparison.Ordinal);
                Assert.Equal("{\"event_id\": oops", Encoding.UTF8.GetString(d.Payload));
            },
            d =>
            {
                Assert.Equal(ReasonCodes.InvalidFieldType, d.ReasonCode);
                Assert.Equal(4, d.Offset);
                Assert.Contains("timestamp", d.Detail, StringComparison.Ordinal);
            });
    }

    [Fact]
    public void csv_fields_keep_quoted_commas_quotes_and_line_breaks_and_later_rows_keep_their_line_numbers()
    {
        var path = Write("in.csv",
            "event_id,event_type,timestamp,user_id,session_id,search_query,price_cents\n"
            + "e1,search,1767225600000,u1,s1,\"shoes, red \"\"size 9\"\"\nsecond line\",\n"
            + "e2,page_view,1767225600001,,s2,,\n"
            + "e3,page_view,1767225600002,u3\n"
            + "e4,purchase,1767225600003,u4,s4,,12.50\n"
            + "e5,page_view,1767225600004,u5,s5,\"never closed,\n");
        var output = new RecordingOutput();

        var tally = new StagedFileReader(output).Read(path);

        Assert.Equal(5, tally.Rows);
        Assert.Equal(2, output.Events.Count);
        var first = output.Events[0].Event;
        Assert.Equal("shoes, red \"size 9\"\nsecond line", first.SearchQuery);
        Assert.Null(first.PriceCents);
        Assert.Equal(EventType.Search, first.EventType);
        var second = output.Events[1].Event;
        Assert.Null(second.UserId);
        Assert.Equal("s2", second.PartitionKey);
        Assert.Equal(
            [(IngestReasonCodes.WrongColumnCount, 5L), (ReasonCodes.InvalidFieldType, 6L), (IngestReasonCodes.InvalidCsv, 7L)],
            output.DeadLetters.Select(d => (d.ReasonCode, d.Offset)));
        Assert.Equal("e3,page_view,1767225600002,u3", Encoding.UTF8.GetString(output.DeadLetters[0].Payload));
    }

    [Fact]
    public void mapped_columns_and_json_fields_of_other_tools_become_the_events_fields()
    {
        var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["ts"] = "timestamp", ["uid"] = "user_id", ["id"] = "event_id", ["kind"] = "event_type", ["visit"] = "session_id" };
        var csv = Write("tool.csv", "id,kind,ts,uid,visit,ignored\ne1,page_view,2026-01-01T00:00:01Z,u1,v1,x\ne2,page_view,1767225600000,u2,v2,y\n");
        var jsonl = Write("tool.jsonl", """{"id":"e3","kind":"add_to_cart","ts":1767225600000,"uid":"u3","visit":"v3","price_cents":500,"quantity":1}""" + "\n");
        var output = new RecordingOutput();

        new StagedFileReader(output, columns).Read(csv);
        new StagedFileReader(output, columns).Read(jsonl);

        Assert.Empty(output.DeadLetters);
        Assert.Equal(["e1", "e2", "e3"], output.Events.Select(e => e.Event.EventId.ToString()));
        Assert.Equal(1767225601000, output.Events[0].Event.Timestamp);
        Assert.Equal("u3", output.Events[2].Event.UserId);
        Assert.Equal(500, output.Events[2].Event.PriceCents);
        // Written anew under the event's own names, as the processor reads them.
        Assert.Contains("\"session_id\":\"v3\"", output.Events[2].Json, StringComparison.Ordinal);
    }

    [Fact]
    public void a_csv_header_without_the_required_fields_fails_the_file_and_sends_nothing()
    {
        var path = Write("other.csv", "ts,uid\n1,u1\n");
        var output = new RecordingOutput();

        var tally = new StagedFileReader(output).Read(path);

        Assert.NotNull(tally.Failure);
        Assert.Contains("event_id, event_type, session_id, timestamp", tally.Failure, StringComparison.Ordinal);
        Assert.Contains("ingest.columns", tally.Failure, StringComparison.Ordinal);
        Assert.Empty(output.Events);
        Assert.Empty(output.DeadLetters);
    }

    [Fact]
    public void the_producers_csv_and_json_lines_files_of_one_seed_read_back_as_the_same_events()
    {
        var settings = new GeneratorSettings { Users = 300, Products = 50, MaxEvents = 3_000, Cdc = false };
        var jsonlDir = Path.Combine(_dir.Path, "jsonl");
        var csvDir = Path.Combine(_dir.Path, "csv");
        using (var w = new FileTrafficWriter(jsonlDir, FileFormat.Jsonl)) GeneratorRunner.Run(new ClickstreamGenerator(settings), w);
        using (var w = new FileTrafficWriter(csvDir, FileFormat.Csv)) GeneratorRunner.Run(new ClickstreamGenerator(settings), w);
        var fromJsonl = new RecordingOutput();
        var fromCsv = new RecordingOutput();

        var jsonlTally = new StagedFileReader(fromJsonl).Read(Path.Combine(jsonlDir, "clickstream-000001.jsonl"));
        var csvTally = new StagedFileReader(fromCsv).Read(Path.Combine(csvDir, "clickstream-000001.csv"));

        Assert.Equal(3_000, jsonlTally.Rows);
        Assert.Equal(3_000, csvTally.Rows);
        Assert.True(fromJsonl.Events.Count > 2_900, $"{fromJsonl.Events.Count} events");
        Assert.Equal(fromJsonl.Events.Select(e => e.Event), fromCsv.Events.Select(e => e.Event));
        Assert.Equal(fromJsonl.DeadLetters.Select(d => d.Offset), fromCsv.DeadLetters.Select(d => d.Offset - 1));
    }

    [Fact]
    public void a_file_mostly_not_utf8_is_not_text_and_a_line_that_is_not_is_a_dead_letter()
    {
        var path = _dir.File("later.jsonl");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(Good + "\n" + Good + "\n"), 0x00, 0xC3, 0x28, (byte)'\n', .. Encoding.UTF8.GetBytes(Good + "\n")]);
        var binary = _dir.File("binary.jsonl");
        File.WriteAllBytes(binary, [0x1F, 0x8B, 0x08, 0x00, 0xC3, 0x28, (byte)'\n', 0xC3, (byte)'\n', .. Encoding.UTF8.GetBytes(Good)]);
        var output = new RecordingOutput();

        var check = StagedFileCheck.Of(path);
        var tally = new StagedFileReader(output).Read(path);

        Assert.Equal(new FileInfo(path).Length, check.Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), check.Sha256);
        Assert.Null(check.NotText);
        Assert.Equal((4L, 3), (tally.Rows, output.Events.Count));
        var letter = Assert.Single(output.DeadLetters);
        Assert.Equal((ReasonCodes.InvalidJson, 3L), (letter.ReasonCode, letter.Offset));
        Assert.Contains("byte 1 of the row is not UTF-8", letter.Detail, StringComparison.Ordinal);
        Assert.Equal([0x00, 0xC3, 0x28], letter.Payload);
        Assert.Equal("2 of the first 3 lines are not UTF-8", StagedFileCheck.Of(binary).NotText);
        var header = _dir.File("latin1.csv");
        File.WriteAllBytes(header, [.. "event_id,caf"u8, 0xE9, (byte)'\n', .. "e1,x\n"u8]);
        Assert.Equal("byte 12 of the CSV header is not UTF-8", StagedFileCheck.Of(header).NotText);
        File.WriteAllBytes(binary, [0xFF, 0xFE, (byte)'a', 0]);
        Assert.Contains("UTF-16", StagedFileCheck.Of(binary).NotText, StringComparison.Ordinal);
    }

    [Fact]
    public void the_event_field_names_are_those_the_json_writer_writes_in_its_order_and_the_producers_csv_header()
    {
        var e = new ClickEvent { EventId = EventId.Parse("0b7e4c1e-6a0c-4a55-9b0e-0d2a5c1f0a01"), EventType = EventType.PageView, Timestamp = 1, SessionId = "s" };
        using var doc = System.Text.Json.JsonDocument.Parse(ClickEventJson.ToBytes(e));

        Assert.Equal(ClickEventJson.FieldNames, doc.RootElement.EnumerateObject().Select(p => p.Name));
        using (var w = new FileTrafficWriter(_dir.Path, FileFormat.Csv))
            GeneratorRunner.Run(new ClickstreamGenerator(new GeneratorSettings { Users = 10, Products = 5, MaxEvents = 1, Cdc = false }), w);
        Assert.Equal(string.Join(',', ClickEventJson.FieldNames), File.ReadLines(_dir.File("clickstream-000001.csv")).First());
    }
}
