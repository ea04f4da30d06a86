using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Tests.Sdp;

namespace StreamGateway.Protocols.Tests.Rtp;

public sealed class RtpHeaderTests
{
    // V=2, M=1, PT=96, seq 0x1234, ts 0x01020304, ssrc 0xAABBCCDD, payload 3 bytes.
    private static readonly byte[] Basic = [0x80, 0xE0, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04, 0xAA, 0xBB, 0xCC, 0xDD, 0x65, 0x88, 0x84];

    [Fact]
    public void Reads_the_fixed_header_and_payload()
    {
        Assert.True(RtpHeader.TryParse(Basic, out var h));

        Assert.True(h.Marker);
        Assert.Equal(96, h.PayloadType);
        Assert.Equal(0x1234, h.SequenceNumber);
        Assert.Equal(0x01020304u, h.Timestamp);
        Assert.Equal(0xAABBCCDDu, h.Ssrc);
        Assert.Equal(12, h.HeaderLength);
        Assert.Equal(0, h.PaddingLength);
        Assert.Equal([0x65, 0x88, 0x84], RtpHeader.GetPayload(Basic, h).ToArray());
    }

    public static TheoryData<string, byte[], int, int, byte[]> Valid => new()
    {
        { "two CSRCs", [0x82, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 2, 2, 2, 2, 0x41, 0x42], 20, 0, [0x41, 0x42] },
        { "extension of one word", [0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0, 1, 9, 9, 9, 9, 0x41], 20, 0, [0x41] },
        { "CSRC and empty extension", [0x91, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 0xBE, 0xDE, 0, 0, 0x41], 20, 0, [0x41] },
        { "padding of 3", [0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x41, 0x42, 0, 0, 3], 12, 3, [0x41, 0x42] },
        { "padding that is the whole payload", [0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 2], 12, 2, [] },
        { "header only", [0x80, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3], 12, 0, [] },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Accepts_valid_packets(string name, byte[] packet, int headerLength, int paddingLength, byte[] payload)
    {
        Assert.True(RtpHeader.TryParse(packet, out var h), name);
        Assert.Equal(headerLength, h.HeaderLength);
        Assert.Equal(paddingLength, h.PaddingLength);
        Assert.Equal(payload, RtpHeader.GetPayload(packet, h).ToArray());
    }

    public static TheoryData<string, byte[]> Invalid => new()
    {
        { "empty", [] },
        { "shorter than 12 bytes", [0x80, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0] },
        { "version 1", [0x40, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x41] },
        { "version 0 (STUN or junk)", [0x00, 0x01, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x41] },
        { "CSRC list past the end", [0x82, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1] },
        { "extension header past the end", [0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE] },
        { "extension body past the end", [0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0, 2, 9, 9, 9, 9] },
        { "padding longer than the payload", [0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x41, 9] },
        { "padding count zero", [0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x41, 0] },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Rejects_malformed_packets(string name, byte[] packet)
    {
        Assert.False(RtpHeader.TryParse(packet, out _), name);
    }

    [Fact]
    public void Rewrites_sequence_timestamp_and_ssrc_in_place()
    {
        var packet = (byte[])Basic.Clone();

        RtpHeader.WriteSequenceNumber(packet, 0xFFFE);
        RtpHeader.WriteTimestamp(packet, 0xDEADBEEF);
        RtpHeader.WriteSsrc(packet, 0x01020304);

        Assert.True(RtpHeader.TryParse(packet, out var h));
        Assert.Equal(0xFFFE, h.SequenceNumber);
        Assert.Equal(0xDEADBEEFu, h.Timestamp);
        Assert.Equal(0x01020304u, h.Ssrc);
        Assert.True(h.Marker);
        Assert.Equal(96, h.PayloadType);
        Assert.Equal(Basic[12..], packet[12..]);
    }

    [Fact]
    public void Axis_interleaved_frame_holds_a_valid_rtp_packet()
    {
        var frame = CameraFiles.ReadHex("axis-interleaved-frame-ch0-h264-fua-end.hex");
        Assert.Equal(736, frame.Length);
        Assert.Equal((byte)'$', frame[0]);
        Assert.Equal(0, frame[1]);
        Assert.Equal(732, (frame[2] << 8) | frame[3]);

        var packet = frame.AsSpan(4);
        Assert.True(RtpHeader.TryParse(packet, out var h));

        Assert.True(h.Marker);
        Assert.Equal(96, h.PayloadType);
        Assert.Equal(24387, h.SequenceNumber);
        Assert.Equal(819667722u, h.Timestamp);
        Assert.Equal(0xBBA71E7Au, h.Ssrc);
        Assert.Equal(732 - 12, RtpHeader.GetPayload(packet, h).Length);
    }
}
