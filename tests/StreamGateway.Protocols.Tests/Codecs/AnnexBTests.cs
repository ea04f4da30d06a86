using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Tests.Sdp;

namespace StreamGateway.Protocols.Tests.Codecs;

public sealed class AnnexBTests
{
    public static TheoryData<string, byte[], byte[][]> Streams => new()
    {
        { "3-byte start codes", [0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2], [[0x67, 1], [0x68, 2]] },
        { "4-byte start codes", [0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2], [[0x67, 1], [0x68, 2]] },
        { "mixed, with trailing zeros", [0, 0, 0, 1, 0x67, 1, 0, 0, 0, 0, 1, 0x65, 3, 0, 0], [[0x67, 1], [0x65, 3]] },
        { "bytes before the first start code", [9, 9, 0, 0, 1, 0x41, 7], [[0x41, 7]] },
        { "empty units between start codes", [0, 0, 1, 0, 0, 1, 0x41, 7], [[0x41, 7]] },
        { "no start code", [0x67, 1, 2], [] },
        { "empty", [], [] },
        { "start code at the end", [0, 0, 1, 0x41, 0, 0, 1], [[0x41]] },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void Splits_nal_units(string name, byte[] stream, byte[][] expected)
    {
        var units = AnnexB.SplitNalUnits(stream).Select(u => u.ToArray()).ToArray();

        Assert.True(expected.Length == units.Length, name);
        Assert.Equal(expected, units);
    }

    [Fact]
    public void Demo_clip_has_261_nal_units()
    {
        var types = AnnexB.SplitNalUnits(CameraFiles.ReadDemoClip()).Select(u => H264.NalType(u.Span[0])).ToArray();

        Assert.Equal(261, types.Length);
        Assert.Equal(5, types.Count(t => t == H264.NalSps));
        Assert.Equal(5, types.Count(t => t == H264.NalPps));
        Assert.Equal(5, types.Count(t => t == H264.NalIdr));
        Assert.Equal(245, types.Count(t => t == H264.NalSlice));
    }
}
