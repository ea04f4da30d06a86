using System.Globalization;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>Credentials a fake camera demands. Scheme is "basic" or "digest". ToString hides the password.</summary>
internal sealed record CameraAuth(string Scheme, string User, string Password)
{
    public override string ToString() => $"CameraAuth {{ Scheme = {Scheme}, User = {User}, Password = {Redactor.Mask} }}";
}

/// <summary>
/// Fake IP cameras: tests/fixtures/rtsp_camera.py (GStreamer's RTSP server) on 127.0.0.1 with one mount per
/// camera, each a shared live pipeline. Everything the camera saw (CONNECTED, SETUP, PLAY, TEARDOWN, CLOSED)
/// is kept in <see cref="Events"/>, so a test can check, say, that the gateway opened one session per mount.
/// Kinds: h264, h264+aac, h265, h265+aac, h264+pcma, h264+pcmu.
/// </summary>
internal sealed class CameraServer : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> Kinds = ["h264", "h264+aac", "h265", "h265+aac", "h264+pcma", "h264+pcmu"];

    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(20);

    private readonly List<string> _events = [];
    private readonly List<(Func<string, bool> Predicate, TaskCompletionSource<string> Done)> _waiters = [];
    private readonly CameraAuth? _auth;
    private ProcessRunner? _process;
    private bool _exited;

    private CameraServer(CameraAuth? auth) => _auth = auth;

    public int Port { get; private set; }

    public IReadOnlyList<string> Mounts { get; private init; } = [];

    /// <summary>True once the camera process has ended (after disposal, or if it crashed).</summary>
    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>A snapshot of every event line so far, oldest first.</summary>
    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The camera's stderr so far (redacted): GStreamer warnings, Python tracebacks.</summary>
    public IReadOnlyList<string> Errors => _process?.StandardError ?? [];

    public static async Task<CameraServer> StartAsync(
        IEnumerable<(string mount, string kind)> mounts,
        CameraAuth? auth = null,
        double gopSeconds = 1,
        TimeSpan? timeout = null)
    {
        var list = mounts.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("a camera server needs at least one mount", nameof(mounts));
        }

        foreach (var (mount, kind) in list)
        {
            if (!Kinds.Contains(kind))
            {
                throw new ArgumentException($"mount '{mount}': unknown kind '{kind}'; expected one of {string.Join(", ", Kinds)}", nameof(mounts));
            }
        }

        var arguments = new List<string> { Tools.Fixture("rtsp_camera.py"), "--port", "0", "--gop-seconds", gopSeconds.ToString(CultureInfo.InvariantCulture) };
        foreach (var (mount, kind) in list)
        {
            arguments.Add("--mount");
            arguments.Add($"{mount.Trim('/')}={kind}");
        }

        var environment = new Dictionary<string, string>();
        if (auth is not null)
        {
            arguments.AddRange(["--auth", auth.Scheme.ToLowerInvariant(), "--user", auth.User]);
            environment["CAMERA_PASSWORD"] = auth.Password; // not on the command line, where ps and messages show it
        }

        var server = new CameraServer(auth) { Mounts = list.Select(m => m.mount.Trim('/')).ToList() };
        server._process = ProcessRunner.Start(
            Tools.Python,
            arguments,
            server.OnLine,
            secrets: auth is null ? null : [auth.Password],
            environment: environment);
        _ = server.WatchExitAsync(server._process);

        try
        {
            var ready = await server.WaitForEventAsync(e => e.StartsWith("READY ", StringComparison.Ordinal), timeout ?? DefaultStartTimeout);
            server.Port = int.Parse(ready.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public string Url(string mount) => $"rtsp://127.0.0.1:{Port}/{mount.Trim('/')}";

    /// <summary>The URL with the camera's user and password in it (the only place the password shows).</summary>
    public string UrlWithCredentials(string mount)
    {
        if (_auth is null)
        {
            return Url(mount);
        }

        return $"rtsp://{Uri.EscapeDataString(_auth.User)}:{Uri.EscapeDataString(_auth.Password)}@127.0.0.1:{Port}/{mount.Trim('/')}";
    }

    /// <summary>PLAY requests the camera answered for <paramref name="mount"/> (one per RTSP session that played).</summary>
    public int CountPlays(string mount) => Count("PLAY", mount);

    public int CountSetups(string mount) => Count("SETUP", mount);

    public int CountTeardowns(string mount) => Count("TEARDOWN", mount);

    /// <summary>TCP connections opened to the camera so far (any mount).</summary>
    public int CountConnections() => Events.Count(e => e.StartsWith("CONNECTED ", StringComparison.Ordinal));

    /// <summary>TCP connections open right now (CONNECTED minus CLOSED).</summary>
    public int OpenConnections()
    {
        var events = Events;
        return events.Count(e => e.StartsWith("CONNECTED ", StringComparison.Ordinal)) - events.Count(e => e.StartsWith("CLOSED ", StringComparison.Ordinal));
    }

    /// <summary>
    /// Completes with the first event line (past or future) that matches; fails after
    /// <paramref name="timeout"/> or when the camera process exits, listing the events it did see.
    /// </summary>
    public async Task<string> WaitForEventAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_events)
        {
            var seen = _events.FirstOrDefault(predicate);
            if (seen is not null)
            {
                return seen;
            }

            if (_exited)
            {
                throw new InvalidOperationException("the camera process has exited. " + Describe());
            }

            _waiters.Add((predicate, done));
        }

        try
        {
            return await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no matching camera event within {timeout.TotalSeconds:0.#} s. " + Describe());
        }
        finally
        {
            lock (_events)
            {
                _waiters.RemoveAll(w => w.Done == done);
            }
        }
    }

    public override string ToString() => $"CameraServer {{ Port = {Port}, Mounts = {string.Join(",", Mounts)}, Auth = {_auth?.Scheme ?? "none"} }}";

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync(); // closing stdin stops the camera; killed if it lingers
        }
    }

    private int Count(string kind, string mount)
    {
        var prefix = $"{kind} {mount.Trim('/')} ";
        return Events.Count(e => e.StartsWith(prefix, StringComparison.Ordinal));
    }

    private void OnLine(string line)
    {
        List<TaskCompletionSource<string>> matched = [];
        lock (_events)
        {
            _events.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Predicate(line)).ToList())
            {
                matched.Add(waiter.Done);
                _waiters.Remove(waiter);
            }
        }

        foreach (var done in matched)
        {
            done.TrySetResult(line);
        }
    }

    private async Task WatchExitAsync(ProcessRunner process)
    {
        // Not bounded on purpose: it lives as long as the camera, and disposal ends the process.
        var exitCode = await process.Exited;
        List<TaskCompletionSource<string>> pending;
        lock (_events)
        {
            _exited = true;
            pending = _waiters.Select(w => w.Done).ToList();
            _waiters.Clear();
        }

        foreach (var done in pending)
        {
            done.TrySetException(new InvalidOperationException($"the camera process exited with code {exitCode}. " + Describe()));
        }
    }

    private string Describe()
    {
        var events = Events;
        var errors = Errors;
        return $"{this}; last events: [{string.Join(" | ", events.TakeLast(10))}]; stderr: [{string.Join(" | ", errors.TakeLast(10))}]";
    }
}
