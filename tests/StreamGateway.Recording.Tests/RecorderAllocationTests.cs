using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Recording.Tests.Support;
using StreamGateway.Relay;
using Xunit.Abstractions;

namespace StreamGateway.Recording.Tests;

/// <summary>
/// The recorder's per-packet path (depacketize, group access units, mux, write fragments) allocates nothing in
/// steady state: measured on the calling thread by driving <see cref="Recorder.Handle"/> directly.
/// </summary>
public sealed class RecorderAllocationTests(ITestOutputHelper output) : IDisposable
{
    private const int Fps = 25;
    private const int AudioClock = 16000;
    private const int WarmUpPackets = 400;
    private const int MeasuredPackets = 1000;

    /// <summary>
    /// Average managed bytes per packet allowed. One copy of a packet's media (the cheapest possible per-packet
    /// allocation: a byte[] of a NAL unit or AAC frame) costs its 24-byte array header plus its length, at least
    /// ~100 bytes for the smallest slices and frames here; 64 bytes a packet on average is well below that and
    /// leaves room for a rare amortised growth (a reused buffer or queue doubling once).
    /// </summary>
    private const int MaxBytesPerPacket = 64;

    private readonly TempDirectory _archive = new();
    private readonly RelayPacketPool _pool = new();

    [Fact]
    public async Task Handling_H264_with_FU_A_fragments_and_AAC_allocates_nothing_per_packet_once_warm()
    {
        var clock = new SteppedClock { Now = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero) };
        using var hub = new StreamHub("school-1/cam", pool: _pool);
        await using var recorder = new Recorder(
            hub,
            new RecorderOptions { RootPath = _archive.Path, School = "school-1", Camera = "cam", SegmentSeconds = 3600 },
            NullLogger.Instance,
            clock);
        var units = Media.H264Units();
        recorder.ConfigureTracks([Media.H264Track(units), AudioTrack()]);
        var packets = Packetize(units, WarmUpPackets + MeasuredPackets);
        Assert.Contains(packets, p => p.Packet.TrackIndex == 0 && IsFuA(p.Packet));
        Assert.Contains(packets, p => p.Packet.TrackIndex == 1);

        Feed(recorder, clock, packets, 0, WarmUpPackets);
        Assert.Equal(RecorderStates.Recording, recorder.GetStatus().State);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Feed(recorder, clock, packets, WarmUpPackets, MeasuredPackets);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{allocated} bytes allocated for {MeasuredPackets} packets ({allocated / (double)MeasuredPackets:0.0} bytes a packet)");
        var status = recorder.GetStatus();
        Assert.Equal(RecorderStates.Recording, status.State);
        Assert.True(status.BytesWritten > 0);
        Assert.True(
            allocated < MaxBytesPerPacket * MeasuredPackets,
            $"{allocated} bytes allocated for {MeasuredPackets} packets ({allocated / (double)MeasuredPackets:0.0} bytes a packet)");

        foreach (var (packet, _) in packets)
        {
            packet.Release();
        }
    }

    private static void Feed(Recorder recorder, SteppedClock clock, List<(RelayPacket Packet, DateTimeOffset Wall)> packets, int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            clock.Now = packets[i].Wall;
            recorder.Handle(packets[i].Packet);
        }
    }

    /// <summary>The clip's access units at 25 fps (its frames above 1400 bytes become FU-A fragments), with one 16 kHz AAC frame per audio packet in between.</summary>
    private List<(RelayPacket Packet, DateTimeOffset Wall)> Packetize(IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> units, int count)
    {
        var start = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var packets = new List<(RelayPacket, DateTimeOffset)>();
        var video = new H264Packetizer(96, 42, 1000);
        var audioFrame = new byte[180];
        Random.Shared.NextBytes(audioFrame);
        var audioSequence = (ushort)7;
        var audioFrames = 0;
        for (var frame = 0; packets.Count < count; frame++)
        {
            var wall = start + TimeSpan.FromSeconds(frame / (double)Fps);
            while (audioFrames * AacDepacketizer.SamplesPerFrame / (double)AudioClock <= frame / (double)Fps)
            {
                var rtp = new byte[RtpHeaderLength + 4 + audioFrame.Length];
                WriteRtpHeader(rtp, 97, audioSequence++, (uint)(audioFrames * AacDepacketizer.SamplesPerFrame), marker: true);
                rtp[12] = 0;
                rtp[13] = 16; // AU-headers-length: one 16-bit header
                rtp[14] = (byte)(audioFrame.Length >> 5);
                rtp[15] = (byte)(audioFrame.Length << 3);
                audioFrame.CopyTo(rtp.AsSpan(16));
                packets.Add((Rent(rtp, 1), wall));
                audioFrames++;
            }

            video.Packetize(units[frame % units.Count], (uint)(frame * (90000 / Fps)), rtp => packets.Add((Rent(rtp.Span, 0), wall)));
        }

        return packets;
    }

    private const int RtpHeaderLength = 12;

    private static void WriteRtpHeader(Span<byte> rtp, byte payloadType, ushort sequence, uint timestamp, bool marker)
    {
        rtp[0] = 0x80;
        rtp[1] = (byte)(payloadType | (marker ? 0x80 : 0));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(rtp[2..], sequence);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(rtp[4..], timestamp);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(rtp[8..], 0x1234);
    }

    private RelayPacket Rent(ReadOnlySpan<byte> rtp, int track)
    {
        var packet = _pool.Rent(rtp.Length);
        rtp.CopyTo(packet.Buffer.Span);
        packet.Length = rtp.Length;
        packet.TrackIndex = track;
        return packet;
    }

    private static bool IsFuA(RelayPacket packet)
    {
        RtpHeader.TryParse(packet.Data.Span, out var header);
        return (RtpHeader.GetPayload(packet.Data.Span, header)[0] & 0x1F) == 28;
    }

    private static TrackDescription AudioTrack() => new()
    {
        Index = 1,
        Kind = MediaKind.Audio,
        PayloadType = 97,
        EncodingName = "MPEG4-GENERIC",
        ClockRate = AudioClock,
        Channels = 1,
        Fmtp = "streamtype=5;profile-level-id=15;mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;indexdeltalength=3",
        ControlUrl = "trackID=1",
    };

    public void Dispose() => _archive.Dispose();

    /// <summary>A wall clock the test sets to each packet's arrival time.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
