using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.UnitTests.Pipelines;

/// <summary>What the tests of the hand-written JSON outputs share: the writer options they are compared with, hostile strings and a stingy buffer.</summary>
internal static class JsonOutputFixture
{
    /// <summary>The options <c>ClickstreamJson</c> gives <see cref="Utf8JsonWriter"/>, the reference the fast writers must equal.</summary>
    public static readonly JsonWriterOptions Options = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Everything a string may hold: what needs escaping (quotes, backslashes, control characters, DEL), what the relaxed
    // encoder leaves alone (HTML characters, non-ASCII, surrogate pairs), and long values that span buffer chunks.
    public static readonly string[] Hostile =
    [
        "", "plain", "with \"quotes\"", "back\\slash", "tab\tnew\nline\r", "\u0001\u001f", "del\u007f", "<script>&'+`",
        "Zürich", "東京", "emoji 😀 pair", "\u00a0nbsp\u2028sep", new string('x', 5000), "mixed é \" \\ \u0002 " + new string('y', 1500),
    ];

    /// <summary>A writer that hands out no more room than asked for: every chunk boundary of a fast writer is exercised.</summary>
    public sealed class StingyBufferWriter : IBufferWriter<byte>
    {
        private byte[] _data = [];
        private int _length;
        private byte[] _span = [];

        public ReadOnlySpan<byte> Written => _data.AsSpan(0, _length);

        public Span<byte> GetSpan(int sizeHint = 0) => _span = new byte[Math.Max(sizeHint, 1)];

        public Memory<byte> GetMemory(int sizeHint = 0) => _span = new byte[Math.Max(sizeHint, 1)];

        public void Advance(int count)
        {
            if (_length + count > _data.Length) Array.Resize(ref _data, Math.Max(_data.Length * 2, _length + count));
            _span.AsSpan(0, count).CopyTo(_data.AsSpan(_length));
            _length += count;
        }
    }
}
