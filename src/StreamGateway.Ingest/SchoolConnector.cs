using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StreamGateway.Relay;

namespace StreamGateway.Ingest;

/// <summary>
/// Owns the camera connectors of one school. The school is the unit a link failure hits (one uplink
/// per school), so school-wide behaviour (offline detection, staggered recovery) belongs here.
/// </summary>
public sealed class SchoolConnector : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, CameraConnector> _cameras = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    public SchoolConnector(string schoolId, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        SchoolId = schoolId;
        _loggerFactory = loggerFactory;
        _time = time ?? TimeProvider.System;
    }

    public string SchoolId { get; }

    public IReadOnlyCollection<CameraConnector> Cameras => (IReadOnlyCollection<CameraConnector>)_cameras.Values;

    public int CameraCount => _cameras.Count;

    /// <summary>Starts pulling a camera into <paramref name="hub"/>; replaces (and stops) a connector on the same path.</summary>
    public async Task StartCameraAsync(CameraSourceOptions options, StreamHub hub)
    {
        await StopCameraAsync(options.Path).ConfigureAwait(false);
        var connector = new CameraConnector(options, hub, _loggerFactory, _time);
        _cameras[options.Path] = connector;
        connector.Start();
    }

    public async Task StopCameraAsync(string path)
    {
        if (_cameras.TryRemove(path, out var connector))
        {
            await connector.DisposeAsync().ConfigureAwait(false);
        }
    }

    public CameraConnector? Find(string path) => _cameras.GetValueOrDefault(path);

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_cameras.Keys.ToList().Select(StopCameraAsync)).ConfigureAwait(false);
    }
}
