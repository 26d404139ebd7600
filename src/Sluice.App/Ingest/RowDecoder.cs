using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Events;

namespace Sluice.App.Ingest;

/// <summary>What a staged file holds, by its name: click events in JSON lines or CSV, or user-profile changes.</summary>
public enum StagedFileKind
{
    JsonLines,
    Csv,
    /// <summary><c>users-cdc-*.jsonl</c>: the change envelopes <c>produce --output files</c> writes beside the clicks.</summary>
    Changes,
}

/// <summary>Turns one row of a staged file into a click event (or a change's key and time), or says why it cannot.</summary>
/// <remarks>
/// Every row goes through the processor's own decoder (<see cref="ClickEventJson.TryRead"/>), so a row is refused here for
/// the reasons, and with the codes, the processor would refuse it for. A CSV row becomes a JSON object first: an empty
/// field is null, a number column holds a JSON number when its text is a whole number (a timestamp may also be ISO 8601)
/// and a string otherwise, which the decoder reports as <c>invalid_field_type</c>. Columns and JSON fields are renamed by
/// <see cref="IngestOptions.Columns"/>; names that are no field of the event are ignored, as the decoder ignores them.
/// One instance per file; not thread-safe.
/// </remarks>
public sealed class RowDecoder
{
    private static readonly string[] RequiredFields = ["event_id", "event_type", "session_id", "timestamp"];
    private static readonly HashSet<string> NumberFields = new(StringComparer.Ordinal) { "timestamp", "price_cents", "quantity", "schema_version" };
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private readonly IReadOnlyDictionary<string, string> _columns;
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly Utf8JsonWriter _writer;
    private byte[]?[]? _csvNames;
    private bool[]? _csvNumbers;
    private bool[]? _csvTimestamp;
    private readonly List<(int Start, int Length)> _fields = [];
    private byte[] _scratch = new byte[1024];

    public RowDecoder(StagedFileKind kind, IReadOnlyDictionary<string, string>? columns = null)
    {
        Kind = kind;
        _columns = columns ?? new Dictionary<string, string>();
        _writer = new Utf8JsonWriter(_json, WriterOptions);
    }

    public StagedFileKind Kind { get; }

    /// <summary>The kind a file name says, or null for a file the source does not read.</summary>
    public static StagedFileKind? KindOf(string fileName)
    {
        if (fileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) return StagedFileKind.Csv;
        if (!fileName.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return null;
        return fileName.StartsWith(Sluice.Generate.Writers.FileTrafficWriter.CdcPrefix + "-", StringComparison.Ordinal)
            ? StagedFileKind.Changes
            : StagedFileKind.JsonLines;
    }

    /// <summary>Reads a CSV header; null when it can be used, else why the file cannot be read.</summary>
    public string? ReadHeader(ReadOnlySpan<byte> header)
    {
        if (header.IsEmpty) return "the first line, the CSV header, is empty";
        if (!Split(header, out var split)) return $"the CSV header cannot be read: {split}";
        var count = _fields.Count;
        _csvNames = new byte[]?[count];
        _csvNumbers = new bool[count];
        _csvTimestamp = new bool[count];
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var column = Encoding.UTF8.GetString(Field(i)).Trim();
            var field = _columns.TryGetValue(column, out var mapped) ? mapped : column;
            if (!IngestOptions.EventFields.Contains(field, StringComparer.Ordinal)) continue;
            if (seen.TryGetValue(field, out var other))
                return $"columns '{other}' and '{column}' of the CSV header are both {field}; map one of them elsewhere in ingest.columns";
            seen[field] = column;
            _csvNames[i] = Encoding.UTF8.GetBytes(field);
            _csvNumbers[i] = NumberFields.Contains(field);
            _csvTimestamp[i] = field == "timestamp";
        }
        var missing = RequiredFields.Where(f => !seen.ContainsKey(f)).ToList();
        return missing.Count == 0
            ? null
            : $"the CSV header has no column for {string.Join(", ", missing)}; name them so, or map the columns that hold them in ingest.columns (for example ingest.columns.ts=timestamp)";
    }

    /// <summary>Decodes a click-event row; on success <paramref name="json"/> is the event as the producer sends JSON.</summary>
    /// <param name="row">The row's bytes, valid UTF-8 (<see cref="StagedFileReader"/> dead-letters rows that are not).</param>
    /// <param name="evt">The event.</param>
    /// <param name="json">The row itself when it is the event's JSON already, else the event written anew; valid until the next call.</param>
    /// <param name="error">Why the row is not an event.</param>
    public bool TryDecode(ReadOnlyMemory<byte> row, out ClickEvent? evt, out ReadOnlyMemory<byte> json, out DecodeError error)
    {
        json = default;
        if (Kind == StagedFileKind.Csv)
        {
            if (!CsvToJson(row.Span, out error))
            {
                evt = null;
                return false;
            }
        }
        else if (_columns.Count == 0)
        {
            if (!ClickEventJson.TryRead(row.Span, out evt, out error)) return false;
            json = row;
            return true;
        }
        else if (!RenameFields(row.Span, out error))
        {
            evt = null;
            return false;
        }
        if (!ClickEventJson.TryRead(_json.WrittenSpan, out evt, out error)) return false;
        _json.ResetWrittenCount();
        _writer.Reset(_json);
        ClickEventJson.Write(_writer, evt!);
        _writer.Flush();
        json = _json.WrittenMemory;
        return true;
    }

