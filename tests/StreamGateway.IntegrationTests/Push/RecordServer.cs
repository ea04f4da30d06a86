using System.Globalization;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>Credentials a receiving server demands. Scheme is "basic" or "digest". ToString hides the password.</summary>
internal sealed record PublishAuth(string Scheme, string User, string Password)
{
    public override string ToString() => $"PublishAuth {{ Scheme = {Scheme}, User = {User}, Password = {Redactor.Mask} }}";
}

/// <summary>
/// A receiving media server: tests/fixtures/rtsp_record_server.py (GStreamer's RTSP server in RECORD mode) on
/// 127.0.0.1. Every event it printed (CONNECTED, ANNOUNCE, SETUP, RECORD, FILE, CAPS, FIRST, FRAMES, CLOSED) is kept
/// in order; each RECORD session's video lands in its own Matroska file under <see cref="OutputDirectory"/>.
/// </summary>
internal sealed class RecordServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly List<string> _events = [];
    private readonly List<(Func<string, bool> Predicate, TaskCompletionSource<string> Done)> _waiters = [];
    private ProcessRunner? _process;
    private bool _exited;

    private RecordServer(string outputDirectory) => OutputDirectory = outputDirectory;

    public int Port { get; private set; }

    public string OutputDirectory { get; }

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

    public IReadOnlyList<string> Errors => _process?.StandardError ?? [];

    /// <summary>Starts the server; <paramref name="port"/> 0 picks a free one, a given port restarts a killed server where it was.</summary>
    public static async Task<RecordServer> StartAsync(IEnumerable<string> mounts, string outputDirectory, PublishAuth? auth = null, int port = 0, bool audio = false)
    {
        var arguments = new List<string> { Tools.Fixture("rtsp_record_server.py"), "--port", port.ToString(CultureInfo.InvariantCulture), "--out-dir", outputDirectory };
        foreach (var mount in mounts)
        {
            arguments.AddRange(["--mount", mount.Trim('/')]);
        }

        if (audio)
        {
            arguments.Add("--audio");
        }

        var environment = new Dictionary<string, string>();
        if (auth is not null)
        {
            arguments.AddRange(["--auth", auth.Scheme.ToLowerInvariant(), "--user", auth.User]);
            environment["PUBLISH_PASSWORD"] = auth.Password;
        }

        var server = new RecordServer(outputDirectory);
        server._process = ProcessRunner.Start(Tools.Python, arguments, server.OnLine, secrets: auth is null ? null : [auth.Password], environment: environment);
        _ = server.WatchExitAsync(server._process);
        try
        {
            var ready = await server.WaitForEventAsync(e => e.StartsWith("READY ", StringComparison.Ordinal), StartTimeout);
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

    public int Count(string kind) => Events.Count(e => e.StartsWith(kind + " ", StringComparison.Ordinal));

    /// <summary>The Matroska files written so far, one per RECORD session, in order.</summary>
    public IReadOnlyList<string> Files => Events
        .Where(e => e.StartsWith("FILE ", StringComparison.Ordinal))
        .Select(e => e[(e.LastIndexOf(' ') + 1)..])
        .ToList();

    /// <summary>Completes with the first matching event (past or future); fails on timeout or exit, naming what it saw.</summary>
    public async Task<string> WaitForEventAsync(Func<string, bool> predicate, TimeSpan timeout, int skip = 0)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_events)
        {
            var seen = _events.Skip(skip).FirstOrDefault(predicate);
            if (seen is not null)
            {
                return seen;
            }

            if (_exited)
            {
                throw new InvalidOperationException("the record server has exited. " + Describe());
            }

            _waiters.Add((predicate, done));
        }

        try
        {
            return await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no matching record-server event within {timeout.TotalSeconds:0.#} s. " + Describe());
        }
        finally
        {
            lock (_events)
            {
                _waiters.RemoveAll(w => w.Done == done);
            }
        }
    }

    /// <summary>Kills the server at once (no clean shutdown), like a media server that crashes or loses power.</summary>
    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }

        _process.Kill();
        await _process.Exited.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public override string ToString() => $"RecordServer {{ Port = {Port} }}";

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
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
            done.TrySetException(new InvalidOperationException($"the record server exited with code {exitCode}. " + Describe()));
        }
    }

    private string Describe() =>
        $"{this}; last events: [{string.Join(" | ", Events.TakeLast(12))}]; stderr: [{string.Join(" | ", Errors.TakeLast(10))}]";
}
