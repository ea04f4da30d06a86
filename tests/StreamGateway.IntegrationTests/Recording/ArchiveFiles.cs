using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Recording;

/// <summary>Reads a recording archive the way an operator's script would: the layout, ffprobe, ffmpeg and the journal.</summary>
internal static partial class ArchiveFiles
{
    /// <summary>Every segment of one camera, oldest first; asserts each path has the final layout.</summary>
    public static List<string> Segments(string root, string school, string camera)
    {
        var directory = Path.Combine(root, school, camera);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var files = Directory.GetFiles(directory, "*.mp4", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            Assert.Matches(Layout(), relative);
            Assert.StartsWith($"{school}/{camera}/", relative, StringComparison.Ordinal);
        }

        return files;
    }

    /// <summary>UTC start second coded in a segment's path.</summary>
    public static DateTime StartOf(string file) => DateTime.ParseExact(
        Path.GetFileName(Path.GetDirectoryName(file)) + " " + Path.GetFileNameWithoutExtension(file),
        "yyyy-MM-dd HH-mm-ss",
        CultureInfo.InvariantCulture,
        DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>ffprobe's format duration and codec names; fails the test on any ffprobe error.</summary>
    public static async Task<(double Duration, string[] Codecs, int VideoFrames)> ProbeAsync(string file)
    {
        var result = await ProcessRunner.RunAsync(
            Tools.Ffprobe,
            ["-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", file],
            TimeSpan.FromSeconds(60));
        Assert.True(result.Succeeded, $"ffprobe failed on {file}: {result.ErrorText}");
        Assert.True(string.IsNullOrWhiteSpace(result.ErrorText), $"ffprobe errors on {file}: {result.ErrorText}");
        using var json = JsonDocument.Parse(result.OutputText);
        var streams = json.RootElement.GetProperty("streams").EnumerateArray().ToList();
        var video = streams.First(s => s.GetProperty("codec_type").GetString() == "video");
        var frames = int.Parse(video.GetProperty("nb_read_frames").GetString()!, CultureInfo.InvariantCulture);
        var duration = double.Parse(json.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
        return (duration, streams.Select(s => s.GetProperty("codec_name").GetString()!).ToArray(), frames);
    }

    /// <summary>What <c>ffmpeg -v error -i file -f null -</c> prints (empty when the file decodes cleanly).</summary>
    public static async Task<string> DecodeErrorsAsync(string file)
    {
        var result = await ProcessRunner.RunAsync(Tools.Ffmpeg, ["-v", "error", "-i", file, "-f", "null", "-"], TimeSpan.FromSeconds(120));
        return result.Succeeded ? result.ErrorText.Trim() : $"exit {result.ExitCode}: {result.ErrorText}";
    }

    /// <summary>The camera's journal lines as (at, event, cause, file).</summary>
    public static List<(DateTimeOffset At, string Event, string? Cause, string? File)> Journal(string root, string school, string camera)
    {
        var path = Path.Combine(root, school, camera, "recording-events.jsonl");
        if (!File.Exists(path))
        {
            return [];
        }

        var events = new List<(DateTimeOffset, string, string?, string?)>();
        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0))
        {
            using var json = JsonDocument.Parse(line);
            var root2 = json.RootElement;
            events.Add((
                DateTimeOffset.Parse(root2.GetProperty("at").GetString()!, CultureInfo.InvariantCulture),
                root2.GetProperty("event").GetString()!,
                root2.TryGetProperty("cause", out var cause) ? cause.GetString() : null,
                root2.TryGetProperty("file", out var file) ? file.GetString() : null));
        }

        return events;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+/\d{4}-\d{2}-\d{2}/\d{2}-\d{2}-\d{2}\.mp4$")]
    private static partial Regex Layout();
}