    /// <summary>Reads a change envelope's key (<c>user_id</c> of <c>after</c>, else of <c>before</c>) and time (<c>ts_ms</c>).</summary>
    public static bool TryReadChange(ReadOnlySpan<byte> row, out string? key, out long timestampMs, out DecodeError error)
    {
        key = null;
        timestampMs = 0;
        try
        {
            using var doc = JsonDocument.Parse(row.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = new DecodeError(ReasonCodes.InvalidJson, "payload is not a JSON object");
                return false;
            }
            foreach (var side in (ReadOnlySpan<string>)["after", "before"])
            {
                if (root.TryGetProperty(side, out var image) && image.ValueKind == JsonValueKind.Object
                    && image.TryGetProperty("user_id", out var user) && user.ValueKind == JsonValueKind.String)
                {
                    key = user.GetString();
                    break;
                }
            }
            var hasTime = root.TryGetProperty("ts_ms", out var ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetInt64(out timestampMs);
            if (key is null || !hasTime)
            {
                error = new DecodeError(ReasonCodes.MissingRequiredFields, key is null ? (hasTime ? "user_id" : "ts_ms,user_id") : "ts_ms");
                return false;
            }
            error = default;
            return true;
        }
        catch (JsonException ex)
        {
            error = new DecodeError(ReasonCodes.InvalidJson, $"not valid JSON at byte {ex.BytePositionInLine}");
            return false;
        }
    }

    // A JSON line whose fields other tools named: the same object with the names mapped, into _json.
    private bool RenameFields(ReadOnlySpan<byte> row, out DecodeError error)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(row.ToArray());
        }
        catch (JsonException)
        {
            // The decoder words the error as it does for the processor.
            ClickEventJson.TryRead(row, out _, out error);
            if (error.ReasonCode is null) error = new DecodeError(ReasonCodes.InvalidJson, "not valid JSON");
            return false;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = new DecodeError(ReasonCodes.InvalidJson, "payload is not a JSON object");
                return false;
            }
            _json.ResetWrittenCount();
            var w = _writer;
            w.Reset(_json);
            w.WriteStartObject();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                w.WritePropertyName(_columns.TryGetValue(property.Name, out var field) ? field : property.Name);
                property.Value.WriteTo(w);
            }
            w.WriteEndObject();
            w.Flush();
        }
        error = default;
        return true;
    }

    private bool CsvToJson(ReadOnlySpan<byte> row, out DecodeError error)
    {
        var names = _csvNames ?? throw new InvalidOperationException("read the CSV header first");
        if (!Split(row, out var problem))
        {
            error = new DecodeError(IngestReasonCodes.InvalidCsv, problem);
            return false;
        }
        if (_fields.Count != names.Length)
        {
            error = new DecodeError(IngestReasonCodes.WrongColumnCount, $"{_fields.Count} columns where the header has {names.Length}");
            return false;
        }
        _json.ResetWrittenCount();
        var w = _writer;
        w.Reset(_json);
        w.WriteStartObject();
        for (var i = 0; i < names.Length; i++)
        {
            if (names[i] is not { } name) continue;
            var value = Field(i);
            if (value.IsEmpty) w.WriteNull(name);
            else if (!_csvNumbers![i]) w.WriteString(name, value);
            else if (Utf8Parser.TryParse(value, out long number, out var used) && used == value.Length) w.WriteNumber(name, number);
            else if (_csvTimestamp![i] && DateTimeOffset.TryParse(Encoding.UTF8.GetString(value), CultureInfo.InvariantCulture,
                         DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) && value.IndexOf((byte)'-') > 0)
                w.WriteNumber(name, time.ToUnixTimeMilliseconds());
            else w.WriteString(name, value);
        }
        w.WriteEndObject();
        w.Flush();
        error = default;
        return true;
    }

    private ReadOnlySpan<byte> Field(int i) => _scratch.AsSpan(_fields[i].Start, _fields[i].Length);

    // RFC 4180: fields split at commas; a field that starts with a quote ends at a quote not doubled, and its doubled
    // quotes are one. Each field's text is copied into _scratch.
    private bool Split(ReadOnlySpan<byte> row, out string problem)
    {
        _fields.Clear();
        if (_scratch.Length < row.Length) _scratch = new byte[Math.Max(row.Length, _scratch.Length * 2)];
        var o = 0;
        var i = 0;
        while (true)
        {
            var start = o;
            if (i < row.Length && row[i] == (byte)'"')
            {
                i++;
                while (true)
                {
                    var quote = row[i..].IndexOf((byte)'"');
                    if (quote < 0)
                    {
                        problem = $"column {_fields.Count + 1}: its quote does not close";
                        return false;
                    }
                    row.Slice(i, quote).CopyTo(_scratch.AsSpan(o));
                    o += quote;
                    i += quote + 1;
                    if (i < row.Length && row[i] == (byte)'"')
                    {
                        _scratch[o++] = (byte)'"';
                        i++;
                        continue;
                    }
                    break;
                }
                if (i < row.Length && row[i] != (byte)',')
                {
                    problem = $"column {_fields.Count + 1}: text after its closing quote";
                    return false;
                }
            }
            else
            {
                var comma = row[i..].IndexOf((byte)',');
                var length = comma < 0 ? row.Length - i : comma;
                row.Slice(i, length).CopyTo(_scratch.AsSpan(o));
                o += length;
                i += length;
            }
            _fields.Add((start, o - start));
            if (i >= row.Length)
            {
                problem = "";
                return true;
            }
            i++; // the comma
            if (i == row.Length)
            {
                _fields.Add((o, 0));
                problem = "";
                return true;
            }
        }
    }
}
