using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StreamGateway.Relay;

namespace StreamGateway.Recording;

/// <summary>
/// Keeps one <see cref="Recorder"/> per recorded camera path in line with the configuration: <see cref="SyncAsync"/>
/// starts recorders for new cameras, stops those no longer wanted, and restarts one whose options or hub changed.
/// </summary>
public sealed class RecordingManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Recorder> _recorders = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, StreamHub> _hubs = new(StringComparer.Ordinal);

    public RecordingManager(ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        _loggerFactory = loggerFactory;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The cameras being recorded.</summary>
    public IReadOnlyCollection<string> Paths => [.. _recorders.Keys];

    /// <summary>Moves to the wanted set: camera path → (its hub, its recorder options).</summary>
    public async Task SyncAsync(IReadOnlyDictionary<string, (StreamHub Hub, RecorderOptions Options)> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var (path, recorder) in _recorders)
            {
                var keep = wanted.TryGetValue(path, out var next)
                    && next.Options == recorder.Options
                    && _hubs.TryGetValue(path, out var hub) && ReferenceEquals(hub, next.Hub);
                if (!keep)
                {
                    _recorders.TryRemove(path, out _);
                    _hubs.TryRemove(path, out _);
                    await recorder.StopAsync(RecordingEvents.CauseRecordingDisabled).ConfigureAwait(false);
                }
            }

            foreach (var (path, (hub, options)) in wanted)
            {
                if (_recorders.ContainsKey(path))
                {
                    continue;
                }

                var recorder = new Recorder(hub, options, _loggerFactory.CreateLogger<Recorder>(), _time);
                _recorders[path] = recorder;
                _hubs[path] = hub;
                recorder.Start();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops one camera's recorder (camera removed), journaling <paramref name="cause"/>.</summary>
    public async Task StopAsync(string path, string cause)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_recorders.TryRemove(path, out var recorder))
            {
                _hubs.TryRemove(path, out _);
                await recorder.StopAsync(cause).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One status per recorded camera, sorted by path.</summary>
    public IReadOnlyList<RecorderStatus> GetStatus() =>
        [.. _recorders.Values.Select(r => r.GetStatus()).OrderBy(s => s.Path, StringComparer.Ordinal)];

    public RecorderStatus? GetStatus(string path) => _recorders.TryGetValue(path, out var recorder) ? recorder.GetStatus() : null;

    /// <summary>Stops every recorder: open segments end cleanly and each journal records the gateway stopping.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_recorders.Values.Select(r => r.StopAsync(RecordingEvents.CauseGatewayStopped))).ConfigureAwait(false);
            _recorders.Clear();
            _hubs.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }
}
