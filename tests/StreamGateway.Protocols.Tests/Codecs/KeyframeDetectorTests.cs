using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Tests.Sdp;

namespace StreamGateway.Protocols.Tests.Codecs;

public sealed class KeyframeDetectorTests
{
    public static TheoryData<string, string, byte[], bool> Payloads => new()
    {
        // H.264 single NAL unit packets
        { "H264", "single IDR", [0x65, 0x88, 0x84], true },
        { "H264", "single SPS", [0x67, 0x42, 0x00, 0x1E], true },
        { "H264", "single PPS", [0x68, 0xCE, 0x3C, 0x80], false },
        { "H264", "single non-IDR slice", [0x41, 0x9A, 0x00], false },
        { "H264", "single SEI", [0x06, 0x05, 0x01], false },
        { "H264", "empty payload", [], false },
        // STAP-A: 24, then (size16, NAL)...
        { "H264", "STAP-A with SPS and PPS", [0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE], true },
        { "H264", "STAP-A with PPS then IDR", [0x78, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x02, 0x65, 0x88], true },
        { "H264", "STAP-A with SEI and slice", [0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x41, 0x9A], false },
        { "H264", "STAP-A whose size runs past the end", [0x78, 0x00, 0x09, 0x65, 0x88], false },
        { "H264", "STAP-A with a zero size", [0x78, 0x00, 0x00, 0x65, 0x88], false },
        // FU-A: indicator 28, FU header S|E|R|type
        { "H264", "FU-A start of IDR", [0x7C, 0x85, 0x88], true },
        { "H264", "FU-A middle of IDR", [0x7C, 0x05, 0x88], false },
        { "H264", "FU-A end of IDR", [0x7C, 0x45, 0x88], false },
        { "H264", "FU-A start of SPS", [0x7C, 0x87, 0x42], true },
        { "H264", "FU-A start of non-IDR slice", [0x5C, 0x81, 0x9A], false },
        { "H264", "FU-A without FU header", [0x7C], false },
        { "h264", "encoding name in lower case", [0x65, 0x88], true },
        // H.265: type = (byte0 >> 1) & 0x3F, two-byte NAL header
        { "H265", "single VPS", [0x40, 0x01, 0x0C], true },
        { "H265", "single SPS", [0x42, 0x01, 0x01], true },
        { "H265", "single PPS", [0x44, 0x01, 0xC0], false },
        { "H265", "single IDR_W_RADL", [0x26, 0x01, 0xAF], true },
        { "H265", "single CRA", [0x2A, 0x01, 0xAF], true },
        { "H265", "single TRAIL_R", [0x02, 0x01, 0xD0], false },
        { "H265", "one byte", [0x26], false },
        { "H265", "AP with VPS", [0x60, 0x01, 0x00, 0x03, 0x40, 0x01, 0x0C, 0x00, 0x03, 0x44, 0x01, 0xC0], true },
        { "H265", "AP with SEI and PPS", [0x60, 0x01, 0x00, 0x03, 0x4E, 0x01, 0x05, 0x00, 0x03, 0x44, 0x01, 0xC0], false },
        { "H265", "FU start of IDR_N_LP", [0x62, 0x01, 0x94, 0xAF], true },
        { "H265", "FU middle of IDR_W_RADL", [0x62, 0x01, 0x13, 0xAF], false },
        { "H265", "FU start of TRAIL_R", [0x62, 0x01, 0x81, 0xAF], false },
        // other encodings never start keyframes
        { "MPEG4-GENERIC", "AAC", [0x65, 0x88], false },
        { "JPEG", "MJPEG", [0x67, 0x42], false },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Detects_keyframe_starts(string encoding, string name, byte[] payload, bool expected)
    {
        Assert.True(expected == KeyframeDetector.IsKeyframeStart(encoding, payload), name);
    }

    [Fact]
    public void Axis_fu_a_end_fragment_is_not_a_keyframe_start()
    {
        var frame = CameraFiles.ReadHex("axis-interleaved-frame-ch0-h264-fua-end.hex");
        var packet = frame.AsSpan(4); // '$', channel, length16
        Assert.True(RtpHeader.TryParse(packet, out var header));
        var payload = RtpHeader.GetPayload(packet, header);

        Assert.Equal(28, H264.NalType(payload[0]));
        Assert.Equal(0x40, payload[1] & 0xC0); // E set, S clear
        Assert.False(KeyframeDetector.IsKeyframeStart("H264", payload));

        // The same fragment marked as the start of an IDR would be one.
        var asStart = payload.ToArray();
        asStart[1] = 0x85;
        Assert.True(KeyframeDetector.IsKeyframeStart("H264", asStart));
    }
}
