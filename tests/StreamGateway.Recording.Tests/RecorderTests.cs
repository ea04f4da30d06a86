using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Recording.Tests.Support;
using StreamGateway.Relay;

namespace StreamGateway.Recording.Tests;

/// <summary>A recorder fed by an in-process hub: packets carry arrival times in the past, so 12 s of camera take well under a second.</summary>
public sealed class RecorderTests : IDisposable
{
    private const int Fps = 25;
    private readonly TempDirectory _archive = new();
    private readonly RelayPacketPool _pool = new();

    [Fact]
    public async Task Twelve_seconds_of_camera_in_5_s_segments_give_aligned_readable_segments_with_the_full_duration()
    {
        var (hub, units) = NewHub();
        var recorder = NewRecorder(hub, segmentSeconds: 5);
        recorder.Start();
        var start = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(14);
        await PublishAsync(hub, units, frames: 12 * Fps, firstFrame: 0, start, timestampJumpAt: -1);
        await WaitUntilAsync(() => recorder.GetStatus().State == RecorderStates.CameraOffline, TimeSpan.FromSeconds(10));
        await recorder.DisposeAsync();
        hub.Dispose();

        var segments = Directory.GetFiles(Path.Combine(_archive.Path, "school-1", "cam"), "*.mp4", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.True(segments.Count >= 3, $"{segments.Count} segments");
        var total = 0.0;
        for (var i = 0; i < segments.Count; i++)
        {
            using var probe = await Tool.ProbeAsync(segments[i]);
            total += Tool.Number(probe.RootElement.GetProperty("format"), "duration");
            if (i > 0)
            {
                // The clip's GOP is 2 s: a segment starts at the first keyframe after a multiple of 5 s.
                var second = int.Parse(Path.GetFileNameWithoutExtension(segments[i])[^2..], CultureInfo.InvariantCulture);
                Assert.InRange(second % 5, 0, 2);
            }
        }

        // The recording starts at the first keyframe (the clip's first one is at frame 50).
        var recordedFrames = (12 * Fps) - FirstKeyframe(units);
        Assert.InRange(total, recordedFrames / (double)Fps * 0.98, recordedFrames / (double)Fps * 1.02);
        var events = Journal();
        Assert.Equal(segments.Count, events.Count(e => e.Event == "segment-start"));
        Assert.Contains(events, e => e.Event == "gap-start" && e.Cause == "camera-offline");
        Assert.Equal(0, recorder.GetStatus().RepairedTimestamps);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public async Task A_timestamp_jump_ends_the_segment_and_the_next_keyframe_starts_a_new_one()
    {
        var (hub, units) = NewHub();
        var recorder = NewRecorder(hub, segmentSeconds: 3600);
        recorder.Start();
        var start = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(10);
        await PublishAsync(hub, units, frames: 8 * Fps, firstFrame: 0, start, timestampJumpAt: 4 * Fps);
        await WaitUntilAsync(() => recorder.GetStatus().State == RecorderStates.CameraOffline, TimeSpan.FromSeconds(10));
        await recorder.DisposeAsync();
        hub.Dispose();

        var events = Journal();
        Assert.Contains(events, e => e.Event == "segment-end" && e.Reason == "timestamp-jump");
        var segments = Directory.GetFiles(Path.Combine(_archive.Path, "school-1", "cam"), "*.mp4", SearchOption.AllDirectories);
        Assert.Equal(2, segments.Length);
        foreach (var segment in segments)
        {
            using var probe = await Tool.ProbeAsync(segment);
            Assert.InRange(Tool.Number(probe.RootElement.GetProperty("format"), "duration"), 0.5, 4.5);
        }

        Assert.Equal(0, _pool.Outstanding);
    }

    private (StreamHub Hub, IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> Units) NewHub()
    {
        var units = Media.H264Units();
        var hub = new StreamHub("school-1/cam", pool: _pool);
        hub.SetTracks([Media.H264Track(units)]);
        return (hub, units);
    }

    private Recorder NewRecorder(StreamHub hub, int segmentSeconds) => new(
        hub,
        new RecorderOptions { RootPath = _archive.Path, School = "school-1", Camera = "cam", SegmentSeconds = segmentSeconds, IdleTimeout = TimeSpan.FromSeconds(1) },
        NullLogger.Instance);

    /// <summary>Publishes frames stamped as if received at 25 fps from <paramref name="start"/>, throttled to the recorder's pace.</summary>
    private static async Task PublishAsync(StreamHub hub, IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> units, int frames, int firstFrame, DateTimeOffset start, int timestampJumpAt)
    {
        await WaitUntilAsync(() => hub.SubscriberCount == 1, TimeSpan.FromSeconds(5));
        var subscription = hub.Subscriptions[0];
        var packetizer = new H264Packetizer(96, 42, 1000);
        var published = 0L;
        var nowWall = DateTimeOffset.UtcNow;
        var nowTicks = Stopwatch.GetTimestamp();
        for (var i = firstFrame; i < firstFrame + frames; i++)
        {
            var wall = start + TimeSpan.FromSeconds(i / (double)Fps);
            var receivedAt = nowTicks - (long)((nowWall - wall).TotalSeconds * Stopwatch.Frequency);
            var timestamp = (uint)(i * (90000 / Fps)) + (timestampJumpAt >= 0 && i >= timestampJumpAt ? 90000u * 100 : 0u);
            packetizer.Packetize(units[i % units.Count], timestamp, rtp =>
            {
                var packet = hub.Pool.Rent(rtp.Length);
                rtp.Span.CopyTo(packet.Buffer.Span);
                packet.Length = rtp.Length;
                packet.RtpTimestamp = timestamp;
                packet.ReceivedAt = receivedAt;
                RtpHeader.TryParse(rtp.Span, out var header);
                packet.IsKeyframeStart = KeyframeDetector.IsKeyframeStart("H264", RtpHeader.GetPayload(rtp.Span, header));
                hub.Publish(packet);
                packet.Release();
                published++;
            });

            // Keep the recorder's queue far from full: a drop would (rightly) end the segment.
            await WaitUntilAsync(() => published - subscription.DeliveredPackets < 500, TimeSpan.FromSeconds(10));
        }

        Assert.Equal(0, subscription.DroppedPackets);
    }

    private static int FirstKeyframe(IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> units)
    {
        for (var i = 0; i < units.Count; i++)
        {
            if (units[i].Any(n => (n.Span[0] & 0x1F) == H264.NalIdr))
            {
                return i;
            }
        }

        return -1;
    }

    private List<(string Event, string? Cause, string? Reason)> Journal() =>
        File.ReadAllLines(Path.Combine(_archive.Path, "school-1", "cam", RecordingEvents.JournalFileName))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (
                e.GetProperty("event").GetString()!,
                e.TryGetProperty("cause", out var c) ? c.GetString() : null,
                e.TryGetProperty("reason", out var r) ? r.GetString() : null))
            .ToList();

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, "condition not met in time");
            await Task.Delay(20);
        }
    }

    public void Dispose() => _archive.Dispose();
}
