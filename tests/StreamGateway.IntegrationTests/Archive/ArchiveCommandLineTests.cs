using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using StreamGateway.IntegrationTests.Infrastructure;
using static StreamGateway.IntegrationTests.Archive.SyntheticArchive;

namespace StreamGateway.IntegrationTests.Archive;

/// <summary><c>compliance</c> and <c>export</c> as an operator runs them: the built StreamGateway.dll in its own process.</summary>
public sealed class ArchiveCommandLineTests(SyntheticArchive archive) : IClassFixture<SyntheticArchive>
{
    private static readonly string GatewayDll = Path.Combine(AppContext.BaseDirectory, "StreamGateway.dll");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [GatewayDll, .. args], Timeout);

    private Task<ProcessResult> ComplianceAsync(string format) =>
        RunAsync("compliance", "--config", archive.ConfigPath, "--format", format, "--days", "1", "--at", Iso(T0.AddSeconds(80)));

    [Fact]
    public async Task The_table_names_every_camera_its_class_and_the_gap_with_its_cause()
    {
        var result = await ComplianceAsync("table");

        Assert.True(result.Succeeded, result.ErrorTail());
        var text = result.OutputText;
        Assert.Matches(@"school-1\s+cam-a\s+short", text);
        Assert.Matches(@"school-1\s+cam-b\s+short", text);
        Assert.Matches(@"school-2\s+cam-c\s+none", text);
        Assert.Contains("school-1/cam-a  2026-11-27 16:05:30 .. 2026-11-27 16:05:50", text, StringComparison.Ordinal);
        Assert.Contains("camera-offline (journal)", text, StringComparison.Ordinal);
        Assert.Matches(@"region\s+2 schools:\s+0 compliant,\s+1 short,\s+1 none", text);
    }

    [Fact]
    public async Task The_csv_has_a_header_and_one_row_per_camera()
    {
        var result = await ComplianceAsync("csv");

        Assert.True(result.Succeeded, result.ErrorTail());
        var lines = result.StandardOutput.Where(l => l.Length > 0).ToList();
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("district,school,camera,class", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("South,school-2,cam-c,none,1,", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_json_has_the_gap_from_the_journal_and_the_measured_depth()
    {
        var result = await ComplianceAsync("json");

        Assert.True(result.Succeeded, result.ErrorTail());
        using var json = JsonDocument.Parse(result.OutputText);
        var region = json.RootElement.GetProperty("region");
        Assert.Equal((2, 0, 1, 1), (region.GetProperty("schools").GetInt32(), region.GetProperty("compliant").GetInt32(), region.GetProperty("short").GetInt32(), region.GetProperty("none").GetInt32()));
        var camA = json.RootElement.GetProperty("schools")[0].GetProperty("cameras")[0];
        Assert.Equal("cam-a", camA.GetProperty("camera").GetString());
        Assert.Equal(T0, camA.GetProperty("oldestSegment").GetDateTimeOffset());
        Assert.Equal(1, camA.GetProperty("malformedJournalLines").GetInt32());
        var gap = camA.GetProperty("gaps").EnumerateArray().Single(g => g.GetProperty("from").GetDateTimeOffset() == T0.AddSeconds(30));
        Assert.Equal(T0.AddSeconds(50), gap.GetProperty("to").GetDateTimeOffset());
        Assert.Equal(20.0, gap.GetProperty("seconds").GetDouble(), 1);
        Assert.Equal("camera-offline", gap.GetProperty("cause").GetString());
    }

    [Fact]
    public async Task The_html_is_one_printable_page_with_a_coverage_bar_per_camera()
    {
        var output = Path.Combine(archive.Directory, $"report-{Guid.NewGuid():N}.html");
        var result = await RunAsync("compliance", "--config", archive.ConfigPath, "--format", "html", "--days", "1", "--at", Iso(T0.AddSeconds(80)), "-o", output);

        Assert.True(result.Succeeded, result.ErrorTail());
        var html = await File.ReadAllTextAsync(output);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Equal(3, html.Split("class=\"bar\"").Length - 1);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("0 compliant, 1 short, 1 none of 2 schools", result.OutputText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format", "pdf")]
    [InlineData("--days", "zero")]
    [InlineData("--at", "yesterday-ish")]
    public async Task A_bad_option_is_a_usage_error(string option, string value)
    {
        var result = await RunAsync("compliance", "--config", archive.ConfigPath, option, value);

        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Export_cuts_one_playable_clip_by_stream_copy_with_a_sidecar_that_matches_and_reports_the_gap()
    {
        var clip = Path.Combine(archive.Directory, $"clip-{Guid.NewGuid():N}.mp4");
        // [T0+12, T0+63): 18 s before the hole, the 20 s hole, 13 s after it = 31 s of video.
        var result = await RunAsync("export", "--config", archive.ConfigPath, "--school", "school-1", "--camera", "cam-a",
            "--from", Iso(T0.AddSeconds(12)), "--to", Iso(T0.AddSeconds(63)), "-o", clip);

        Assert.True(result.Succeeded, result.ErrorTail() + "\n" + result.OutputText);
        var probe = await ProcessRunner.RunAsync("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "json", clip], TimeSpan.FromSeconds(30));
        Assert.True(probe.Succeeded, probe.ErrorTail());
        Assert.Empty(probe.StandardError);
        using var probed = JsonDocument.Parse(probe.OutputText);
        var duration = double.Parse(probed.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(31.0, duration, 0.5);
        Assert.Equal("h264", probed.RootElement.GetProperty("streams")[0].GetProperty("codec_name").GetString());

        using var sidecar = JsonDocument.Parse(await File.ReadAllTextAsync(clip + ".sha256.json"));
        var root = sidecar.RootElement;
        await using (var stream = File.OpenRead(clip))
        {
            Assert.Equal(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)), root.GetProperty("clipSha256").GetString());
        }

        var segments = root.GetProperty("segments").EnumerateArray().ToList();
        Assert.Equal(7, segments.Count); // 10-15 .. 25-30 and 50-55 .. 60-65
        foreach (var segment in segments)
        {
            await using var stream = File.OpenRead(segment.GetProperty("path").GetString()!);
            Assert.Equal(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)), segment.GetProperty("sha256").GetString());
        }

        var gap = Assert.Single(root.GetProperty("gaps").EnumerateArray());
        Assert.Equal(T0.AddSeconds(30), gap.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(T0.AddSeconds(50), gap.GetProperty("to").GetDateTimeOffset());
        Assert.Equal(T0.AddSeconds(12), root.GetProperty("requestedFrom").GetDateTimeOffset());
        Assert.Equal(T0.AddSeconds(63), root.GetProperty("requestedTo").GetDateTimeOffset());
        Assert.True(root.GetProperty("exportedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Contains(result.StandardOutput, l => l.StartsWith("GAP 2026-11-27T16:05:30", StringComparison.Ordinal) && l.Contains("camera-offline", StringComparison.Ordinal));
        Assert.Contains(result.StandardError, l => l.StartsWith("progress 100%", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Export_of_a_range_without_footage_fails_with_a_reason_and_writes_nothing()
    {
        var clip = Path.Combine(archive.Directory, $"empty-{Guid.NewGuid():N}.mp4");
        var result = await RunAsync("export", "--config", archive.ConfigPath, "--school", "school-2", "--camera", "cam-c",
            "--from", Iso(T0), "--to", Iso(T0.AddSeconds(60)), "-o", clip);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("no footage for school-2/cam-c", result.ErrorText, StringComparison.Ordinal);
        Assert.False(File.Exists(clip));
    }
}
