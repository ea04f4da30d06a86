using System.Buffers;
using System.Buffers.Binary;

namespace StreamGateway.Protocols.Rtsp;

/// <summary>
/// RTSP interleaved binary data (RFC 2326 section 10.12): <c>'$' channel length16 payload</c> on the RTSP TCP connection.
/// </summary>
public static class InterleavedFrame
{
    public const byte Magic = (byte)'$';

    public const int HeaderLength = 4;

    /// <summary>
    /// Reads one frame. Done: <paramref name="reader"/> is past it and <paramref name="payload"/> slices the
    /// caller's buffer (zero copy, valid until the caller advances its pipe). NeedMoreData: reader untouched.
    /// InvalidData: the first byte is not <c>$</c> or the length is 0.
    /// </summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, out byte channel, out ReadOnlySequence<byte> payload)
    {
        channel = 0;
        payload = default;
        if (!reader.TryPeek(out var first))
        {
            return OperationStatus.NeedMoreData;
        }

        if (first != Magic)
        {
            return OperationStatus.InvalidData;
        }

        Span<byte> header = stackalloc byte[HeaderLength];
        if (!reader.TryCopyTo(header))
        {
            return OperationStatus.NeedMoreData;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (length == 0)
        {
            return OperationStatus.InvalidData;
        }

        if (reader.Remaining < HeaderLength + length)
        {
            return OperationStatus.NeedMoreData;
        }

        channel = header[1];
        payload = reader.UnreadSequence.Slice(HeaderLength, length);
        reader.Advance(HeaderLength + length);
        return OperationStatus.Done;
    }

    /// <summary>Writes the 4-byte frame header for a payload of 1..65535 bytes.</summary>
    public static void WriteHeader(Span<byte> destination, byte channel, int payloadLength)
    {
        if (destination.Length < HeaderLength)
        {
            throw new ArgumentException("Destination is shorter than the 4-byte frame header.", nameof(destination));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(payloadLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, ushort.MaxValue);
        destination[0] = Magic;
        destination[1] = channel;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
    }
}
