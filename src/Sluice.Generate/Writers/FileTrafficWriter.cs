using System.Globalization;
using System.Text;
using Sluice.Core.Events;
using Sluice.Core.Errors;

namespace Sluice.Generate.Writers;

/// <summary>File formats of the staging directory.</summary>
public enum FileFormat
{
    Jsonl,
    Csv,
}

/// <summary>Writes click events to rotating JSONL or CSV files in a staging directory, CDC changes to JSONL beside them.</summary>
/// <remarks>
/// A file is written as <c>name.tmp</c> and renamed to its final name when it is full or the writer is flushed, so a
/// file-source pipeline that lists <c>*.jsonl</c> / <c>*.csv</c> only ever sees complete files. Names carry a
/// six-digit sequence (<c>clickstream-000001.jsonl</c>) so lexical order is write order.
/// In CSV, a record whose payload is not an event at all (malformed on purpose) is written as a row whose first
/// column holds the raw payload and whose other columns are empty, which a reader rejects as it should.
/// </remarks>
public sealed class FileTrafficWriter : ITrafficWriter
{
    public const string EventsPrefix = "clickstream";
    public const string CdcPrefix = "users-cdc";

    private static readonly IReadOnlyList<string> CsvColumns = ClickEventJson.FieldNames;

    private readonly string _directory;
    private readonly FileFormat _format;
    private readonly int _maxRecordsPerFile;
    private readonly RotatingFile _events;
    private readonly RotatingFile _cdc;
    private readonly StringBuilder _row = new(1024);

    public FileTrafficWriter(string directory, FileFormat format = FileFormat.Jsonl, int maxRecordsPerFile = 100_000)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (maxRecordsPerFile < 1) ThrowHelper.ThrowConfiguration("generator.fileMaxRecords", $"{maxRecordsPerFile} must be at least 1");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SluiceException($"cannot create the staging directory {directory}: {ex.Message}; choose a writable --dir", ex);
        }
        _directory = directory;
        _format = format;
        _maxRecordsPerFile = maxRecordsPerFile;
        _events = new RotatingFile(this, EventsPrefix, format == FileFormat.Csv ? "csv" : "jsonl");
        _cdc = new RotatingFile(this, CdcPrefix, "jsonl");
    }

    /// <summary>Completed files, in the order they were finished.</summary>
    public IReadOnlyList<string> CompletedFiles => _completed;

    private readonly List<string> _completed = [];

    public void Write(in GeneratedRecord record)
    {
        if (record.Kind == RecordKind.Cdc || _format == FileFormat.Jsonl)
        {
            var file = record.Kind == RecordKind.Cdc ? _cdc : _events;
            var stream = file.Open();
            stream.Write(record.Payload.Span);
            stream.WriteByte((byte)'\n');
            file.Count();
            return;
        }
        var csv = _events.Open();
        _row.Clear();
        if (record.Event is { } e) AppendRow(_row, e);
        else AppendRawRow(_row, record.Payload.Span);
        _row.Append('\n');
        var bytes = Encoding.UTF8.GetBytes(_row.ToString());
        csv.Write(bytes);
        _events.Count();
    }

    public void Flush(CancellationToken cancellationToken = default)
    {
        _events.Complete();
        _cdc.Complete();
    }

    /// <summary>CSV rows are written from the event; JSON lines are the payload as it is.</summary>
    public bool ReadsEvents => _format == FileFormat.Csv;

    public void Dispose() => Flush();

    private static void AppendRow(StringBuilder row, ClickEvent e)
    {
        var inv = CultureInfo.InvariantCulture;
        Field(row, e.EventId.ToString()).Append(',');
        row.Append(e.EventType.ToWireName()).Append(',');
        row.Append(e.Timestamp.ToString(inv)).Append(',');
        Field(row, e.UserId).Append(',');
        Field(row, e.SessionId).Append(',');
        Field(row, e.ProductId).Append(',');
        Field(row, e.ProductCategory).Append(',');
        row.Append(e.PriceCents?.ToString(inv)).Append(',');
        row.Append(e.Quantity?.ToString(inv)).Append(',');
        Field(row, e.SearchQuery).Append(',');
        Field(row, e.PageUrl).Append(',');
        Field(row, e.Referrer).Append(',');
        Field(row, e.UserAgent).Append(',');
        Field(row, e.IpAddress).Append(',');
        Field(row, e.GeoCountry).Append(',');
        Field(row, e.GeoCity).Append(',');
        Field(row, e.UserSegment).Append(',');
        Field(row, e.DeviceType).Append(',');
        Field(row, e.Browser).Append(',');
        Field(row, e.CampaignId).Append(',');
        row.Append(e.SchemaVersion.ToString(inv));
    }

    private static void AppendRawRow(StringBuilder row, ReadOnlySpan<byte> payload)
    {
        // Invalid UTF-8 becomes U+FFFD: the row stays text, and it stays unparseable as an event.
        Field(row, Encoding.UTF8.GetString(payload));
        row.Append(',', CsvColumns.Count - 1);
    }

    /// <summary>RFC 4180 quoting: only when needed, quotes doubled. Null and empty are both an empty field.</summary>
    private static StringBuilder Field(StringBuilder row, string? value)
    {
        if (string.IsNullOrEmpty(value)) return row;
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0) return row.Append(value);
        row.Append('"');
        foreach (var c in value)
        {
            if (c == '"') row.Append('"');
            row.Append(c);
        }
        return row.Append('"');
    }

    /// <summary>One series of files (events or CDC): the open temp file, its record count and the sequence.</summary>
    private sealed class RotatingFile(FileTrafficWriter owner, string prefix, string extension)
    {
        private FileStream? _stream;
        private string _finalPath = "";
        private int _records;
        // Continue after files an earlier run left, so nothing is overwritten and lexical order stays write order.
        private int _sequence = HighestSequence(owner._directory, prefix, extension);

        public Stream Open()
        {
            if (_stream is not null) return _stream;
            _sequence++;
            _finalPath = Path.Combine(owner._directory, $"{prefix}-{_sequence:D6}.{extension}");
            _stream = new FileStream(_finalPath + ".tmp", FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024);
            _records = 0;
            if (extension == "csv")
            {
                _stream.Write(Encoding.UTF8.GetBytes(string.Join(',', CsvColumns) + "\n"));
            }
            return _stream;
        }

        public void Count()
        {
            if (++_records >= owner._maxRecordsPerFile) Complete();
        }

        public void Complete()
        {
            if (_stream is null) return;
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            _stream = null;
            File.Move(_finalPath + ".tmp", _finalPath, overwrite: false);
            owner._completed.Add(_finalPath);
        }

        private static int HighestSequence(string directory, string prefix, string extension)
        {
            var highest = 0;
            foreach (var path in Directory.EnumerateFiles(directory, $"{prefix}-*.{extension}*"))
            {
                var name = Path.GetFileName(path.AsSpan());
                var digits = name.Slice(prefix.Length + 1, Math.Min(6, name.Length - prefix.Length - 1));
                if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) highest = Math.Max(highest, n);
            }
            return highest;
        }
    }
}
