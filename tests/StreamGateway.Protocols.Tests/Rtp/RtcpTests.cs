using System.Buffers.Binary;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Tests.Sdp;

namespace StreamGateway.Protocols.Tests.Rtp;

public sealed class RtcpTests
{
    private static byte[] Hanwha => CameraFiles.ReadHex("hanwha-qnv8080r-rtcp-sr-sdes-missing-null-item.hex");

    [Fact]
    public void Hanwha_sr_with_sdes_missing_its_null_item_is_a_valid_compound()
    {
        // RFC 3550 A.2 checks headers and lengths only; the SDES item list is not ours to judge, and the
        // gateway must not drop this camera's reports.
        Assert.Equal(44, Hanwha.Length);
        Assert.True(Rtcp.IsValidCompound(Hanwha));
    }

    [Fact]
    public void Hanwha_sender_report_fields_are_read()
    {
        Assert.True(Rtcp.TryReadSenderReport(Hanwha, out var ssrc, out var ntp, out var rtp, out var packets, out var octets));

        Assert.Equal(0x000B7FD5u, ssrc);
        Assert.Equal(0x1234567890ABCDEFul, ntp);
        Assert.Equal(0xD450u, rtp);
        Assert.Equal(1u, packets);
        Assert.Equal(4u, octets);
    }

    public static TheoryData<string, byte[]> Broken
    {
        get
        {
            var data = new TheoryData<string, byte[]>();
            var h = Hanwha;
            data.Add("truncated by one byte", h[..^1]);
            data.Add("one extra byte", [.. h, 0]);
            data.Add("only the SDES (first packet must be SR or RR)", h[28..]);
            var v1 = (byte[])h.Clone();
            v1[28] = 0x41; // SDES version 1
            data.Add("second packet version 1", v1);
            var padded = (byte[])h.Clone();
            padded[0] |= 0x20;
            data.Add("padding on the first packet", padded);
            var longer = (byte[])h.Clone();
            longer[3] = 7;
            data.Add("SR length past the end", longer);
            var rtp = (byte[])h.Clone();
            rtp[29] = 96; // an RTP payload type, not RTCP
            data.Add("second packet type outside RTCP range", rtp);
            data.Add("too short", [0x80, 0xC8, 0, 0]);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Broken))]
    public void Rejects_broken_compounds(string name, byte[] packet)
    {
        Assert.False(Rtcp.IsValidCompound(packet), name);
    }

    [Fact]
    public void Receiver_report_written_then_read_back()
    {
        var buffer = new byte[64];

        var length = Rtcp.WriteReceiverReport(buffer, reporterSsrc: 0x11111111, sourceSsrc: 0x22222222, extendedHighestSequence: 0x00010005, lastSenderReportMiddle32: 0x567890AB, delaySinceLastSr: 65536);

        Assert.Equal(32, length);
        var rr = buffer.AsSpan(0, length);
        Assert.True(Rtcp.IsValidCompound(rr));
        Assert.Equal(0x81, rr[0]);
        Assert.Equal(Rtcp.ReceiverReport, rr[1]);
        Assert.Equal(7, BinaryPrimitives.ReadUInt16BigEndian(rr[2..]));
        Assert.Equal(0x11111111u, BinaryPrimitives.ReadUInt32BigEndian(rr[4..]));
        Assert.Equal(0x22222222u, BinaryPrimitives.ReadUInt32BigEndian(rr[8..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(rr[12..]));
        Assert.Equal(0x00010005u, BinaryPrimitives.ReadUInt32BigEndian(rr[16..]));
        Assert.Equal(0x567890ABu, BinaryPrimitives.ReadUInt32BigEndian(rr[24..]));
        Assert.Equal(65536u, BinaryPrimitives.ReadUInt32BigEndian(rr[28..]));
        Assert.False(Rtcp.TryReadSenderReport(rr, out _, out _, out _, out _, out _));
        Assert.All(buffer[32..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Receiver_report_needs_room()
    {
        Assert.Throws<ArgumentException>(() => Rtcp.WriteReceiverReport(new byte[31], 1, 2, 3, 4, 5));
    }

    [Fact]
    public void Sender_report_is_found_after_a_receiver_report()
    {
        var rr = new byte[32];
        Rtcp.WriteReceiverReport(rr, 1, 2, 3, 4, 5);
        byte[] compound = [.. rr, .. Hanwha];

        Assert.True(Rtcp.IsValidCompound(compound));
        Assert.True(Rtcp.TryReadSenderReport(compound, out var ssrc, out _, out _, out _, out _));
        Assert.Equal(0x000B7FD5u, ssrc);
    }
}
