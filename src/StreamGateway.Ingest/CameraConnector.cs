using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using StreamGateway.Relay;

namespace StreamGateway.Ingest;

/// <summary>Where a camera's connector is in its life.</summary>
public enum CameraState
{
    /// <summary>On-demand camera with nobody watching.</summary>
    Idle,
    Connecting,
    Streaming,
    /// <summary>Waiting out the back-off before the next attempt.</summary>
    Retrying,
    Stopped,
}

/// <summary>
/// Keeps one camera's stream flowing into its hub: exactly one upstream session however many
/// viewers read the hub. Connecting runs under a Polly retry pipeline (exponential back-off with
/// jitter, never gives up); once a session streams, its end starts a fresh pipeline run so a
/// long-lived stream that drops reconnects quickly instead of inheriting an old back-off.
/// </summary>
public sealed class CameraConnector : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _connectPipeline;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _demandSignal = new(0, int.MaxValue);
    private Task? _run;
    private bool _preferTcp;
    private volatile string? _lastError;
    private volatile CameraState _state = CameraState.Idle;
    private IngestTransport? _activeTransport;

    public CameraConnector(CameraSourceOptions options, StreamHub hub, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        Options = options;
        Hub = hub;
        _logger = loggerFactory.CreateLogger<CameraConnector>();
        _time = time ?? TimeProvider.System;
        _preferTcp = options.Transport == IngestTransport.Tcp;
        _connectPipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = options.MaxReconnectDelay,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                OnRetry = args =>
                {
                    _state = CameraState.Retrying;
                    var reason = Describe(args.Outcome.Exception);
                    _lastError = reason;
                    if (args.Outcome.Exception is { } ex && !IsExpected(ex))
                    {
                        IngestLog.UnexpectedFailure(_logger, Options.Path, ex);
                    }

                    IngestLog.SessionFailed(_logger, Options.Path, reason, args.AttemptNumber + 1, args.RetryDelay.TotalSeconds);
                    return default;
                },
            })
            .Build();
    }

    public CameraSourceOptions Options { get; }

    public StreamHub Hub { get; }

    public IngestCounters Counters { get; } = new();

    public CameraState State => _state;

    /// <summary>The last failure, as logged (no secrets).</summary>
    public string? LastError => _lastError;

    /// <summary>The transport of the current or last session.</summary>
    public IngestTransport? ActiveTransport => _activeTransport;

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

    private async Task RunAsync(CancellationToken stop)
    {
        var firstSession = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (Options.OnDemand && Hub.DemandCount == 0)
                {
                    _state = CameraState.Idle;
                    IngestLog.WaitingForDemand(_logger, Options.Path);
                    while (Hub.DemandCount == 0)
                    {
                        await _demandSignal.WaitAsync(stop).ConfigureAwait(false);
                    }
                }

                _state = CameraState.Connecting;
                await using var session = await _connectPipeline.ExecuteAsync(OpenStreamingSessionAsync, stop).ConfigureAwait(false);
                if (!firstSession)
                {
                    Counters.CountReconnect();
                }

                firstSession = false;
                _state = CameraState.Streaming;
                _lastError = null;
                Hub.SetTracks(session.Tracks);
                IngestLog.Streaming(_logger, Options.Path, session.Transport, string.Join(", ", session.Tracks.Select(t => $"{t.Kind.ToString().ToLowerInvariant()} {t.EncodingName}")));

                using var sessionScope = CancellationTokenSource.CreateLinkedTokenSource(stop);
                using var demandWatch = Options.OnDemand ? WatchDemand(sessionScope) : null;
                try
                {
                    await session.RunAsync(Options.StallTimeout, sessionScope.Token).ConfigureAwait(false);
                    if (!stop.IsCancellationRequested)
                    {
                        IngestLog.DemandEnded(_logger, Options.Path);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _lastError = Describe(ex);
                    IngestLog.StreamEnded(_logger, Options.Path, _lastError);
                }
                finally
                {
                    Hub.ClearTracks();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
        }

        _state = CameraState.Stopped;
    }

    /// <summary>One connect attempt: returns a session that is already receiving media.</summary>
    private async ValueTask<CameraSession> OpenStreamingSessionAsync(CancellationToken cancellationToken)
    {
        var transport = _preferTcp ? IngestTransport.Tcp : IngestTransport.Udp;
        try
        {
            return await OpenAsync(transport, cancellationToken).ConfigureAwait(false);
        }
        catch (NoMediaException) when (transport == IngestTransport.Udp && Options.Transport == IngestTransport.Auto)
        {
            // UDP blocked on the way (NAT, firewall): TCP interleaved gets through and stays preferred.
            IngestLog.FallingBackToTcp(_logger, Options.Path);
            _preferTcp = true;
            return await OpenAsync(IngestTransport.Tcp, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<CameraSession> OpenAsync(IngestTransport transport, CancellationToken cancellationToken)
    {
        _activeTransport = transport;
        var session = new CameraSession(Options, transport, Hub, Counters, _logger, _time);
        try
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
            var firstPacketTimeout = transport == IngestTransport.Udp && Options.Transport == IngestTransport.Auto
                ? Options.UdpFallbackTimeout
                : Options.StallTimeout;
            await session.WaitForFirstPacketAsync(firstPacketTimeout, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
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
        ex is RtspClientException or NoMediaException or TimeoutException or IOException or System.Net.Sockets.SocketException;

    /// <summary>A one-line reason for logs and status. Messages are built by this layer without URLs' user info.</summary>
    private static string Describe(Exception? ex) => ex switch
    {
        null => "unknown",
        RtspClientException or NoMediaException => ex.Message,
        TimeoutException => "timed out",
        _ => ex.GetType().Name + ": " + ex.Message,
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
