using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StreamGateway.Relay;

namespace StreamGateway.Ingest;

/// <summary>
/// Owns the camera connectors of one school. The school is the unit a link failure hits (one uplink
/// per school): when every camera fails within <see cref="OfflineWindow"/>, the school is reported
/// offline once (not one alarm per camera), one camera keeps probing, and the others wait; when the
/// probe streams again they reconnect <see cref="StaggerInterval"/> apart so a recovering uplink is
/// not flooded.
/// </summary>
public sealed class SchoolConnector : IAsyncDisposable, ISchoolGate
{
    private readonly ConcurrentDictionary<string, CameraConnector> _cameras = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<CameraConnector, long> _failedAt = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private TaskCompletionSource _online = NewOnlineSignal();
    private TaskCompletionSource _probeChanged = NewOnlineSignal();
    private CameraConnector? _probe;
    private long _offlineSinceTimestamp;
    private int _staggerSlot;

    public SchoolConnector(string schoolId, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        SchoolId = schoolId;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SchoolConnector>();
        _time = time ?? TimeProvider.System;
    }

    public string SchoolId { get; }

    /// <summary>Every camera failing within this window means the school's link is down.</summary>
    public TimeSpan OfflineWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Spacing of the other cameras' reconnects once the probe is back.</summary>
    public TimeSpan StaggerInterval { get; init; } = TimeSpan.FromSeconds(0.5);

    public IReadOnlyCollection<CameraConnector> Cameras => (IReadOnlyCollection<CameraConnector>)_cameras.Values;

    public int CameraCount => _cameras.Count;

    public bool IsOffline { get; private set; }

    public DateTimeOffset? OfflineSince { get; private set; }

    /// <summary>Raised when the school goes offline (true) or comes back (false).</summary>
    public event Action<SchoolConnector, bool>? OfflineChanged;

    /// <summary>Starts pulling a camera into <paramref name="hub"/>; replaces (and stops) a connector on the same path.</summary>
    public async Task StartCameraAsync(CameraSourceOptions options, StreamHub hub)
    {
        await StopCameraAsync(options.Path).ConfigureAwait(false);
        var connector = new CameraConnector(options, hub, _loggerFactory, _time, this);
        _cameras[options.Path] = connector;
        connector.Start();
    }

    public async Task StopCameraAsync(string path)
    {
        if (_cameras.TryRemove(path, out var connector))
        {
            _failedAt.TryRemove(connector, out _);
            await connector.DisposeAsync().ConfigureAwait(false);
            lock (_gate)
            {
                if (_probe == connector)
                {
                    GoOnline();
                }
            }
        }
    }

    /// <summary>Adds connectors without starting them (tests drive the school's logic directly).</summary>
    internal void Register(IEnumerable<CameraConnector> cameras)
    {
        foreach (var camera in cameras)
        {
            _cameras[camera.Options.Path] = camera;
        }
    }

    public CameraConnector? Find(string path) => _cameras.GetValueOrDefault(path);

    public bool MayAttempt(CameraConnector camera)
    {
        lock (_gate)
        {
            return !IsOffline || camera == _probe;
        }
    }

    public async Task WaitForTurnAsync(CameraConnector camera, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task online, probeChanged;
            lock (_gate)
            {
                if (!IsOffline || camera == _probe)
                {
                    return;
                }

                online = _online.Task;
                probeChanged = _probeChanged.Task;
            }

            await Task.WhenAny(online, probeChanged).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (online.IsCompleted)
            {
                break;
            }
        }

        int slot;
        lock (_gate)
        {
            slot = ++_staggerSlot;
        }

        await Task.Delay(StaggerInterval * slot, _time, cancellationToken).ConfigureAwait(false);
    }

    public void ReportStreaming(CameraConnector camera)
    {
        _failedAt.TryRemove(camera, out _);
        lock (_gate)
        {
            if (IsOffline)
            {
                GoOnline();
            }
        }
    }

    public void ReportFailed(CameraConnector camera)
    {
        var now = _time.GetTimestamp();
        _failedAt.TryAdd(camera, now);
        lock (_gate)
        {
            if (IsOffline)
            {
                if (camera == _probe)
                {
                    // The probe's own link may be what is broken: hand probing to the next camera,
                    // so one faulty camera cannot hold the whole school offline.
                    RotateProbe();
                }

                return;
            }

            if (_cameras.Count < 2)
            {
                return;
            }

            // Offline: every camera is down, and they went down within one window of each other.
            long first = long.MaxValue, last = long.MinValue;
            foreach (var connector in _cameras.Values)
            {
                if (!_failedAt.TryGetValue(connector, out var failedAt))
                {
                    return;
                }

                first = Math.Min(first, failedAt);
                last = Math.Max(last, failedAt);
            }

            if (_time.GetElapsedTime(first, last) > OfflineWindow)
            {
                return;
            }

            IsOffline = true;
            _offlineSinceTimestamp = now;
            OfflineSince = _time.GetUtcNow();
            _probe = camera;
            _staggerSlot = 0;
            IngestLog.SchoolOffline(_logger, SchoolId, _cameras.Count, OfflineWindow.TotalSeconds, camera.Options.Path);
        }

        OfflineChanged?.Invoke(this, true);
    }

    /// <summary>Under <see cref="_gate"/>: the next camera (in path order) becomes the probe.</summary>
    private void RotateProbe()
    {
        var ordered = _cameras.Values.OrderBy(c => c.Options.Path, StringComparer.Ordinal).ToList();
        var next = ordered[(ordered.IndexOf(_probe!) + 1) % ordered.Count];
        if (next == _probe)
        {
            return;
        }

        _probe = next;
        var changed = _probeChanged;
        _probeChanged = NewOnlineSignal();
        changed.TrySetResult();
    }

    /// <summary>Under <see cref="_gate"/>: releases the waiting cameras.</summary>
    private void GoOnline()
    {
        if (!IsOffline)
        {
            return;
        }

        IsOffline = false;
        OfflineSince = null;
        _probe = null;
        _failedAt.Clear();
        IngestLog.SchoolOnline(_logger, SchoolId, _time.GetElapsedTime(_offlineSinceTimestamp).TotalSeconds, StaggerInterval.TotalSeconds);
        var online = _online;
        _online = NewOnlineSignal();
        online.TrySetResult();
        ThreadPool.QueueUserWorkItem(_ => OfflineChanged?.Invoke(this, false));
    }

    private static TaskCompletionSource NewOnlineSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_cameras.Keys.ToList().Select(StopCameraAsync)).ConfigureAwait(false);
    }
}
