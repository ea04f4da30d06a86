using System.Text.Json;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Recording;

/// <summary>Issue 6: the built gateway killed with SIGKILL mid-segment, then started again.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Recording")]
public sealed class CrashSafetyTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string GatewayDll = Path.Combine(AppContext.BaseDirectory, "StreamGateway.dll");
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-crash-").FullName;

    [Fact]
    public async Task After_kill_9_the_cut_segment_is_readable_up_to_the_last_second_and_a_restart_resumes_with_a_gateway_stopped_gap()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264")]);
        var archive = Path.Combine(_directory, "archive");
        var config = Path.Combine(_directory, "gateway.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Gateway = new
            {
                Rtsp = new { Port = 0, BindAddress = "127.0.0.1" },
                Http = new { Port = 0, BindAddress = "127.0.0.1" },
                Recording = new { Path = archive, SegmentSeconds = 60 },
                Schools = new Dictionary<string, object>
                {
                    ["school-1"] = new { Name = "Crash school", Cameras = new { cam = new { Source = camera.Url("cam"), Transport = "tcp" } } },
                },
            },
        }));

        DateTimeOffset killedAt;
        (DateTimeOffset At, string Event, string? Cause, string? File) cut;
        await using (var first = ProcessRunner.Start("dotnet", [GatewayDll, "run", "--config", config]))
        {
            // Kill at least 6 s into a segment, so "readable up to the last second" means something.
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => LatestStart(archive) is { } start && DateTimeOffset.UtcNow - start.At >= TimeSpan.FromSeconds(6),
                TimeSpan.FromSeconds(90),
                () => "no segment recorded: " + string.Join("\n", first.StandardError.TakeLast(15)));
            cut = LatestStart(archive)!.Value;
            killedAt = DateTimeOffset.UtcNow;
            first.Kill(); // SIGKILL: no segment end, no journal line
            await first.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var cutFile = Path.Combine(archive, "school-1", "cam", cut.File!);
        var elapsed = (killedAt - cut.At).TotalSeconds;
        var probe = await ArchiveFiles.ProbeAsync(cutFile);
        output.WriteLine($"killed {elapsed:0.000} s into {cut.File}; readable duration {probe.Duration:0.000} s ({probe.VideoFrames} frames), lost {elapsed - probe.Duration:0.000} s");
        Assert.True(probe.Duration >= elapsed - 1.5, $"only {probe.Duration:0.000} s readable of {elapsed:0.000} s");
        Assert.Equal(string.Empty, await ArchiveFiles.DecodeErrorsAsync(cutFile));

        await using (var second = ProcessRunner.Start("dotnet", [GatewayDll, "run", "--config", config]))
        {
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => LatestStart(archive) is { } start && start.At > killedAt && DateTimeOffset.UtcNow - start.At >= TimeSpan.FromSeconds(2),
                TimeSpan.FromSeconds(60),
                () => "recording did not resume: " + string.Join("\n", second.StandardError.TakeLast(15)));
            second.Kill();
            await second.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var journal = ArchiveFiles.Journal(archive, "school-1", "cam");
        var gapStart = journal.Last(e => e.Event == "gap-start");
        var gapEnd = journal.Last(e => e.Event == "gap-end");
        // The first segment after the restart: the latest may already be a later one when the
        // restart landed just before a wall-clock segment boundary (SegmentSeconds is aligned to the clock).
        var resumed = journal.First(e => e.Event == "segment-start" && e.At > killedAt);
        output.WriteLine($"journal gap: {gapStart.At:HH:mm:ss.fff} .. {gapEnd.At:HH:mm:ss.fff} ({(gapEnd.At - gapStart.At).TotalSeconds:0.000} s, cause {gapStart.Cause}); killed at {killedAt:HH:mm:ss.fff}, resumed at {resumed.At:HH:mm:ss.fff}");
        Assert.Equal("gateway-stopped", gapStart.Cause);
        Assert.Equal("gateway-stopped", gapEnd.Cause);
        Assert.InRange((killedAt - gapStart.At).TotalSeconds, -0.5, 2);
        Assert.Equal(resumed.At, gapEnd.At);
        await ArchiveFiles.ProbeAsync(Path.Combine(archive, "school-1", "cam", resumed.File!));
    }

    private static (DateTimeOffset At, string Event, string? Cause, string? File)? LatestStart(string archive)
    {
        try
        {
            var starts = ArchiveFiles.Journal(archive, "school-1", "cam").Where(e => e.Event == "segment-start").ToList();
            return starts.Count == 0 ? null : starts[^1];
        }
        catch (JsonException)
        {
            return null; // a line being written right now
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
