using Microsoft.Extensions.Logging;
using StreamGateway.Audit;
using StreamGateway.Configuration;
using StreamGateway.Publish.Push;
using StreamGateway.Relay;

namespace StreamGateway.Hosting;

/// <summary>
/// Keeps one <see cref="PushSession"/> running per camera routed to a destination with <c>Push</c>, from the
/// same relayed packets the viewers get. <see cref="ApplyAsync"/> reconciles with a new config: pushes whose
/// route, URL, credentials or hub did not change keep running untouched; the others stop or start.
/// </summary>
internal sealed class PushSupervisor : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly Func<AuditLog?> _audit;
    private readonly PushOptions _options;
    // Changed under the host's apply gate only; read by status threads through the volatile snapshot.
    private readonly Dictionary<(string Camera, string Destination), RunningPush> _running = [];
    private volatile RunningPush[] _snapshot = [];

    public PushSupervisor(ILoggerFactory loggerFactory, TimeProvider time, Func<AuditLog?> audit, PushOptions? options = null)
    {
        _loggerFactory = loggerFactory;
        _time = time;
        _audit = audit;
        _options = options ?? new PushOptions();
    }

    /// <summary>Starts, keeps or stops pushes so that exactly <paramref name="routes"/> run.</summary>
    /// <param name="resolveHub">The hub of a camera path, or null when the camera is not running.</param>
    public async Task ApplyAsync(IReadOnlyList<PushRoute> routes, Func<string, StreamHub?> resolveHub)
    {
        var wanted = new Dictionary<(string, string), (PushRoute Route, StreamHub Hub)>();
        foreach (var route in routes)
        {
            if (resolveHub(route.Camera.Path) is { } hub)
            {
                wanted[(route.Camera.Path, route.Destination.Id)] = (route, hub);
            }
        }

        foreach (var (key, running) in _running.ToArray())
        {
            if (!wanted.TryGetValue(key, out var next) || !ReferenceEquals(next.Hub, running.Session.Hub) || !SameTarget(next.Route, running.Route))
            {
                _running.Remove(key);
                await running.Session.DisposeAsync().ConfigureAwait(false);
            }
        }

        foreach (var (key, (route, hub)) in wanted)
        {
            if (_running.ContainsKey(key))
            {
                continue;
            }

            var push = route.Destination.Push!;
            var session = new PushSession(hub, new PushTarget(new Uri(route.Url), push.Username, push.Password), _options, _loggerFactory, _time);
            var destinationId = route.Destination.Id;
            session.SessionEnded += record => Audit(record, destinationId);
            _running[key] = new RunningPush(route, session);
            session.Start();
        }

        _snapshot = [.. _running.Values];
    }

    /// <summary>Every running push with its state and counters; no credentials.</summary>
    public IReadOnlyList<PushReport> Report() => [.. _snapshot
        .Select(p => (p.Route, Status: p.Session.Status))
        .Select(p => new PushReport(
            p.Route.Destination.Id,
            p.Route.Camera.Path,
            p.Status.Url,
            p.Status.State.ToString().ToLowerInvariant(),
            p.Status.BytesSent,
            p.Status.PacketsSent,
            p.Status.PacketsDropped,
            p.Status.Connections,
            p.Status.FailedAttempts,
            p.Status.LastError,
            p.Status.NextAttemptAt,
            p.Status.RecordingSince))
        .OrderBy(p => p.Destination, StringComparer.Ordinal)
        .ThenBy(p => p.Camera, StringComparer.Ordinal)];

    public async ValueTask DisposeAsync()
    {
        foreach (var running in _running.Values)
        {
            await running.Session.DisposeAsync().ConfigureAwait(false);
        }

        _running.Clear();
        _snapshot = [];
    }

    private static bool SameTarget(PushRoute a, PushRoute b) =>
        a.Url == b.Url && a.Destination.Push == b.Destination.Push;

    private void Audit(PushSessionRecord record, string destination)
    {
        var slash = record.CameraPath.IndexOf('/', StringComparison.Ordinal);
        _audit()?.Record(new AuditEntry
        {
            Kind = AuditEntry.PushKind,
            User = record.Username,
            Destination = destination,
            Client = new Uri(record.Url).Authority,
            School = slash < 0 ? record.CameraPath : record.CameraPath[..slash],
            Camera = slash < 0 ? string.Empty : record.CameraPath[(slash + 1)..],
            Start = record.Started,
            End = record.Ended,
            Bytes = record.BytesSent,
            Ended = record.Reason,
        });
    }

    private sealed record RunningPush(PushRoute Route, PushSession Session);
}

/// <summary>One push to an operations center's media server as the status API shows it (URL without user info).</summary>
internal sealed record PushReport(
    string Destination,
    string Camera,
    string Url,
    string State,
    long BytesSent,
    long PacketsSent,
    long PacketsDropped,
    int Connections,
    int FailedAttempts,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? RecordingSince);
