using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Relay;

namespace StreamGateway.Ingest;

/// <summary>Where a camera's connector is in its life.</summary>
public enum CameraState
{
    /// <summary>On-demand camera with nobody watching.</summary>
    Idle,
    Connecting,
    Streaming,
    /// <summary>Waiting out the back-off before the next attempt (see <see cref="CameraConnector.NextAttemptAt"/>).</summary>
    Retrying,
    /// <summary>Media stopped on a live session; a reconnect follows at once.</summary>
    Stalled,
    /// <summary>Held back while its school's link is down and another camera probes it.</summary>
    WaitingForSchool,
    Stopped,
}

/// <summary>
/// Keeps one camera's stream flowing into its hub: exactly one upstream session however many
/// viewers read the hub. Connect attempts run under a Polly retry pipeline whose delays come from
/// <see cref="ReconnectSchedule"/> (fast at first, then exponential with jitter, never gives up), each
/// attempt under its own timeout. Viewers ride through: the hub stays, and <see cref="RtpContinuity"/>
/// keeps SSRC, sequence numbers and timestamps continuous across sessions.
/// </summary>
public sealed class CameraConnector : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ReconnectSchedule _schedule;
    private readonly ResiliencePipeline _retryPipeline;
    private readonly ResiliencePipeline _attemptPipeline;
    private readonly ISchoolGate? _school;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _demandSignal = new(0, int.MaxValue);
    private readonly Dictionary<int, RtpContinuity> _continuity = [];
    private Task? _run;
    private bool _preferTcp;
    private int _knownTrackCount;
    private long? _fewerTracksSince;
    private volatile string? _lastError;
    private volatile CameraState _state = CameraState.Idle;
    private IngestTransport? _activeTransport;
    private DateTimeOffset? _nextAttemptAt;

    public CameraConnector(CameraSourceOptions options, StreamHub hub, ILoggerFactory loggerFactory, TimeProvider? time = null, ISchoolGate? school = null)
    {
        Options = options;
        Hub = hub;
        _school = school;
        _logger = loggerFactory.CreateLogger<CameraConnector>();
        _time = time ?? TimeProvider.System;
        Counters = new IngestCounters(_time);
        _preferTcp = options.Transport == IngestTransport.Tcp;
        _schedule = new ReconnectSchedule(options.Reconnect, _time);
        _retryPipeline = _schedule.BuildRetryPipeline(OnRetryAsync);
        _attemptPipeline = ReconnectSchedule.BuildAttemptPipeline(options.Reconnect.AttemptTimeout, _time);
    }

    public CameraSourceOptions Options { get; }

    public StreamHub Hub { get; }

    public IngestCounters Counters { get; }

    public CameraState State => _state;

    /// <summary>When the next connect attempt is due, while <see cref="State"/> is <see cref="CameraState.Retrying"/>.</summary>
    public DateTimeOffset? NextAttemptAt => _state == CameraState.Retrying ? _nextAttemptAt : null;

    /// <summary>The last failure, as logged (no secrets).</summary>
    public string? LastError => _lastError;

    /// <summary>The transport of the current or last session.</summary>
    public IngestTransport? ActiveTransport => _activeTransport;

    /// <summary>Raised on every state change, on the connector's own thread.</summary>
    public event Action<CameraConnector>? StateChanged;

    public void Start()
    {
        if (_run is not null)
        {
            return;
        }

        IngestLog.Started(_logger, Options.Path, Options.ToString());
        Hub.DemandChanged += OnDemandChanged;
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    private void OnDemandChanged(StreamHub hub) => _demandSignal.Release();

    private void SetState(CameraState state)
    {
        if (_state != state)
        {
            _state = state;
            StateChanged?.Invoke(this);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var firstSession = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (Options.OnDemand && Hub.DemandCount == 0)
                {
                    SetState(CameraState.Idle);
                    IngestLog.WaitingForDemand(_logger, Options.Path);
                    while (Hub.DemandCount == 0)
                    {
                        await _demandSignal.WaitAsync(stop).ConfigureAwait(false);
                    }
                }

                _schedule.StartOutage();
                if (!firstSession)
                {
                    // Spread the first attempt: when a whole network blips, hundreds of cameras end together.
                    await Task.Delay(_schedule.FirstAttemptJitter(), _time, stop).ConfigureAwait(false);
                }

                SetState(CameraState.Connecting);
                await using var session = await _retryPipeline.ExecuteAsync(ConnectWhenAllowedAsync, stop).ConfigureAwait(false);
                if (!firstSession)
                {
                    Counters.CountReconnect();
                }

                firstSession = false;
                _lastError = null;
                Hub.SetTracks(session.Tracks);
                SetState(CameraState.Streaming);
                _school?.ReportStreaming(this);
                IngestLog.Streaming(_logger, Options.Path, session.Transport, string.Join(", ", session.Tracks.Select(t => $"{t.Kind.ToString().ToLowerInvariant()} {t.EncodingName}")));
                await StreamUntilEndAsync(session, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
        }

        SetState(CameraState.Stopped);
    }

    private async Task StreamUntilEndAsync(CameraSession session, CancellationToken stop)
    {
        using var sessionScope = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var demandWatch = Options.OnDemand ? WatchDemand(sessionScope) : null;
        try
        {
            await session.RunAsync(sessionScope.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            IngestLog.DemandEnded(_logger, Options.Path);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _lastError = Describe(ex);
            if (ex is StallException)
            {
                SetState(CameraState.Stalled);
            }

            IngestLog.StreamEnded(_logger, Options.Path, _lastError);
            _school?.ReportFailed(this);
        }
        finally
        {
            Hub.ClearTracks();
        }
    }

    /// <summary>One attempt: waits its turn while the school's link is down, then connects under the attempt timeout.</summary>
    private async ValueTask<CameraSession> ConnectWhenAllowedAsync(CancellationToken cancellationToken)
    {
        if (_school is not null && !_school.MayAttempt(this))
        {
            SetState(CameraState.WaitingForSchool);
            await _school.WaitForTurnAsync(this, cancellationToken).ConfigureAwait(false);
        }

        SetState(CameraState.Connecting);
        return await _attemptPipeline.ExecuteAsync(OpenStreamingSessionAsync, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        var reason = Describe(args.Outcome.Exception);
        _lastError = reason;
        _nextAttemptAt = _time.GetUtcNow() + args.RetryDelay;
        SetState(CameraState.Retrying);
        if (args.Outcome.Exception is { } ex && !IsExpected(ex))
        {
            IngestLog.UnexpectedFailure(_logger, Options.Path, ex);
        }

        IngestLog.SessionFailed(_logger, Options.Path, reason, args.AttemptNumber + 1, args.RetryDelay.TotalSeconds);
        _school?.ReportFailed(this);
        return default;
    }

    /// <summary>Returns a session that is already receiving video (or audio, for audio-only cameras).</summary>
    private async ValueTask<CameraSession> OpenStreamingSessionAsync(CancellationToken cancellationToken)
    {
        var transport = _preferTcp ? IngestTransport.Tcp : IngestTransport.Udp;
        CameraSession session;
        try
        {
            session = await OpenAsync(transport, cancellationToken).ConfigureAwait(false);
        }
        catch (NoMediaException) when (transport == IngestTransport.Udp && Options.Transport == IngestTransport.Auto)
        {
            // UDP blocked on the way (NAT, firewall): TCP interleaved gets through and stays preferred.
            IngestLog.FallingBackToTcp(_logger, Options.Path);
            _preferTcp = true;
            session = await OpenAsync(IngestTransport.Tcp, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            CheckTrackCount(session.Tracks);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A camera that comes back with fewer tracks than it had (video missing after a reboot, say) is
    /// not back: retry. If it keeps offering fewer for a whole fast-retry window, it was reconfigured.
    /// </summary>
    private void CheckTrackCount(IReadOnlyList<TrackDescription> tracks)
    {
        if (tracks.Count >= _knownTrackCount)
        {
            _knownTrackCount = tracks.Count;
            _fewerTracksSince = null;
            return;
        }

        var now = _time.GetTimestamp();
        _fewerTracksSince ??= now;
        if (_time.GetElapsedTime(_fewerTracksSince.Value, now) < Options.Reconnect.FastRetryWindow)
        {
            throw new RtspClientException($"camera came back with {tracks.Count} of its {_knownTrackCount} tracks");
        }

        IngestLog.TracksReduced(_logger, Options.Path, tracks.Count, _knownTrackCount);
        _knownTrackCount = tracks.Count;
        _fewerTracksSince = null;
    }

    private async Task<CameraSession> OpenAsync(IngestTransport transport, CancellationToken cancellationToken)
    {
        _activeTransport = transport;
        var session = new CameraSession(Options, transport, Hub, Counters, _logger, _time, ContinuityFor);
        try
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
            var firstPacketTimeout = transport == IngestTransport.Udp && Options.Transport == IngestTransport.Auto
                ? Options.UdpFallbackTimeout
                : Options.Reconnect.StallTimeout;
            await session.WaitForFirstPacketAsync(firstPacketTimeout, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The track's rewriter, kept across sessions so viewers see one stream; re-anchored for the new session.</summary>
    private RtpContinuity ContinuityFor(TrackDescription track)
    {
        lock (_continuity)
        {
            if (!_continuity.TryGetValue(track.Index, out var continuity) || continuity.ClockRate != track.ClockRate)
            {
                continuity = new RtpContinuity((uint)Random.Shared.Next(1, int.MaxValue), track.ClockRate, _time);
                _continuity[track.Index] = continuity;
            }

            continuity.MarkDiscontinuity();
            return continuity;
        }
    }

    /// <summary>Cancels an on-demand session once nobody has wanted it for <see cref="CameraSourceOptions.OnDemandLinger"/>.</summary>
    private IDisposable WatchDemand(CancellationTokenSource session)
    {
        ITimer? timer = null;
        var gate = new object();
        void Evaluate(StreamHub hub)
        {
            lock (gate)
            {
                if (hub.DemandCount == 0)
                {
                    timer ??= _time.CreateTimer(_ => session.Cancel(), null, Options.OnDemandLinger, Timeout.InfiniteTimeSpan);
                }
                else
                {
                    timer?.Dispose();
                    timer = null;
                }
            }
        }

        Hub.DemandChanged += Evaluate;
        Evaluate(Hub);
        return new Unsubscriber(() =>
        {
            Hub.DemandChanged -= Evaluate;
            lock (gate)
            {
                timer?.Dispose();
            }
        });
    }

    private static bool IsExpected(Exception ex) =>
        ex is RtspClientException or NoMediaException or StallException or TimeoutRejectedException or TimeoutException or IOException or System.Net.Sockets.SocketException;

    /// <summary>A one-line reason for logs and status. Messages are built by this layer without URLs' user info.</summary>
    private string Describe(Exception? ex) => ex switch
    {
        null => "unknown",
        RtspClientException or NoMediaException or StallException => ex.Message,
        TimeoutRejectedException => $"attempt timed out after {Options.Reconnect.AttemptTimeout.TotalSeconds:0.#} s",
        TimeoutException => "timed out",
        _ => ex.GetType().Name,
    };

    public async ValueTask DisposeAsync()
    {
        Hub.DemandChanged -= OnDemandChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            await _run.ConfigureAwait(false);
            IngestLog.Stopped(_logger, Options.Path);
        }

        _state = CameraState.Stopped;
        _stop.Dispose();
        _demandSignal.Dispose();
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
