using System.Buffers.Binary;
using Sluice.Core.Events;

namespace Sluice.Schemas.Avro;

/// <summary>The Confluent framing: magic byte 0, the 4-byte big-endian schema id, then the Avro body.</summary>
public static class ConfluentWireFormat
{
    /// <summary>The only magic byte defined so far.</summary>
    public const byte MagicByte = 0;

    /// <summary>Bytes before the Avro body.</summary>
    public const int HeaderLength = 5;

    /// <summary>Appends the header for <paramref name="schemaId"/>.</summary>
    public static void WriteHeader(AvroBuffer output, int schemaId)
    {
        ArgumentNullException.ThrowIfNull(output);
        Span<byte> header = stackalloc byte[HeaderLength];
        header[0] = MagicByte;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], schemaId);
        output.WriteRaw(header);
    }

    /// <summary>Splits a frame into schema id and body; fails with <see cref="AvroReasonCodes.BadMagic"/>.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> frame, out int schemaId, out ReadOnlySpan<byte> body, out DecodeError error)
    {
        schemaId = 0;
        body = default;
        if (frame.Length < HeaderLength || frame[0] != MagicByte)
        {
            error = new DecodeError(AvroReasonCodes.BadMagic, frame.Length == 0
                ? "empty payload"
                : frame[0] != MagicByte ? $"magic byte is {frame[0]}, expected {MagicByte}" : $"frame of {frame.Length} bytes is shorter than the 5-byte header");
            return false;
        }
        schemaId = BinaryPrimitives.ReadInt32BigEndian(frame[1..]);
        body = frame[HeaderLength..];
        error = default;
        return true;
    }
}
