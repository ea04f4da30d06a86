using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace StreamGateway.Recording.Tests.Support;

/// <summary>Runs ffmpeg/ffprobe with a bounded time; output captured.</summary>
internal static class Tool
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string file, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in time");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>ffprobe's streams and format with frame counts (JSON).</summary>
    public static async Task<JsonDocument> ProbeAsync(string path)
    {
        var (code, output, error) = await RunAsync("ffprobe", ["-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", path]);
        Assert.True(code == 0, $"ffprobe failed on {path}: {error}");
        Assert.True(error.Trim().Length == 0, $"ffprobe reported errors on {path}: {error}");
        return JsonDocument.Parse(output);
    }

    /// <summary>Packet pts (seconds) per stream index, in file order.</summary>
    public static async Task<Dictionary<int, List<double>>> PacketTimesAsync(string path)
    {
        var (code, output, error) = await RunAsync("ffprobe", ["-v", "error", "-show_entries", "packet=stream_index,pts_time", "-of", "csv=p=0", path]);
        Assert.True(code == 0, $"ffprobe -show_packets failed: {error}");
        var result = new Dictionary<int, List<double>>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(',');
            var index = int.Parse(parts[0], CultureInfo.InvariantCulture);
            var pts = double.Parse(parts[1], CultureInfo.InvariantCulture);
            (result.TryGetValue(index, out var list) ? list : result[index] = []).Add(pts);
        }

        return result;
    }

    /// <summary>Decodes the whole file with ffmpeg; returns whatever ffmpeg printed at level error.</summary>
    public static async Task<string> DecodeErrorsAsync(string path)
    {
        var (code, _, error) = await RunAsync("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"], TimeSpan.FromSeconds(120));
        return code == 0 ? error.Trim() : $"exit {code}: {error}";
    }

    public static double Number(JsonElement element, string name) =>
        double.Parse(element.GetProperty(name).ValueKind == JsonValueKind.String ? element.GetProperty(name).GetString()! : element.GetProperty(name).GetRawText(), CultureInfo.InvariantCulture);
}
