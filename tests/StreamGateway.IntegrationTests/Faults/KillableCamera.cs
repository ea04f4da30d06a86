using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>
/// The GStreamer camera (tests/fixtures/rtsp_camera.py) on a FIXED port, so it can be killed like a crashed
/// camera and started again where the gateway expects it. <see cref="ReadyAt"/> is when the last start's
/// READY line arrived, on the test's clock.
/// </summary>
internal sealed class KillableCamera : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _mount;
    private readonly string _kind;
    private readonly Stopwatch _clock;
    private ProcessRunner? _process;

    private KillableCamera(int port, string mount, string kind, Stopwatch clock)
    {
        Port = port;
        _mount = mount;
        _kind = kind;
        _clock = clock;
    }

    public int Port { get; }

    public TimeSpan? ReadyAt { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    public string Url => $"rtsp://127.0.0.1:{Port}/{_mount}";

    /// <summary>The camera's stderr of the current run (GStreamer warnings, tracebacks).</summary>
    public IReadOnlyList<string> Errors => _process?.StandardError ?? [];

    /// <summary>Starts on a free port picked now; the same port is used by every <see cref="RestartAsync"/>.</summary>
    public static async Task<KillableCamera> StartAsync(string mount, string kind, Stopwatch clock)
    {
        var camera = new KillableCamera(FreePorts.Tcp(), mount, kind, clock);
        try
        {
            await camera.RestartAsync();
        }
        catch
        {
            await camera.DisposeAsync();
            throw;
        }

        return camera;
    }

    /// <summary>Kills the process tree at once (SIGKILL): no TEARDOWN, the kernel closes its sockets.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }

        _process.Kill();
        await _process.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>Starts the camera process on <see cref="Port"/> and waits for its READY line.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the camera is running");
        }

        var ready = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = ProcessRunner.Start(
            Tools.Python,
            [Tools.Fixture("rtsp_camera.py"), "--port", Port.ToString(CultureInfo.InvariantCulture), "--mount", $"{_mount}={_kind}"],
            line =>
            {
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    ready.TrySetResult(_clock.Elapsed);
                }
            });
        var first = await Task.WhenAny(ready.Task, _process.Exited, Task.Delay(StartTimeout));
        if (first != ready.Task)
        {
            throw new InvalidOperationException($"camera on port {Port} not ready ({(_process.HasExited ? "exited" : "timed out")}); stderr: {string.Join(" | ", Errors.TakeLast(10))}");
        }

        ReadyAt = await ready.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }
}
