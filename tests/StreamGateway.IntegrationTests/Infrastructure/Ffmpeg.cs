using System.Globalization;
using System.Text.RegularExpressions;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>Frames ffmpeg decoded. ExitCode is null when ffmpeg had to be killed at the timeout.</summary>
internal sealed record FrameCounts(int VideoFrames, int AudioFrames, int? ExitCode, TimeSpan Elapsed);

/// <summary>ffmpeg as an RTSP player that decodes everything and shows nothing (-f null).</summary>
internal static partial class Ffmpeg
{
    /// <summary>
    /// Decodes <paramref name="seconds"/> of media (by timestamps, so connection time does not count) and
    /// returns the frames decoded per media type, from ffmpeg's verbose end-of-run summary. Throws
    /// <see cref="ToolFailedException"/> if ffmpeg never got as far as decoding (connect, auth, SDP failures).
    /// </summary>
    public static async Task<FrameCounts> CountFramesAsync(string url, string transport, double seconds, TimeSpan timeout)
    {
        string[] arguments =
        [
            "-nostdin", "-hide_banner", "-v", "verbose",
            "-rtsp_transport", Transports.Validate(transport), "-timeout", Transports.SocketTimeoutMicroseconds(timeout),
            "-i", url,
            "-t", seconds.ToString("0.###", CultureInfo.InvariantCulture), "-map", "0", "-f", "null", "-",
        ];
        var result = await ProcessRunner.RunAsync(Tools.Ffmpeg, arguments, timeout, secrets: Transports.SecretsIn(url));

        int video = 0, audio = 0, seen = 0;
        foreach (var line in result.StandardError)
        {
            var match = DecodedSummary().Match(line);
            if (!match.Success)
            {
                continue;
            }

            seen++;
            var frames = int.Parse(match.Groups["frames"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
            switch (match.Groups["type"].Value)
            {
                case "video":
                    video += frames;
                    break;
                case "audio":
                    audio += frames;
                    break;
            }
        }

        if (seen == 0)
        {
            throw new ToolFailedException("ffmpeg", url, result);
        }

        return new FrameCounts(video, audio, result.ExitCode, result.Elapsed);
    }

    /// <summary>
    /// Wall time from starting ffmpeg until it has decoded one video frame and exited: connection, RTSP
    /// handshake and the wait for a keyframe. Process start-up is in it too, equally for every URL compared.
    /// </summary>
    public static async Task<TimeSpan> TimeToFirstFrameAsync(string url, string transport, TimeSpan timeout)
    {
        string[] arguments =
        [
            "-nostdin", "-hide_banner", "-v", "error",
            "-rtsp_transport", Transports.Validate(transport), "-timeout", Transports.SocketTimeoutMicroseconds(timeout),
            "-i", url,
            "-map", "0:v:0", "-frames:v", "1", "-f", "null", "-",
        ];
        var result = await ProcessRunner.RunAsync(Tools.Ffmpeg, arguments, timeout, secrets: Transports.SecretsIn(url));
        return result.Succeeded ? result.Elapsed : throw new ToolFailedException("ffmpeg", url, result);
    }

    // "  Input stream #0:1 (audio): 49 packets read (12544 bytes); 49 frames decoded (50176 samples); "
    [GeneratedRegex(@"^\s*Input stream #\d+:\d+ \((?<type>\w+)\): \d+ packets read \(\d+ bytes\); (?<frames>\d+) frames decoded")]
    private static partial Regex DecodedSummary();
}
