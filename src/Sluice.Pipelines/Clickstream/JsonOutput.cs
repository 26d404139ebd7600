using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Pipelines.Clickstream;

/// <summary>JSON written straight into an output buffer, asked for more room only when a value might not fit.</summary>
/// <remarks>
/// For records written so often that <see cref="Utf8JsonWriter"/>'s per-call work shows: the caller writes property
/// names as literals with their punctuation, and the values come out as that writer writes them with the same
/// encoder (tests compare the bytes). A printable-ASCII string is a narrowing copy; any other string is checked with
/// the encoder and escaped by it when needed; invalid UTF-16 fails as it does in the writer.
/// </remarks>
internal ref struct JsonOutput(IBufferWriter<byte> output, JavaScriptEncoder encoder)
{
    // Printable ASCII but the quote and the backslash: what no JSON encoder escapes (control characters and DEL it does).
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    // Room asked for at once: every fixed-size part of a record fits, so most records take one span.
    private const int Chunk = 1024;
    private Span<byte> _span;
    private int _pos;

    public void Raw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_span[_pos..]);
        _pos += bytes.Length;
    }

    public void Number(long value)
    {
        Ensure(20);
        Utf8Formatter.TryFormat(value, _span[_pos..], out var written);
        _pos += written;
    }

    public void Bool(bool value) => Raw(value ? "true"u8 : "false"u8);

    /// <summary>The shortest text that reads back as the same double, as <see cref="System.Text.Json.Utf8JsonWriter"/> writes it.</summary>
    /// <exception cref="ArgumentException">NaN or an infinity, which JSON cannot hold (the writer refuses them too).</exception>
    public void Number(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{value} is not a JSON number", nameof(value));
        Ensure(32);
        value.TryFormat(_span[_pos..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        _pos += written;
    }

    public void Number(long? value)
    {
        if (value is { } v) Number(v);
        else Raw("null"u8);
    }

    public void Guid(Guid value)
    {
        Ensure(38);
        _span[_pos++] = (byte)'"';
        Utf8Formatter.TryFormat(value, _span[_pos..], out var written);
        _pos += written;
        _span[_pos++] = (byte)'"';
    }

    /// <summary>A UUID id formatted straight into the buffer, any other id as the string it was sent as.</summary>
    public void EventId(Core.Events.EventId value)
    {
        if (value.IsUuid) Guid(value.Key);
        else String(value.ToString());
    }

    public void Date(DateOnly value)
    {
        if (value.Year > 9999 || value.Year < 1000)
        {
            // Outside four-digit years the format's own padding rules apply; never for a validated event.
            Ensure(16);
            _span[_pos++] = (byte)'"';
            value.TryFormat(_span[_pos..], out var written, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            _pos += written;
            _span[_pos++] = (byte)'"';
            return;
        }
        // A custom format string is parsed on every call; the fixed yyyy-MM-dd is a few divisions.
        Ensure(12);
        var s = _span.Slice(_pos, 12);
        var (year, month, day) = (value.Year, value.Month, value.Day);
        s[0] = (byte)'"';
        s[1] = (byte)('0' + year / 1000);
        s[2] = (byte)('0' + year / 100 % 10);
        s[3] = (byte)('0' + year / 10 % 10);
        s[4] = (byte)('0' + year % 10);
        s[5] = (byte)'-';
        s[6] = (byte)('0' + month / 10);
        s[7] = (byte)('0' + month % 10);
        s[8] = (byte)'-';
        s[9] = (byte)('0' + day / 10);
        s[10] = (byte)('0' + day % 10);
        s[11] = (byte)'"';
        _pos += 12;
    }

    public void String(string? value)
    {
        if (value is null)
        {
            Raw("null"u8);
            return;
        }
        if (value.AsSpan().IndexOfAnyExcept(Plain) < 0)
        {
            // Printable ASCII without a quote or backslash, nearly every value: no encoder needed, a narrowing copy.
            Ensure(value.Length + 2);
            _span[_pos++] = (byte)'"';
            Ascii.FromUtf16(value, _span[_pos..], out var copied);
            _pos += copied;
            _span[_pos++] = (byte)'"';
            return;
        }
        // UTF-8 takes at most three bytes per UTF-16 unit; the quotes two more.
        Ensure(value.Length * 3 + 2);
        var start = _pos;
        _span[_pos++] = (byte)'"';
        var status = Utf8.FromUtf16(value, _span[_pos..], out _, out var written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done || encoder.FindFirstCharacterToEncodeUtf8(_span.Slice(_pos, written)) >= 0)
        {
            // Rare: something to escape (or invalid text, which the encoder rejects as the writer does).
            _pos = start;
            Escaped(value);
            return;
        }
        _pos += written;
        _span[_pos++] = (byte)'"';
    }

    public readonly void Commit() => output.Advance(_pos);

    private void Escaped(string value)
    {
        var encoded = JsonEncodedText.Encode(value, encoder).EncodedUtf8Bytes;
        Ensure(encoded.Length + 2);
        _span[_pos++] = (byte)'"';
        encoded.CopyTo(_span[_pos..]);
        _pos += encoded.Length;
        _span[_pos++] = (byte)'"';
    }

    private void Ensure(int bytes)
    {
        if (_span.Length - _pos >= bytes) return;
        if (_pos > 0) output.Advance(_pos);
        _span = output.GetSpan(Math.Max(bytes, Chunk));
        _pos = 0;
    }
}
