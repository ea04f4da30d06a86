using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using StreamGateway.Protocols.Rtp;

namespace StreamGateway.Ingest.Tests;

public sealed class RtpContinuityTests
{
    private const uint ViewerSsrc = 0x11223344;

    [Fact]
    public void Keeps_one_ssrc_and_continuous_numbering_across_a_reconnect()
    {
        var time = new FakeTimeProvider();
        var continuity = new RtpContinuity(ViewerSsrc, 90000, time);
        var before = Rewrite(continuity, sequence: 1000, timestamp: 500_000, ssrc: 0xAAAA);
        time.Advance(TimeSpan.FromMilliseconds(40));
        var last = Rewrite(continuity, 1001, 503_600, 0xAAAA);

        // The camera reboots: new SSRC, numbering from scratch. 15 s pass.
        time.Advance(TimeSpan.FromSeconds(15));
        continuity.MarkDiscontinuity();
        var after = Rewrite(continuity, 7, 0, 0xBBBB);

        Assert.All(new[] { before, last, after }, p => Assert.Equal(ViewerSsrc, p.Ssrc));
        Assert.Equal((ushort)(last.SequenceNumber + 1), after.SequenceNumber);
        Assert.Equal(last.Timestamp + (15 * 90000), after.Timestamp);
    }

    [Fact]
    public void Absorbs_a_camera_that_restarts_its_timestamps_without_reconnecting()
    {
        var time = new FakeTimeProvider();
        var continuity = new RtpContinuity(ViewerSsrc, 90000, time);
        var previous = Rewrite(continuity, 40_000, 3_000_000_000, 1);
        for (var i = 1; i <= 10; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(40));
            previous = Rewrite(continuity, (ushort)(40_000 + i), 3_000_000_000 + (uint)(i * 3600), 1);
        }

        time.Advance(TimeSpan.FromMilliseconds(40));
        var afterReset = Rewrite(continuity, 1, 0, 1);

        Assert.Equal((ushort)(previous.SequenceNumber + 1), afterReset.SequenceNumber);
        Assert.Equal(previous.Timestamp + 3600, afterReset.Timestamp);
        Assert.Equal(1, continuity.Resyncs);
    }

    [Fact]
    public void Sequence_numbers_wrap_without_a_resync()
    {
        var time = new FakeTimeProvider();
        var continuity = new RtpContinuity(ViewerSsrc, 8000, time);
        Rewrite(continuity, ushort.MaxValue, 100, 1);
        time.Advance(TimeSpan.FromMilliseconds(20));

        var wrapped = Rewrite(continuity, 0, 260, 1);

        Assert.Equal(0, wrapped.SequenceNumber);
        Assert.Equal(0, continuity.Resyncs);
    }

    [Fact]
    public void Maps_a_sender_report_onto_the_viewer_ssrc_and_timeline()
    {
        var time = new FakeTimeProvider();
        var continuity = new RtpContinuity(ViewerSsrc, 90000, time);
        Rewrite(continuity, 1, 1000, 0xAAAA);
        time.Advance(TimeSpan.FromSeconds(20));
        continuity.MarkDiscontinuity();
        var after = Rewrite(continuity, 1, 1000, 0xBBBB); // same camera timeline, shifted by the gap
        var report = new byte[28 + 24]; // SR with one report block
        report[0] = 0x81;
        report[1] = Rtcp.SenderReport;
        BinaryPrimitives.WriteUInt16BigEndian(report.AsSpan(2), (ushort)((report.Length / 4) - 1));
        BinaryPrimitives.WriteUInt32BigEndian(report.AsSpan(4), 0xBBBB);
        BinaryPrimitives.WriteUInt32BigEndian(report.AsSpan(16), 1000);

        var length = continuity.RewriteRtcp(report);

        Assert.Equal(28, length);
        Assert.True(Rtcp.TryReadSenderReport(report.AsSpan(0, length), out var ssrc, out _, out var rtpTime, out _, out _));
        Assert.Equal(ViewerSsrc, ssrc);
        Assert.Equal(after.Timestamp, rtpTime);
    }

    [Fact]
    public void Drops_camera_rtcp_that_is_not_a_sender_report()
    {
        var continuity = new RtpContinuity(ViewerSsrc, 90000, new FakeTimeProvider());
        Rewrite(continuity, 1, 1, 1);
        var goodbye = new byte[8];
        goodbye[0] = 0x81;
        goodbye[1] = Rtcp.Goodbye;
        goodbye[3] = 1;

        Assert.Equal(0, continuity.RewriteRtcp(goodbye));
    }

    private static RtpHeader Rewrite(RtpContinuity continuity, ushort sequence, uint timestamp, uint ssrc)
    {
        var packet = new byte[12 + 4];
        packet[0] = 0x80;
        packet[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        Assert.True(RtpHeader.TryParse(packet, out var header));
        continuity.RewriteRtp(packet, header);
        Assert.True(RtpHeader.TryParse(packet, out var rewritten));
        return rewritten;
    }
}
