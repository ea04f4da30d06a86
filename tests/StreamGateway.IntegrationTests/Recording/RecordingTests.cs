using System.Diagnostics;
using StreamGateway.IntegrationTests.Faults;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Recording;

/// <summary>Issue 6: real cameras recorded through a real gateway into the final archive layout.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Recording")]
public sealed class RecordingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _archive = Directory.CreateTempSubdirectory("sg-rec-it-").FullName;

    public static TheoryData<string, string[]> Kinds => new()
    {
        // camera kind, codecs ffprobe must find in every segment
        { "h264+aac", ["h264", "aac"] },
        { "h265", ["hevc"] },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_camera_recorded_for_12_s_in_5_s_segments_gives_aligned_segment_files_that_ffprobe_and_ffmpeg_read_with_the_wall_time(string kind, string[] codecs)
    {
        await using var camera = await CameraServer.StartAsync([("cam", kind)]);
        var gateway = await StartRecordingGatewayAsync(camera.Url("cam"), segmentSeconds: 5);
        DateTimeOffset stoppedAt;
        try
        {
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => gateway.Host.GetRecordingStatus().Any(s => s.SegmentsWritten >= 1),
                TimeSpan.FromSeconds(20),
                () => "no segment started: " + string.Join("; ", gateway.Host.GetRecordingStatus()));
            var recording = Stopwatch.StartNew();
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => recording.Elapsed >= TimeSpan.FromSeconds(12),
                TimeSpan.FromSeconds(20));
            var status = gateway.Host.GetRecordingStatus().Single();
            output.WriteLine($"status: {status}");
            Assert.Equal("Recording", status.State);
            Assert.True(status.BitrateBytesPerSecond > 0, "bitrate not measured");
        }
        finally
        {
            stoppedAt = DateTimeOffset.UtcNow;
            await gateway.DisposeAsync();
        }

        var segments = ArchiveFiles.Segments(_archive, "school-1", "cam");
        Assert.True(segments.Count >= 3, $"expected at least 3 segments of 5 s in 12 s, found {segments.Count}");
        var journal = ArchiveFiles.Journal(_archive, "school-1", "cam");
        var firstStart = journal.First(e => e.Event == "segment-start").At;
        var total = 0.0;
        foreach (var (segment, index) in segments.Select((s, i) => (s, i)))
        {
            var probe = await ArchiveFiles.ProbeAsync(segment);
            output.WriteLine($"{Path.GetRelativePath(_archive, segment)}: {probe.Duration:0.000} s, {probe.VideoFrames} frames, {string.Join(",", probe.Codecs)}");
            Assert.Equal(codecs.Order(), probe.Codecs.Order());
            Assert.Equal(string.Empty, await ArchiveFiles.DecodeErrorsAsync(segment));
            Assert.True(probe.VideoFrames > 0);
            total += probe.Duration;
            if (index > 0 && index < segments.Count - 1)
            {
                // Whole segments start at the first keyframe (GOP 1 s) after a multiple of 5 s in UTC.
                var start = ArchiveFiles.StartOf(segment);
                Assert.True(start.Second % 5 <= 1, $"{segment} does not start at a 5 s boundary");
                Assert.InRange(TimeSpan.FromSeconds(probe.Duration), TimeSpan.FromSeconds(3.5), TimeSpan.FromSeconds(6.5));
            }
        }

        var wall = (stoppedAt - firstStart).TotalSeconds;
        output.WriteLine($"recorded {total:0.000} s over {wall:0.000} s of wall time ({100 * (total - wall) / wall:+0.0;-0.0} %)");
        Assert.InRange(total, wall * 0.95, wall * 1.05);
    }

    [Fact]
    public async Task A_camera_that_restarts_gets_a_new_segment_and_a_camera_offline_gap_in_the_journal()
    {
        var clock = Stopwatch.StartNew();
        await using var camera = await KillableCamera.StartAsync("cam", "h264", clock);
        var gateway = await StartRecordingGatewayAsync(camera.Url, segmentSeconds: 3600);
        try
        {
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => gateway.Host.GetRecordingStatus().Any(s => s.State == "Recording"),
                TimeSpan.FromSeconds(20));
            await camera.KillAsync();
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => gateway.Host.GetRecordingStatus().Single().State == "CameraOffline",
                TimeSpan.FromSeconds(10));
            await camera.RestartAsync();
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => gateway.Host.GetRecordingStatus().Single() is { State: "Recording", SegmentsWritten: >= 2 },
                TimeSpan.FromSeconds(30),
                () => "recording did not resume: " + gateway.Host.GetRecordingStatus().Single());
        }
        finally
        {
            await gateway.DisposeAsync();
        }

        var segments = ArchiveFiles.Segments(_archive, "school-1", "cam");
        Assert.True(segments.Count >= 2, $"expected a new segment after the camera restart, found {segments.Count}");
        foreach (var segment in segments)
        {
            await ArchiveFiles.ProbeAsync(segment);
        }

        var journal = ArchiveFiles.Journal(_archive, "school-1", "cam");
        Assert.Contains(journal, e => e.Event == "gap-start" && e.Cause == "camera-offline");
        var gapStart = journal.First(e => e.Event == "gap-start" && e.Cause == "camera-offline");
        Assert.Contains(journal, e => e.Event == "gap-end" && e.Cause == "camera-offline" && e.At > gapStart.At);
    }

    private async Task<GatewayUnderTest> StartRecordingGatewayAsync(string source, int segmentSeconds) =>
        await GatewayUnderTest.StartAsync(
            [("school-1/cam", source, "tcp")],
            new Dictionary<string, string?>
            {
                ["Gateway:Recording:Enabled"] = "true",
                ["Gateway:Recording:Path"] = _archive,
                ["Gateway:Recording:SegmentSeconds"] = segmentSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("SG_KEEP_ARCHIVE") is null)
        {
            Directory.Delete(_archive, recursive: true);
        }
    }
}
