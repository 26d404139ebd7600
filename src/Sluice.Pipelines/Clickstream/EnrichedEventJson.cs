using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Sluice.Core.Events;

namespace Sluice.Pipelines.Clickstream;

/// <summary>The enriched event as one JSON object, written straight into the output buffer: the clickstream's busiest output.</summary>
/// <remarks>
/// The same bytes a <see cref="Utf8JsonWriter"/> writes with the same encoder (a test holds the two side by side over
/// generated and hostile strings), at a fraction of the cost, because every event pays it: property names are literals
/// with their quotes, colon and comma; numbers and the id are formatted in place; a string is transcoded straight into
/// the buffer and checked once with the encoder, and only a string that needs escaping goes through the encoder's
/// own escaping. Invalid UTF-16 fails as it does in the writer.
/// </remarks>
internal static class EnrichedEventJson
{
    // Printable ASCII but the quote and the backslash: what no JSON encoder escapes (control characters and DEL it does).
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    public static void Write(in EnrichedEvent x, IBufferWriter<byte> output, JavaScriptEncoder encoder)
    {
        var e = x.Event;
        var o = new Output(output, encoder);
        o.Raw("{\"event_id\":"u8);
        o.Guid(e.EventId);
        o.Raw(",\"event_type\":"u8);
        o.String(e.EventType.ToWireName());
        o.Raw(",\"timestamp\":"u8);
        o.Number(e.Timestamp);
        o.Raw(",\"user_id\":"u8);
        o.String(e.UserId);
        o.Raw(",\"session_id\":"u8);
        o.String(e.SessionId);
        o.Raw(",\"product_id\":"u8);
        o.String(e.ProductId);
        o.Raw(",\"product_category\":"u8);
        o.String(e.ProductCategory);
        o.Raw(",\"price_cents\":"u8);
        o.Number(e.PriceCents);
        o.Raw(",\"quantity\":"u8);
        o.Number(e.Quantity);
        o.Raw(",\"search_query\":"u8);
        o.String(x.SearchQuery);
        o.Raw(",\"page_url\":"u8);
        o.String(e.PageUrl);
        o.Raw(",\"referrer\":"u8);
        o.String(e.Referrer);
        o.Raw(",\"user_agent\":"u8);
        o.String(e.UserAgent);
        o.Raw(",\"ip_address\":"u8);
        o.String(e.IpAddress);
        o.Raw(",\"geo_country\":"u8);
        o.String(x.Country);
        o.Raw(",\"geo_city\":"u8);
        o.String(e.GeoCity);
        o.Raw(",\"user_segment\":"u8);
        o.String(e.UserSegment);
        o.Raw(",\"device_type\":"u8);
        o.String(e.DeviceType);
        o.Raw(",\"browser\":"u8);
        o.String(e.Browser);
        o.Raw(",\"campaign_id\":"u8);
        o.String(e.CampaignId);
        o.Raw(",\"schema_version\":"u8);
        o.Number(e.SchemaVersion);
        o.Raw(",\"revenue_cents\":"u8);
        o.Number(x.RevenueCents);
        o.Raw(",\"event_hour\":"u8);
        o.Number(x.EventHour);
        o.Raw(",\"event_date\":"u8);
        o.Date(x.EventDate);
        o.Raw(",\"is_mobile\":"u8);
        o.Raw(x.IsMobile ? "true"u8 : "false"u8);
        o.Raw(",\"processing_time\":"u8);
        o.Number(x.ProcessingTimeMs);
        o.Raw(",\"ingest_lag_ms\":"u8);
        o.Number(x.IngestLagMs);
        o.Raw(",\"partition\":"u8);
        o.Number(x.Partition);
        o.Raw(",\"offset\":"u8);
        o.Number(x.Offset);
        o.Raw("}"u8);
        o.Commit();
    }

    /// <summary>A window onto the output buffer, asked for more room only when a value might not fit.</summary>
    private ref struct Output(IBufferWriter<byte> output, JavaScriptEncoder encoder)
    {
        // Room asked for at once: every fixed-size part of an event fits, so most events take one span.
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
}
