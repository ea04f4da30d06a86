using System.Globalization;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>What VLC recorded: the file, its size, its streams and the video frames ffprobe decodes in it.</summary>
internal sealed record VlcRecording(string File, long Bytes, IReadOnlyList<ProbedStream> Streams, int VideoFrames, ProcessResult Process);

/// <summary>
/// VLC as an RTSP client, headless, remuxing to an MPEG-TS file. Two obstacles on Debian 12:
/// VLC refuses to run as root (we drop to nobody with setpriv), and Debian builds VLC with
/// --disable-live555, so it has no RTSP client at all: then <see cref="IsAvailable"/> is false and
/// <see cref="UnavailableReason"/> says why. A VLC with the live555 access module is used as is.
/// </summary>
internal static class Vlc
{
    private static readonly Lazy<string?> Unavailable = new(FindProblem);

    public static bool IsAvailable => Unavailable.Value is null;

    public static string? UnavailableReason => Unavailable.Value;

    public static async Task<VlcRecording> RecordAsync(string url, double seconds, string outputFile, TimeSpan timeout, bool rtspTcp = true)
    {
        if (Unavailable.Value is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        // VLC runs as nobody when we are root, so it writes into a scratch folder anyone may write.
        var scratch = Directory.CreateTempSubdirectory("sg-vlc-");
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(scratch.FullName, (UnixFileMode)0x1FF); // rwxrwxrwx
            }

            var recorded = Path.Combine(scratch.FullName, "out.ts");
            var vlc = new List<string>
            {
                "-I", "dummy", "--no-video-title-show", "--no-audio-display", "--quiet",
                url,
                "--sout", $"#std{{access=file,mux=ts,dst={recorded}}}", "--sout-all",
                "--run-time", seconds.ToString("0.###", CultureInfo.InvariantCulture),
                "vlc://quit",
            };
            if (rtspTcp)
            {
                vlc.Insert(0, "--rtsp-tcp");
            }

            var (fileName, arguments) = AsUnprivileged(Tools.Require("vlc"), vlc, scratch.FullName);
            var result = await ProcessRunner.RunAsync(fileName, arguments, timeout, Transports.SecretsIn(url));
            if (result.TimedOut || !File.Exists(recorded) || new FileInfo(recorded).Length == 0)
            {
                throw new ToolFailedException("vlc", url, result);
            }

            File.Copy(recorded, outputFile, overwrite: true);
            var (streams, frames) = await Ffprobe.ProbeFileAsync(outputFile, timeout);
            return new VlcRecording(outputFile, new FileInfo(outputFile).Length, streams, frames, result);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static (string FileName, IReadOnlyList<string> Arguments) AsUnprivileged(string vlc, IReadOnlyList<string> arguments, string home)
    {
        if (Environment.UserName != "root")
        {
            return (vlc, arguments);
        }

        // "VLC is not supposed to be run as root": run it as nobody (vlc-wrapper cannot pick a user here).
        return (Tools.Require("setpriv"), ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", $"HOME={home}", vlc, .. arguments]);
    }

    private static string? FindProblem()
    {
        if (Tools.Find("vlc") is null)
        {
            return "vlc is not installed. " + Tools.InstallHint;
        }

        if (Environment.UserName == "root" && Tools.Find("setpriv") is null)
        {
            return "vlc refuses to run as root and setpriv (util-linux) is missing to drop to nobody";
        }

        string[] pluginRoots = ["/usr/lib/x86_64-linux-gnu/vlc/plugins", "/usr/lib/aarch64-linux-gnu/vlc/plugins", "/usr/lib/vlc/plugins", "/usr/local/lib/vlc/plugins"];
        var hasRtsp = pluginRoots.Any(root => File.Exists(Path.Combine(root, "access", "liblive555_plugin.so")));
        return hasRtsp
            ? null
            : "this VLC has no RTSP client: Debian 12 builds VLC with --disable-live555 (no liblive555_plugin.so), so VLC cannot open rtsp:// URLs here";
    }
}
