using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Tests.Sdp;

namespace StreamGateway.Protocols.Tests.Codecs;

public sealed class H264PacketizerTests
{
    private sealed record Packet(RtpHeader Header, byte[] Payload, int Size);

    private static List<Packet> Run(H264Packetizer packetizer, IReadOnlyList<ReadOnlyMemory<byte>> nals, uint timestamp, out int returned)
    {
        var packets = new List<Packet>();
        returned = packetizer.Packetize(nals, timestamp, memory =>
        {
            Assert.True(RtpHeader.TryParse(memory.Span, out var header));
            packets.Add(new Packet(header, RtpHeader.GetPayload(memory.Span, header).ToArray(), memory.Length));
        });
        return packets;
    }

    /// <summary>Rebuilds NAL units from single-NAL and FU-A payloads; fails on anything inconsistent.</summary>
    private static List<byte[]> Reassemble(IEnumerable<Packet> packets)
    {
        var nals = new List<byte[]>();
        List<byte>? fragment = null;
        foreach (var p in packets)
        {
            var type = H264.NalType(p.Payload[0]);
            if (type == H264.NalFuA)
            {
                var start = (p.Payload[1] & 0x80) != 0;
                var end = (p.Payload[1] & 0x40) != 0;
                if (start)
                {
                    Assert.Null(fragment);
                    fragment = [(byte)((p.Payload[0] & 0xE0) | (p.Payload[1] & 0x1F))];
                }

                Assert.NotNull(fragment);
                fragment.AddRange(p.Payload[2..]);
                if (end)
                {
                    nals.Add([.. fragment]);
                    fragment = null;
                }
            }
            else
            {
                Assert.Null(fragment);
                nals.Add(p.Payload);
            }
        }

        Assert.Null(fragment);
        return nals;
    }

    public static TheoryData<int, int> Sizes => new()
    {
        // IDR size, max packet size
        { 100, 1400 },
        { 1388, 1400 }, // exactly fits one packet
        { 1389, 1400 }, // one byte too many: two fragments
        { 5000, 1400 },
        { 5000, 64 },
        { 65000, 1200 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Fragmented_access_unit_reassembles_to_the_same_nal_units(int idrSize, int maxPacketSize)
    {
        var random = new Random(idrSize);
        var idr = new byte[idrSize];
        random.NextBytes(idr);
        idr[0] = 0x65;
        byte[] sps = [0x67, 0x42, 0x00, 0x1E, 0xF4];
        byte[] pps = [0x68, 0xCE, 0x3C, 0x80];
        var copy = (byte[])idr.Clone();

        var packetizer = new H264Packetizer(96, 0x1234ABCD, 65530, maxPacketSize);
        var packets = Run(packetizer, [sps, pps, idr], 90000, out var returned);

        Assert.Equal(packets.Count, returned);
        Assert.Equal([sps, pps, idr], Reassemble(packets));
        Assert.Equal(copy, idr); // input untouched
        Assert.All(packets, p => Assert.InRange(p.Size, 13, maxPacketSize));
        Assert.All(packets, p => Assert.Equal(96, p.Header.PayloadType));
        Assert.All(packets, p => Assert.Equal(90000u, p.Header.Timestamp));
        Assert.All(packets, p => Assert.Equal(0x1234ABCDu, p.Header.Ssrc));
        Assert.Equal(Enumerable.Range(0, packets.Count).Select(i => (ushort)(65530 + i)), packets.Select(p => p.Header.SequenceNumber));
        Assert.Equal(packets.Count - 1, packets.FindIndex(p => p.Header.Marker));
        Assert.Single(packets, p => p.Header.Marker);
        Assert.Equal((ushort)(65530 + packets.Count), packetizer.NextSequenceNumber);
        var expectedIdrPackets = idrSize + 12 <= maxPacketSize ? 1 : (int)Math.Ceiling((idrSize - 1) / (double)(maxPacketSize - 14));
        Assert.Equal(2 + expectedIdrPackets, packets.Count);
    }

    [Fact]
    public void Sequence_continues_across_access_units()
    {
        var packetizer = new H264Packetizer(96, 1, 10);
        byte[] slice = [0x41, 0x9A, 0x01];

        var first = Run(packetizer, [slice], 0, out _);
        var second = Run(packetizer, [slice, Array.Empty<byte>()], 3000, out var count);

        Assert.Equal(1, count);
        Assert.Equal(10, first[0].Header.SequenceNumber);
        Assert.Equal(11, second[0].Header.SequenceNumber);
        Assert.True(second[0].Header.Marker); // the trailing empty NAL is skipped, so this is the last packet
    }

    [Fact]
    public void Rejects_a_packet_size_too_small_to_fragment()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new H264Packetizer(96, 1, 0, maxPacketSize: 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => new H264Packetizer(200, 1, 0));
    }

    [Fact]
    public void Demo_clip_splits_into_250_access_units_with_5_keyframes()
    {
        var units = H264AccessUnits.Split(CameraFiles.ReadDemoClip());

        Assert.Equal(250, units.Count);
        var keyframes = units.Select((u, i) => (u, i)).Where(x => x.u.Any(n => H264.NalType(n.Span[0]) == H264.NalIdr)).Select(x => x.i).ToArray();
        Assert.Equal([0, 50, 100, 150, 200], keyframes);
        Assert.All(keyframes, i => Assert.Equal(H264.NalSps, H264.NalType(units[i][0].Span[0])));
        Assert.All(keyframes, i => Assert.Equal(H264.NalPps, H264.NalType(units[i][1].Span[0])));
        Assert.All(units, u => Assert.Single(u, n => H264.NalType(n.Span[0]) is H264.NalIdr or H264.NalSlice));
    }

    [Fact]
    public void Demo_clip_packetized_has_a_keyframe_start_at_each_idr_access_unit()
    {
        var units = H264AccessUnits.Split(CameraFiles.ReadDemoClip());
        var packetizer = new H264Packetizer(96, 7, 0);
        var keyframeUnits = new List<int>();
        var nals = new List<byte[]>();
        for (var i = 0; i < units.Count; i++)
        {
            var packets = Run(packetizer, units[i], (uint)(i * 3600), out _);
            if (KeyframeDetector.IsKeyframeStart("H264", packets[0].Payload))
            {
                keyframeUnits.Add(i);
            }

            Assert.Single(packets, p => p.Header.Marker);
            nals.AddRange(Reassemble(packets));
        }

        Assert.Equal([0, 50, 100, 150, 200], keyframeUnits);
        Assert.Equal(units.SelectMany(u => u).Select(n => n.ToArray()), nals);
    }

    [Fact]
    public void Access_units_split_at_aud_and_at_first_slice()
    {
        byte[] stream =
        [
            0, 0, 0, 1, 0x09, 0xF0, // AUD
            0, 0, 0, 1, 0x65, 0x88, // IDR, first_mb 0
            0, 0, 1, 0x65, 0x08, // IDR, first_mb != 0: same picture
            0, 0, 0, 1, 0x09, 0xF0, // AUD: new AU
            0, 0, 1, 0x41, 0x9A, // slice
            0, 0, 1, 0x41, 0x9A, // slice with first_mb 0: new AU
            0, 0, 1, 0x06, 0x05, // SEI after VCL: new AU
            0, 0, 1, 0x41, 0x9A,
        ];

        var units = H264AccessUnits.Split(stream);

        Assert.Equal([3, 2, 1, 2], units.Select(u => u.Count));
    }
}
