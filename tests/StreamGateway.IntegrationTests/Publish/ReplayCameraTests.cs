using StreamGateway.Demo;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Publish;

public sealed class ReplayCameraTests
{
    [Fact]
    public async Task Describes_one_h264_track_from_the_clips_parameter_sets()
    {
        await using var camera = ReplayCamera.FromAnnexBFile(ServedReplay.ClipPath, "school-1/replay");

        var track = Assert.Single(camera.Hub.Tracks!);
        Assert.Equal("H264", track.EncodingName);
        Assert.Equal(96, track.PayloadType);
        Assert.Equal(90000, track.ClockRate);
        Assert.Matches("^packetization-mode=1;profile-level-id=[0-9A-F]{6};sprop-parameter-sets=[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+$", track.Fmtp);
    }

    [Fact]
    public async Task Loops_the_clip_with_continuous_sequence_numbers_and_timestamps()
    {
        const double Fps = 500; // the 250-frame clip loops every half second
        await using var camera = ReplayCamera.FromAnnexBFile(ServedReplay.ClipPath, "school-1/fast-replay", Fps);
        using var subscription = camera.Hub.Subscribe("test");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await camera.StartAsync(deadline.Token);

        ushort? lastSequence = null;
        uint? lastTimestamp = null;
        var frames = 0;
        var keyframeTimestamps = new HashSet<uint>();
        while (frames < 400 && await subscription.WaitToReadAsync(deadline.Token))
        {
            while (subscription.TryRead(out var packet))
            {
                try
                {
                    Assert.True(RtpHeader.TryParse(packet.Data.Span, out var header));
                    if (lastSequence is { } previous)
                    {
                        Assert.Equal(unchecked((ushort)(previous + 1)), header.SequenceNumber);
                    }
                    else
                    {
                        Assert.True(packet.IsKeyframeStart, "a subscription starts at a keyframe");
                    }

                    if (lastTimestamp is { } before && header.Timestamp != before)
                    {
                        Assert.Equal(180u, unchecked(header.Timestamp - before)); // 90000 / 500 per frame, across loops too
                        frames++;
                    }

                    if (packet.IsKeyframeStart)
                    {
                        keyframeTimestamps.Add(header.Timestamp);
                    }

                    Assert.Equal(header.Timestamp, packet.RtpTimestamp);
                    lastSequence = header.SequenceNumber;
                    lastTimestamp = header.Timestamp;
                }
                finally
                {
                    packet.Release();
                }
            }
        }

        Assert.Equal(0, subscription.DroppedPackets);
        Assert.True(frames >= 400, $"only {frames} frames before the deadline");
        Assert.InRange(keyframeTimestamps.Count, 8, 10); // one IDR access unit every 50 frames
    }

    [Fact]
    public void Rejects_a_file_that_is_not_h264()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8]);

            Assert.Throws<InvalidDataException>(() => ReplayCamera.FromAnnexBFile(path, "x/y"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
