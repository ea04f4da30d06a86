using System.Diagnostics;
using System.Globalization;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>
/// ffmpeg playing an RTSP URL over TCP, decoding video and writing one framemd5 line per decoded frame to
/// stdout (flushed per frame), which we timestamp on arrival: when each frame was decoded, on the
/// test's clock. Runs until disposed; its socket timeout is long so a quiet gap does not end it.
/// </summary>
internal sealed class FfmpegFrameViewer : IAsyncDisposable
{
    private readonly List<TimeSpan> _frames = [];
    private readonly Stopwatch _clock;
    private ProcessRunner _process = null!;

    private FfmpegFrameViewer(Stopwatch clock) => _clock = clock;

    /// <summary>True once ffmpeg has ended (by itself, until we dispose it).</summary>
    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> StandardError => _process.StandardError;

    public IReadOnlyList<TimeSpan> FrameTimes
    {
        get
        {
            lock (_frames)
            {
                return [.. _frames];
            }
        }
    }

    public static FfmpegFrameViewer Start(string url, Stopwatch clock, TimeSpan socketTimeout)
    {
        var viewer = new FfmpegFrameViewer(clock);
        string[] arguments =
        [
            "-nostdin", "-hide_banner", "-v", "info",
            "-rtsp_transport", "tcp", "-timeout", ((long)socketTimeout.TotalMicroseconds).ToString(CultureInfo.InvariantCulture),
            "-i", url,
            "-map", "0:v:0", "-f", "framemd5", "-flush_packets", "1", "-",
        ];
        viewer._process = ProcessRunner.Start(Tools.Ffmpeg, arguments, viewer.OnLine, secrets: Transports.SecretsIn(url));
        return viewer;
    }

    /// <summary>Waits (bounded) for a frame decoded after <paramref name="after"/>; returns when it was, or null.</summary>
    public async Task<TimeSpan?> WaitForFrameAfterAsync(TimeSpan after, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (true)
        {
            lock (_frames)
            {
                var index = _frames.FindIndex(t => t > after);
                if (index >= 0)
                {
                    return _frames[index];
                }
            }

            if (_process.HasExited)
            {
                return null;
            }

            try
            {
                await timer.WaitForNextTickAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    private void OnLine(string line)
    {
        // "0,        0,        0,        1,   115200, 5f2b...": one decoded video frame.
        if (line.StartsWith("0,", StringComparison.Ordinal))
        {
            lock (_frames)
            {
                _frames.Add(_clock.Elapsed);
            }
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>Bounded polling for fault tests that need the time a condition became true, not an assertion.</summary>
internal static class Poll
{
    /// <summary>Checks every 20 ms; returns the clock time the condition held, or null after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan?> UntilAsync(Func<bool> condition, Stopwatch clock, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            try
            {
                await timer.WaitForNextTickAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return clock.Elapsed;
    }
}
