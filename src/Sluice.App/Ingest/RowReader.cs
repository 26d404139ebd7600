namespace Sluice.App.Ingest;

/// <summary>Reads a staged file's rows as UTF-8 bytes with the number of the line each starts on.</summary>
/// <remarks>
/// A row ends at <c>\n</c> (a <c>\r</c> before it is dropped). In CSV mode a line break inside quotes belongs to the
/// field, so such a row spans lines and the next row's number counts them. A UTF-8 byte order mark at the start is
/// skipped. Rows are read as bytes, not characters, so they go to the JSON decoder and into dead letters as they are.
/// </remarks>
public sealed class RowReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _csv;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private long _consumedBefore;
    private long _nextLine = 1;
    private bool _eof;
    private bool _started;

    public RowReader(Stream stream, bool csv)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _csv = csv;
    }

    /// <summary>The 1-based line the last row read starts on.</summary>
    public long Line { get; private set; }

    /// <summary>Bytes of the file consumed so far.</summary>
    public long Position => _consumedBefore + _start;

    /// <summary>Reads the next row; false at the end of the file.</summary>
    /// <param name="row">The row without its line end; valid until the next call.</param>
    /// <param name="unclosedQuote">True for a CSV row whose quote was still open at the end of the file.</param>
    public bool TryRead(out ReadOnlyMemory<byte> row, out bool unclosedQuote)
    {
        unclosedQuote = false;
        if (!_started)
        {
            _started = true;
            Fill();
            if (_end - _start >= 3 && _buffer[_start] == 0xEF && _buffer[_start + 1] == 0xBB && _buffer[_start + 2] == 0xBF) _start += 3;
        }
        var scan = _start;
        var inQuotes = false;
        var breaks = 0;
        while (true)
        {
            var end = _csv ? FindCsvRowEnd(scan, ref inQuotes, ref breaks) : Array.IndexOf(_buffer, (byte)'\n', scan, _end - scan);
            if (end >= 0)
            {
                row = Take(end, breaks);
                _start = end + 1;
                return true;
            }
            scan = _end;
            if (_eof)
            {
                if (_start == _end)
                {
                    row = default;
                    return false;
                }
                unclosedQuote = inQuotes;
                row = Take(_end, breaks);
                _start = _end;
                return true;
            }
            // Keep the row begun so far, then read more after it.
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _consumedBefore += _start;
                scan -= _start;
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            Fill();
        }
    }

    public void Dispose() => _stream.Dispose();

    private ReadOnlyMemory<byte> Take(int end, int breaks)
    {
        var length = end - _start;
        if (length > 0 && _buffer[_start + length - 1] == (byte)'\r') length--;
        Line = _nextLine;
        _nextLine += breaks + 1;
        return _buffer.AsMemory(_start, length);
    }

    // The index of the \n that ends the row, or -1 when the data read so far ends first; the quote state carries over.
    private int FindCsvRowEnd(int from, ref bool inQuotes, ref int breaks)
    {
        var i = from;
        while (i < _end)
        {
            var at = _buffer.AsSpan(i, _end - i).IndexOfAny((byte)'"', (byte)'\n');
            if (at < 0) return -1;
            i += at;
            if (_buffer[i] == (byte)'"') inQuotes = !inQuotes;
            else if (!inQuotes) return i;
            else breaks++;
            i++;
        }
        return -1;
    }

    private void Fill()
    {
        var n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        else _end += n;
    }
}
