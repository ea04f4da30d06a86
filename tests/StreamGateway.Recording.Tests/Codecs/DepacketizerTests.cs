using System.Buffers.Binary;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Recording.Tests.Support;

namespace StreamGateway.Recording.Tests.Codecs;

public sealed class DepacketizerTests
{
    [Theory]
    [InlineData(1400)]
    [InlineData(200)]
    [InlineData(64)]
    public void H264_access_units_packetized_then_depacketized_give_back_the_same_NAL_units(int maxPacketSize)
    {
        var units = Media.H264Units().Take(60).ToList();
        var packetizer = new H264Packetizer(96, 1234, 100, maxPacketSize);
        var depacketizer = new NalDepacketizer(h265: false);
        var got = new MediaUnitList();
        var timestamp = 0u;
        foreach (var unit in units)
        {
            packetizer.Packetize(unit, timestamp, rtp =>
            {
                var copy = rtp.ToArray();
                Assert.True(RtpHeader.TryParse(copy, out var header));
                depacketizer.Push(RtpHeader.GetPayload(copy, header), header.SequenceNumber, got);
                Assert.Equal(rtp.ToArray(), copy); // input unchanged
            });
            timestamp += 3600;
        }

        Assert.Equal(units.SelectMany(u => u).Select(n => n.ToArray()), Units(got));
        Assert.Equal((0, 0), (depacketizer.LostFragments, depacketizer.Malformed));
    }

    [Fact]
    public void A_lost_H264_fragment_drops_only_the_NAL_unit_it_belonged_to()
    {
        var nal = new byte[1000];
        nal[0] = 0x65; // IDR
        Random.Shared.NextBytes(nal.AsSpan(1));
        var next = new byte[] { 0x41, 1, 2, 3 };
        var packetizer = new H264Packetizer(96, 1, 0, 300);
        var packets = new List<byte[]>();
        packetizer.Packetize([nal, next], 0, rtp => packets.Add(rtp.ToArray()));
        Assert.True(packets.Count >= 4);
        packets.RemoveAt(1); // a middle fragment

        var depacketizer = new NalDepacketizer(h265: false);
        var got = new MediaUnitList();
        foreach (var packet in packets)
        {
            RtpHeader.TryParse(packet, out var header);
            depacketizer.Push(RtpHeader.GetPayload(packet, header), header.SequenceNumber, got);
        }

        Assert.Equal([next], Units(got));
        Assert.Equal(1, depacketizer.LostFragments);
    }

    [Fact]
    public void H265_single_aggregation_and_fragmentation_packets_give_back_the_NAL_units()
    {
        byte[] vps = [0x40, 0x01, 0x0C, 0x01];
        byte[] sps = [0x42, 0x01, 0x01, 0x02, 0x03];
        var idr = new byte[500];
        idr[0] = 0x26; // IDR_W_RADL (19) << 1
        idr[1] = 0x01;
        Random.Shared.NextBytes(idr.AsSpan(2));

        var ap = new List<byte> { 48 << 1, 0x01 };
        foreach (var unit in new[] { vps, sps })
        {
            ap.Add((byte)(unit.Length >> 8));
            ap.Add((byte)unit.Length);
            ap.AddRange(unit);
        }

        // FU: payload header (type 49, layer/tid from the NAL), FU header (S/E + type 19), then the NAL body in pieces.
        byte[] Fu(bool start, bool end, ReadOnlySpan<byte> body) =>
            [(byte)((idr[0] & 0x81) | (49 << 1)), idr[1], (byte)((start ? 0x80 : 0) | (end ? 0x40 : 0) | 19), .. body];
        var body = idr.AsSpan(2);
        var depacketizer = new NalDepacketizer(h265: true);
        var got = new MediaUnitList();
        depacketizer.Push([.. ap], 1, got);
        depacketizer.Push(Fu(true, false, body[..200]), 2, got);
        depacketizer.Push(Fu(false, false, body[200..400]), 3, got);
        depacketizer.Push(Fu(false, true, body[400..]), 4, got);
        depacketizer.Push([0x02, 0x01, 0xAA], 5, got); // single NAL unit (TRAIL_R)

        Assert.Equal([vps, sps, idr, [0x02, 0x01, 0xAA]], Units(got));
    }

    [Fact]
    public void AAC_hbr_packets_give_each_access_unit_with_its_timestamp_including_a_fragmented_one()
    {
        Assert.True(AacDepacketizer.TryCreate("streamtype=5;profile-level-id=15;mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;indexdeltalength=3", out var aac));
        Assert.Equal((16000, 1), (aac!.ConfigSampleRate, aac.ConfigChannels));
        byte[] a = [1, 2, 3], b = [4, 5, 6, 7, 8];
        var big = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var got = new MediaUnitList();

        aac.Push(Packet([a.Length, b.Length], [.. a, .. b]), 1, 1000, got);
        aac.Push(Packet([big.Length], big[..100]), 2, 3048, got);
        aac.Push(Packet([big.Length], big[100..]), 3, 3048, got);

        Assert.Equal(
            [(1000u, Convert.ToHexString(a)), (2024u, Convert.ToHexString(b)), (3048u, Convert.ToHexString(big))],
            Enumerable.Range(0, got.Count).Select(i => (got.Timestamp(i), Convert.ToHexString(got[i]))));
        Assert.Equal(0, aac.Malformed);
    }

    [Fact]
    public void AAC_fragment_lost_to_a_gap_is_counted_and_the_next_fragmented_AU_comes_out_whole()
    {
        Assert.True(AacDepacketizer.TryCreate("config=1408;sizelength=13;indexlength=3;indexdeltalength=3", out var aac));
        var first = Enumerable.Range(0, 500).Select(i => (byte)i).ToArray();
        var second = Enumerable.Range(0, 300).Select(i => (byte)(255 - i)).ToArray();
        var got = new MediaUnitList();

        aac!.Push(Packet([first.Length], first[..200]), 1, 0, got); // 2, the rest of it, is lost
        aac.Push(Packet([second.Length], second[..100]), 3, 1024, got);
        aac.Push(Packet([second.Length], second[100..]), 4, 1024, got);

        Assert.Equal(1, aac.Malformed);
        Assert.Equal(1, got.Count);
        Assert.Equal((1024u, Convert.ToHexString(second)), (got.Timestamp(0), Convert.ToHexString(got[0])));
    }

    [Theory]
    [InlineData("sizelength=13;indexlength=3;indexdeltalength=3")]
    [InlineData("config=zz;sizelength=13")]
    [InlineData("config=1408")]
    [InlineData(null)]
    public void AAC_without_a_usable_config_or_size_length_is_refused(string? fmtp) =>
        Assert.False(AacDepacketizer.TryCreate(fmtp, out _));

    private static List<byte[]> Units(MediaUnitList list) => [.. Enumerable.Range(0, list.Count).Select(i => list[i].ToArray())];

    /// <summary>An RFC 3640 payload: AU-headers-length, 13-bit size + 3-bit index per AU, then the data.</summary>
    private static byte[] Packet(int[] sizes, byte[] data)
    {
        var packet = new byte[2 + (2 * sizes.Length) + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)(16 * sizes.Length));
        for (var i = 0; i < sizes.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2 + (2 * i)), (ushort)(sizes[i] << 3));
        }

        data.CopyTo(packet.AsSpan(2 + (2 * sizes.Length)));
        return packet;
    }
}
