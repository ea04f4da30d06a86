using System.Buffers.Binary;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Benchmarks;

/// <summary>The synthetic stream every benchmark uses: H.264 at 25 fps, 8 packets of 1400 bytes per frame, a keyframe every 50 frames.</summary>
internal static class Packets
{
    public const int RtpLength = 1400;
    public const int PacketsPerFrame = 8;
    public const int FramesPerGop = 50;
    public const int PacketsPerGop = PacketsPerFrame * FramesPerGop; // 400
    public const uint TimestampPerFrame = 90000 / 25;
    public const uint CameraSsrc = 0x11223344;

    public static TrackDescription H264Track(string control = "rtsp://camera/track1") => new()
    {
        Index = 0,
        Kind = MediaKind.Video,
        PayloadType = 96,
        EncodingName = "H264",
        ClockRate = 90000,
        Fmtp = "packetization-mode=1",
        ControlUrl = control,
    };

    /// <summary>Packet <paramref name="index"/> of a GOP: an FU-A fragment; the first starts the IDR, the last of a frame has the marker.</summary>
    public static void WriteRtp(Span<byte> packet, int index, ushort sequence, uint timestamp)
    {
        packet[0] = 0x80;
        packet[1] = (byte)(96 | (index % PacketsPerFrame == PacketsPerFrame - 1 ? 0x80 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], CameraSsrc);
        packet[12] = 0x7C; // FU-A, NRI 3
        var nalType = index < PacketsPerFrame ? 5 : 1;
        var start = index % PacketsPerFrame == 0 ? 0x80 : 0;
        var end = index % PacketsPerFrame == PacketsPerFrame - 1 ? 0x40 : 0;
        packet[13] = (byte)(start | end | nalType);
    }

    /// <summary>Rewrites sequence number and timestamp of frame <paramref name="index"/> of a GOP buffer built by <see cref="InterleavedGop"/>.</summary>
    public static void Renumber(Span<byte> interleavedGop, int index, ushort sequence, uint timestamp)
    {
        var rtp = interleavedGop.Slice((index * (InterleavedFrame.HeaderLength + RtpLength)) + InterleavedFrame.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(rtp[2..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(rtp[4..], timestamp);
    }

    /// <summary>One GOP as interleaved frames on channel 0, back to back, as a camera sends it over RTSP/TCP.</summary>
    public static byte[] InterleavedGop()
    {
        const int frameLength = InterleavedFrame.HeaderLength + RtpLength;
        var bytes = new byte[PacketsPerGop * frameLength];
        for (var i = 0; i < PacketsPerGop; i++)
        {
            var frame = bytes.AsSpan(i * frameLength, frameLength);
            InterleavedFrame.WriteHeader(frame, 0, RtpLength);
            WriteRtp(frame[InterleavedFrame.HeaderLength..], i, (ushort)i, (uint)(i / PacketsPerFrame) * TimestampPerFrame);
        }

        return bytes;
    }
}

/// <summary>A clock the benchmark moves by hand, so timestamps follow the wall clock exactly (no resync).</summary>
internal sealed class ManualClock : TimeProvider
{
    public long Now { get; set; }

    public override long TimestampFrequency => 90000;

    public override long GetTimestamp() => Now;
}
