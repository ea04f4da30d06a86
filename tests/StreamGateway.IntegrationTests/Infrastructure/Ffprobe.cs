using System.Globalization;
using System.Text.Json;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>One stream as ffprobe reports it (codec_name is ffmpeg's: h264, hevc, aac, pcm_alaw, pcm_mulaw).</summary>
internal sealed record ProbedStream(int Index, string CodecType, string CodecName, int? Width, int? Height, int? SampleRate, int? Channels, string? Profile);

/// <summary>The outcome of a probe that is allowed to fail (e.g. checking that auth is enforced).</summary>
internal sealed record ProbeResult(bool Success, IReadOnlyList<ProbedStream> Streams, ProcessResult Process);

/// <summary>ffprobe as an RTSP client: DESCRIBE, SETUP, PLAY, read until every stream's parameters are known.</summary>
internal static class Ffprobe
{
    /// <summary>The streams of <paramref name="url"/> read over <paramref name="transport"/> ("tcp" or "udp"); throws <see cref="ToolFailedException"/> if ffprobe fails.</summary>
    public static async Task<IReadOnlyList<ProbedStream>> ProbeAsync(string url, string transport, TimeSpan timeout)
    {
        var result = await TryProbeAsync(url, transport, timeout);
        return result.Success ? result.Streams : throw new ToolFailedException("ffprobe", url, result.Process);
    }

    /// <summary>Like <see cref="ProbeAsync"/> but a failure is a value.</summary>
    public static async Task<ProbeResult> TryProbeAsync(string url, string transport, TimeSpan timeout)
    {
        string[] arguments =
        [
            "-v", "error", "-rtsp_transport", Transports.Validate(transport),
            "-timeout", Transports.SocketTimeoutMicroseconds(timeout),
            "-show_streams", "-of", "json", url,
        ];
        var result = await ProcessRunner.RunAsync(Tools.Ffprobe, arguments, timeout, secrets: Transports.SecretsIn(url));
        var streams = result.Succeeded ? Parse(result.OutputText) : [];
        return new ProbeResult(result.Succeeded && streams.Count > 0, streams, result);
    }

    /// <summary>The streams of a media file, with the number of video frames ffprobe decodes in it.</summary>
    public static async Task<(IReadOnlyList<ProbedStream> Streams, int VideoFrames)> ProbeFileAsync(string path, TimeSpan timeout)
    {
        var streams = await ProcessRunner.RunAsync(Tools.Ffprobe, ["-v", "error", "-show_streams", "-of", "json", path], timeout);
        if (!streams.Succeeded)
        {
            throw new ToolFailedException("ffprobe", path, streams);
        }

        var count = await ProcessRunner.RunAsync(
            Tools.Ffprobe,
            ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
            timeout);
        var frames = count.Succeeded && int.TryParse(count.OutputText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return (Parse(streams.OutputText), frames);
    }

    internal static IReadOnlyList<ProbedStream> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("streams", out var streams))
        {
            return [];
        }

        return streams.EnumerateArray().Select(s => new ProbedStream(
            Int(s, "index") ?? -1,
            Text(s, "codec_type") ?? "",
            Text(s, "codec_name") ?? "",
            Int(s, "width"),
            Int(s, "height"),
            Int(s, "sample_rate"),
            Int(s, "channels"),
            Text(s, "profile"))).ToList();
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    // ffprobe writes some numbers as strings ("sample_rate": "16000").
    private static int? Int(JsonElement element, string name) =>
        int.TryParse(Text(element, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>Helpers shared by the ffmpeg-family wrappers.</summary>
internal static class Transports
{
    public static string Validate(string transport) => transport is "tcp" or "udp"
        ? transport
        : throw new ArgumentException($"transport must be 'tcp' or 'udp', not '{transport}'", nameof(transport));

    /// <summary>ffmpeg's RTSP socket timeout: below the process timeout so ffmpeg reports the stall itself.</summary>
    public static string SocketTimeoutMicroseconds(TimeSpan processTimeout)
    {
        var seconds = Math.Clamp(processTimeout.TotalSeconds - 2, 1, 10);
        return ((long)(seconds * 1_000_000)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The password in a URL's user info, so the runner can scrub it from output.</summary>
    public static IEnumerable<string> SecretsIn(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            var password = uri.UserInfo[(uri.UserInfo.IndexOf(':', StringComparison.Ordinal) + 1)..];
            return [password, Uri.UnescapeDataString(password)];
        }

        return [];
    }
}
