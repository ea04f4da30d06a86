using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>What tests/fixtures/gst_viewer.py decoded. Codec names are GStreamer's ("H.264", "MPEG-4 AAC").</summary>
internal sealed record GstViewerResult
{
    [JsonPropertyName("video_frames")]
    public int VideoFrames { get; init; }

    [JsonPropertyName("audio_buffers")]
    public int AudioBuffers { get; init; }

    [JsonPropertyName("video_caps")]
    public string? VideoCaps { get; init; }

    [JsonPropertyName("audio_caps")]
    public string? AudioCaps { get; init; }

    [JsonPropertyName("video_codec")]
    public string? VideoCodec { get; init; }

    [JsonPropertyName("audio_codec")]
    public string? AudioCodec { get; init; }

    /// <summary>The RTP encoding name from the SDP (H264, H265, MPEG4-GENERIC, PCMA, PCMU).</summary>
    [JsonPropertyName("video_encoding")]
    public string? VideoEncoding { get; init; }

    [JsonPropertyName("audio_encoding")]
    public string? AudioEncoding { get; init; }

    [JsonPropertyName("errors")]
    public IReadOnlyList<string> Errors { get; init; } = [];

    [JsonPropertyName("elapsed")]
    public double ElapsedSeconds { get; init; }
}

/// <summary>GStreamer's rtspsrc as a player: rtspsrc ! decodebin ! fakesink per track, counting decoded buffers.</summary>
internal static class GstViewer
{
    /// <summary>
    /// Plays <paramref name="url"/> with rtspsrc protocols=<paramref name="protocols"/> ("tcp" or "udp") and counts
    /// for <paramref name="seconds"/> after the first decoded buffer. GStreamer errors come back in
    /// <see cref="GstViewerResult.Errors"/>; only a viewer that produced no result throws.
    /// </summary>
    public static async Task<GstViewerResult> RunAsync(string url, string protocols, double seconds, TimeSpan timeout, string? user = null, string? password = null)
    {
        var connectTimeout = Math.Clamp(timeout.TotalSeconds - seconds - 5, 3, 20);
        var arguments = new List<string>
        {
            Tools.Fixture("gst_viewer.py"),
            "--url", url,
            "--protocols", Transports.Validate(protocols),
            "--seconds", seconds.ToString("0.###", CultureInfo.InvariantCulture),
            "--connect-timeout", connectTimeout.ToString("0.###", CultureInfo.InvariantCulture),
        };
        var environment = new Dictionary<string, string>();
        if (user is not null)
        {
            arguments.AddRange(["--user", user]);
            environment["VIEWER_PASSWORD"] = password ?? "";
        }

        var secrets = Transports.SecretsIn(url).Concat(password is null ? [] : [password]);
        var result = await ProcessRunner.RunAsync(Tools.Python, arguments, timeout, secrets, environment);
        var json = result.StandardOutput.LastOrDefault(l => l.StartsWith('{'));
        if (json is null)
        {
            throw new ToolFailedException("gst_viewer.py", url, result);
        }

        return JsonSerializer.Deserialize<GstViewerResult>(json) ?? throw new ToolFailedException("gst_viewer.py", url, result);
    }
}
