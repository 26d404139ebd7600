namespace Sluice.Generate.Writers;

/// <summary>Writes every record's payload as one line to a stream (stdout for <c>--output stdout</c>).</summary>
public sealed class StreamTrafficWriter : ITrafficWriter
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    public StreamTrafficWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // Many small writes: a buffer turns them into few system calls.
        _stream = new BufferedStream(stream, 64 * 1024);
        _leaveOpen = leaveOpen;
    }

    public void Write(in GeneratedRecord record)
    {
        _stream.Write(record.Payload.Span);
        _stream.WriteByte((byte)'\n');
    }

    public void Flush(CancellationToken cancellationToken = default) => _stream.Flush();

    public bool ReadsEvents => false;

    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen) _stream.Dispose();
    }
}
