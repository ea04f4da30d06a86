using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Relay;

namespace StreamGateway.Publish.Push;

/// <summary>
/// Publishes one camera's hub to one receiving RTSP server (ANNOUNCE/RECORD, TCP interleaved) and keeps it there.
/// </summary>
/// <remarks>
/// <para>Steps of one connection: (1) wait until the hub has tracks; (2) under a Polly retry pipeline that never
/// gives up (exponential back-off with jitter up to <see cref="PushOptions.MaxDelay"/>) and a per-attempt timeout:
/// connect, OPTIONS, ANNOUNCE the hub's tracks, SETUP each track on interleaved channels 2n/2n+1 with
/// <c>mode=record</c>, RECORD; (3) subscribe to the hub: the GOP cache hands the push a keyframe first, and the
/// subscription's bounded queue drops (to the next keyframe) rather than ever slowing the camera or other viewers;
/// (4) send the relayed packets as they are, batched into gather sends, until the server goes, the tracks
/// change (then re-ANNOUNCE), or the session is disposed; (5) report the connection through <see cref="SessionEnded"/>.</para>
/// <para>Packets are sent unchanged: the ingest already rewrites SSRC, sequence numbers and timestamps in place to be
/// continuous and increasing across camera reconnects, and each push connection is a new RTSP session for the
/// receiver, so a per-push rewrite would only cost a header copy per packet. Gaps in sequence numbers after a drop
/// or a reconnect are what a receiver expects from loss.</para>
/// <para>The password stays in <see cref="PushTarget"/> and the authenticator; logs, status and records carry the
/// URL without user info.</para>
/// </remarks>
public sealed class PushSession : IAsyncDisposable
{
    private const int MaxBatchFrames = 64;
    private const int MaxBatchBytes = 256 * 1024;
    private static readonly TimeSpan TeardownTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TrackWaitSlice = TimeSpan.FromSeconds(30);

    private readonly PushOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _retryPipeline;
    private readonly ResiliencePipeline _attemptPipeline;
    private readonly CancellationTokenSource _stop = new();
    private readonly string _url;
    private Task _run = Task.CompletedTask;
    private IDisposable? _demand;
    private int _started;
    private int _disposed;

    private volatile PushState _state = PushState.Idle;
    private volatile string? _lastError;
    private volatile bool _authFailed;
    private readonly Lock _timesGate = new();
    private DateTimeOffset? _nextAttemptAt;
    private DateTimeOffset? _recordingSince;
    private long _bytesSent;
    private long _packetsSent;
    private long _packetsDropped;
    private int _connections;
    private int _failedAttempts;

    /// <param name="hub">The camera's hub; the push only subscribes to it (no second pull from the camera).</param>
    /// <param name="target">Where to push, with credentials.</param>
    /// <param name="options">Timeouts and back-off.</param>
    /// <param name="loggerFactory">Logs go to category <c>StreamGateway.Publish.Push.PushSession</c>, event ids 500-519.</param>
    /// <param name="time">Clock of the back-off and keep-alives; <see cref="TimeProvider.System"/> when null.</param>
    public PushSession(StreamHub hub, PushTarget target, PushOptions options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (PushTarget.Validate(target.Url) is { } problem)
        {
            throw new ArgumentException(problem + ": " + target.RedactedUrl, nameof(target));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.InitialDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDelay, options.InitialDelay, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AttemptTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.SendStallTimeout, TimeSpan.Zero, nameof(options));
        Hub = hub;
        Target = target;
        _options = options;
        _logger = loggerFactory.CreateLogger<PushSession>();
        _time = time ?? TimeProvider.System;
        _url = target.RedactedUrl;
        _retryPipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.InitialDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                OnRetry = OnRetryAsync,
            })
            .Build();
        _attemptPipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.AttemptTimeout })
            .Build();
    }

    public StreamHub Hub { get; }

    public PushTarget Target { get; }

    public PushState State => _state;

    /// <summary>A snapshot for status and metrics (no secrets).</summary>
    public PushStatus Status
    {
        get
        {
            var state = _state;
            DateTimeOffset? next, since;
            lock (_timesGate)
            {
                (next, since) = (_nextAttemptAt, _recordingSince);
            }

            return new PushStatus(
                _url,
                state,
                Interlocked.Read(ref _bytesSent),
                Interlocked.Read(ref _packetsSent),
                Interlocked.Read(ref _packetsDropped),
                Volatile.Read(ref _connections),
                Volatile.Read(ref _failedAttempts),
                _lastError,
                _authFailed,
                state == PushState.Backoff ? next : null,
                state == PushState.Recording ? since : null);
        }
    }

    /// <summary>Raised when a RECORD connection ends (for the audit log); on the session's own task. Handlers must not throw.</summary>
    public event Action<PushSessionRecord>? SessionEnded;

    /// <summary>Raised on every state change, on the session's own task.</summary>
    public event Action<PushSession>? StateChanged;

    /// <summary>Starts pushing in the background; returns at once. Holds demand on the hub (an on-demand camera streams while pushed).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        try
        {
            _demand = Hub.AcquireDemand();
        }
        catch (ObjectDisposedException)
        {
            SetState(PushState.Stopped);
            return;
        }

        PushLog.Started(_logger, Hub.Path, _url);
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    public override string ToString() => $"PushSession {Hub.Path} -> {_url}";

    private void SetNextAttempt(DateTimeOffset at)
    {
        lock (_timesGate)
        {
            _nextAttemptAt = at;
        }
    }

    private void SetState(PushState state)
    {
        if (_state != state)
        {
            _state = state;
            StateChanged?.Invoke(this);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!await WaitForTracksAsync(stop).ConfigureAwait(false))
                {
                    break; // hub removed
                }

                SetState(PushState.Connecting);
                SessionOutcome outcome;
                try
                {
                    var active = await _retryPipeline.ExecuteAsync(AttemptAsync, stop).ConfigureAwait(false);
                    outcome = await RecordUntilEndAsync(active, stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug on the session path: keep this push alive (it touches nothing else) and say so.
                    PushLog.Crashed(_logger, Hub.Path, _url, ex);
                    _lastError = ex.GetType().Name;
                    outcome = SessionOutcome.Failed;
                }

                if (outcome == SessionOutcome.HubRemoved)
                {
                    break;
                }

                if (outcome == SessionOutcome.Failed && !stop.IsCancellationRequested)
                {
                    // A server that accepts RECORD and then drops us must not be hammered: pause like a failed attempt.
                    var pause = _options.InitialDelay * (0.5 + (0.5 * Random.Shared.NextDouble()));
                    SetNextAttempt(_time.GetUtcNow() + pause);
                    SetState(PushState.Backoff);
                    await Task.Delay(pause, _time, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        SetState(PushState.Stopped);
        PushLog.Stopped(_logger, Hub.Path, _url);
    }

    /// <summary>True once the hub has tracks; false when the hub was disposed.</summary>
    private async Task<bool> WaitForTracksAsync(CancellationToken stop)
    {
        var logged = false;
        while (Hub.Tracks is null)
        {
            if (!logged)
            {
                SetState(PushState.Waiting);
                PushLog.WaitingForTracks(_logger, Hub.Path, _url);
                logged = true;
            }

            if (!await Hub.WaitForTracksAsync(TrackWaitSlice, stop).ConfigureAwait(false) && Hub.Tracks is null && IsHubDisposed())
            {
                return false;
            }
        }

        return true;
    }

    private bool IsHubDisposed()
    {
        try
        {
            Hub.AcquireDemand().Dispose();
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        var ex = args.Outcome.Exception;
        var reason = Describe(ex);
        _lastError = reason;
        _authFailed = ex is PushException { AuthFailed: true };
        Interlocked.Increment(ref _failedAttempts);
        SetNextAttempt(_time.GetUtcNow() + args.RetryDelay);
        SetState(PushState.Backoff);
        if (ex is not null && !IsExpected(ex))
        {
            PushLog.Crashed(_logger, Hub.Path, _url, ex);
        }

        if (_authFailed && Target.Credentials is { } credentials)
        {
            PushLog.AuthRefused(_logger, Hub.Path, _url, credentials.User);
        }

        PushLog.AttemptFailed(_logger, Hub.Path, _url, args.AttemptNumber + 1, reason, args.RetryDelay.TotalSeconds);
        return default;
    }

    // Socket failures reach us wrapped in PushException; anything else is a bug worth a stack trace.
    private static bool IsExpected(Exception ex) => ex is PushException or TimeoutRejectedException;

    private string Describe(Exception? ex) => ex switch
    {
        null => "unknown failure",
        PushException push => push.Message,
        TimeoutRejectedException => string.Create(CultureInfo.InvariantCulture, $"attempt timed out after {_options.AttemptTimeout.TotalSeconds:0.#} s"),
        _ => ex.GetType().Name,
    };

    /// <summary>One attempt, under the attempt timeout: connect, OPTIONS, ANNOUNCE, SETUP per track, RECORD.</summary>
    private async ValueTask<ActivePush> AttemptAsync(CancellationToken cancellationToken)
    {
        SetState(PushState.Connecting);
        return await _attemptPipeline.ExecuteAsync(ConnectAndRecordAsync, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<ActivePush> ConnectAndRecordAsync(CancellationToken cancellationToken)
    {
        var tracks = Hub.Tracks ?? throw new PushException("the camera has no tracks");
        var connection = await PushConnection.ConnectAsync(Target, _options.RequestTimeout, _time, cancellationToken).ConfigureAwait(false);
        connection.ServerRequest = (method, status) => PushLog.ServerRequest(_logger, Hub.Path, _url, PushConnection.Printable(method), status);
        try
        {
            var options = await connection.SendAsync(RtspMethods.Options, _url, null, default, cancellationToken).ConfigureAwait(false);
            var keepAliveMethod = options.StatusCode is >= 200 and <= 299 && PushRequests.SupportsGetParameter(options.Headers.Get("Public"))
                ? RtspMethods.GetParameter
                : RtspMethods.Options;

            var sdp = System.Text.Encoding.UTF8.GetBytes(PushRequests.AnnounceSdp(tracks, _options.SessionName, OriginAddress(Target.Url)));
            await connection.RequestAsync(RtspMethods.Announce, _url, h => h.Add("Content-Type", "application/sdp"), sdp, cancellationToken).ConfigureAwait(false);

            var channels = new (byte Rtp, byte Rtcp)[tracks.Count];
            int? sessionTimeout = null;
            for (var position = 0; position < tracks.Count; position++)
            {
                var transport = PushRequests.SetupTransport(position);
                var setup = await connection.RequestAsync(
                    RtspMethods.Setup,
                    PushRequests.TrackUrl(_url, tracks[position]),
                    h => h.Add("Transport", transport),
                    default,
                    cancellationToken).ConfigureAwait(false);
                if (connection.Session is null)
                {
                    if (setup.Headers.Get("Session") is not { } sessionText || !SessionHeader.TryParse(sessionText, out var session))
                    {
                        throw new PushException("SETUP answered without a Session header");
                    }

                    connection.Session = session.Id;
                    sessionTimeout = session.TimeoutSeconds;
                }

                channels[position] = PushRequests.ChosenChannels(setup.Headers.Get("Transport"), position)
                    ?? throw new PushException("SETUP answered a transport other than TCP interleaved: " + PushConnection.Printable(setup.Headers.Get("Transport")));
            }

            await connection.RequestAsync(RtspMethods.Record, _url, h => h.Add("Range", "npt=0.000-"), default, cancellationToken).ConfigureAwait(false);
            return new ActivePush(connection, tracks, channels, keepAliveMethod, PushRequests.KeepAliveInterval(sessionTimeout, _options.KeepAliveInterval));
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // The SDP origin names the host we push from; the loopback test servers do not care, real ones may log it.
    private static string OriginAddress(Uri target) =>
        IPAddress.TryParse(target.Host, out var address) && IPAddress.IsLoopback(address) ? target.Host : "0.0.0.0";

    private async Task<SessionOutcome> RecordUntilEndAsync(ActivePush active, CancellationToken stop)
    {
        var connection = active.Connection;
        var started = _time.GetUtcNow();
        var startedAt = _time.GetTimestamp();
        Subscription? subscription = null;
        var counters = new ConnectionCounters();
        string reason;
        var outcome = SessionOutcome.Failed;
        using var scope = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            try
            {
                subscription = Hub.Subscribe($"push {_url}");
            }
            catch (ObjectDisposedException)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return SessionOutcome.HubRemoved;
            }

            Interlocked.Increment(ref _connections);
            _lastError = null;
            _authFailed = false;
            lock (_timesGate)
            {
                _recordingSince = started;
            }

            SetState(PushState.Recording);
            PushLog.Recording(_logger, Hub.Path, _url, string.Join(", ", active.Tracks.Select(t => $"{t.Kind.ToString().ToLowerInvariant()} {t.EncodingName}")), connection.AuthenticationScheme);

            if (!ReferenceEquals(Hub.Tracks, active.Tracks) && !(Hub.Tracks?.SequenceEqual(active.Tracks) ?? false))
            {
                // Tracks changed between ANNOUNCE and subscribe: announce again.
                reason = SubscriptionCloseReasons.MediaChanged;
                outcome = SessionOutcome.MediaChanged;
            }
            else
            {
                var sender = SendAsync(connection, subscription, active, counters, scope.Token);
                var keepAlive = KeepAliveAsync(connection, active, scope.Token);
                var first = await Task.WhenAny(sender, connection.Ended).ConfigureAwait(false);
                await scope.CancelAsync().ConfigureAwait(false);
                (reason, outcome) = await EndReasonAsync(first == sender, sender, connection, subscription, stop).ConfigureAwait(false);
                await AwaitQuietly(keepAlive).ConfigureAwait(false);
            }
        }
        finally
        {
            if (subscription is not null)
            {
                Interlocked.Add(ref _packetsDropped, subscription.DroppedPackets);
                subscription.Dispose();
            }
        }

        if (stop.IsCancellationRequested && connection.Session is not null)
        {
            await TeardownQuietlyAsync(connection).ConfigureAwait(false);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        var ended = _time.GetUtcNow();
        if (outcome == SessionOutcome.Failed)
        {
            _lastError = reason;
        }

        PushLog.SessionEnded(_logger, Hub.Path, _url, _time.GetElapsedTime(startedAt).TotalSeconds, counters.Bytes, reason);
        try
        {
            SessionEnded?.Invoke(new PushSessionRecord(Hub.Path, _url, Target.Credentials?.User, started, ended, counters.Bytes, counters.Packets, reason));
        }
        catch (Exception ex)
        {
            // An audit handler's bug must not end the push.
            PushLog.Crashed(_logger, Hub.Path, _url, ex);
        }

        return outcome;
    }

    private async Task<(string Reason, SessionOutcome Outcome)> EndReasonAsync(
        bool senderFirst, Task sender, PushConnection connection, Subscription subscription, CancellationToken stop)
    {
        if (stop.IsCancellationRequested)
        {
            await AwaitQuietly(sender).ConfigureAwait(false);
            return ("stopped", SessionOutcome.Stopped);
        }

        if (!senderFirst)
        {
            await AwaitQuietly(sender).ConfigureAwait(false);
            return (await connection.Ended.ConfigureAwait(false), SessionOutcome.Failed);
        }

        try
        {
            await sender.ConfigureAwait(false);
        }
        catch (PushException ex)
        {
            return (ex.Message, SessionOutcome.Failed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            PushLog.Crashed(_logger, Hub.Path, _url, ex);
            return ("sender failed: " + ex.GetType().Name, SessionOutcome.Failed);
        }

        return subscription.CloseReason switch
        {
            SubscriptionCloseReasons.MediaChanged => (SubscriptionCloseReasons.MediaChanged, SessionOutcome.MediaChanged),
            SubscriptionCloseReasons.StreamRemoved => (SubscriptionCloseReasons.StreamRemoved, SessionOutcome.HubRemoved),
            { } other => (other, SessionOutcome.Failed),
            null => ("subscription ended", SessionOutcome.Failed),
        };
    }

    /// <summary>Sends the subscription's packets as interleaved frames, many per gather send; releases every packet it takes.</summary>
    private async Task SendAsync(PushConnection connection, Subscription subscription, ActivePush active, ConnectionCounters counters, CancellationToken cancellationToken)
    {
        var headers = new byte[MaxBatchFrames * InterleavedFrame.HeaderLength];
        var segments = new List<ArraySegment<byte>>(MaxBatchFrames * 2);
        var inFlight = new List<RelayPacket>(MaxBatchFrames);
        var channels = active.Channels;
        while (await subscription.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (true)
            {
                var batchBytes = 0;
                while (inFlight.Count < MaxBatchFrames && batchBytes < MaxBatchBytes && subscription.TryRead(out var packet))
                {
                    if ((uint)packet.TrackIndex >= (uint)channels.Length || packet.Length > ushort.MaxValue || packet.Length == 0)
                    {
                        packet.Release();
                        Interlocked.Increment(ref _packetsDropped);
                        continue;
                    }

                    var (rtp, rtcp) = channels[packet.TrackIndex];
                    var header = new ArraySegment<byte>(headers, inFlight.Count * InterleavedFrame.HeaderLength, InterleavedFrame.HeaderLength);
                    InterleavedFrame.WriteHeader(header.AsSpan(), packet.IsRtcp ? rtcp : rtp, packet.Length);
                    segments.Add(header);
                    segments.Add(packet.Segment);
                    inFlight.Add(packet);
                    batchBytes += packet.Length + InterleavedFrame.HeaderLength;
                }

                if (inFlight.Count == 0)
                {
                    break;
                }

                try
                {
                    var send = connection.SendMediaAsync(segments, cancellationToken);
                    if (!send.IsCompletedSuccessfully)
                    {
                        await WaitForSendAsync(connection, send.AsTask()).ConfigureAwait(false);
                    }

                    counters.Add(inFlight.Count, batchBytes);
                    Interlocked.Add(ref _packetsSent, inFlight.Count);
                    Interlocked.Add(ref _bytesSent, batchBytes);
                }
                finally
                {
                    foreach (var sent in inFlight)
                    {
                        sent.Release();
                    }

                    inFlight.Clear();
                    segments.Clear();
                }
            }
        }
    }

    private async Task WaitForSendAsync(PushConnection connection, Task send)
    {
        try
        {
            await send.WaitAsync(_options.SendStallTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Fail the stuck send before the caller releases the packets it still points at; observe its fault.
            connection.Abort();
            _ = send.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new PushException(string.Create(CultureInfo.InvariantCulture, $"send stalled for {_options.SendStallTimeout.TotalSeconds:0.#} s"));
        }
    }

    /// <summary>Keeps the server's session alive. An unanswered keep-alive is only logged: media and TCP tell whether the server is there.</summary>
    private async Task KeepAliveAsync(PushConnection connection, ActivePush active, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(active.KeepAliveInterval, _time, cancellationToken).ConfigureAwait(false);
            string status;
            try
            {
                var response = await connection.SendAsync(active.KeepAliveMethod, _url, null, default, cancellationToken).ConfigureAwait(false);
                status = response.StatusCode.ToString(CultureInfo.InvariantCulture);
            }
            catch (PushException ex)
            {
                status = ex.Message;
            }

            PushLog.KeepAlive(_logger, Hub.Path, _url, active.KeepAliveMethod, status);
        }
    }

    private async Task TeardownQuietlyAsync(PushConnection connection)
    {
        using var timeout = new CancellationTokenSource(TeardownTimeout);
        try
        {
            var teardown = connection.SendAsync(RtspMethods.Teardown, _url, null, default, timeout.Token);
            await teardown.WaitAsync(TeardownTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PushException or OperationCanceledException or TimeoutException)
        {
            // Best effort: the connection closes next anyway.
        }
    }

    private static async Task AwaitQuietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or PushException)
        {
        }
    }

    /// <summary>Stops pushing (TEARDOWN when recording), waits for the session task, releases the hub demand. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _demand?.Dispose();
        _stop.Dispose();
        if (_state != PushState.Stopped)
        {
            SetState(PushState.Stopped);
        }
    }

    private enum SessionOutcome
    {
        Failed,
        MediaChanged,
        HubRemoved,
        Stopped,
    }

    private sealed record ActivePush(
        PushConnection Connection,
        IReadOnlyList<TrackDescription> Tracks,
        (byte Rtp, byte Rtcp)[] Channels,
        string KeepAliveMethod,
        TimeSpan KeepAliveInterval);

    private sealed class ConnectionCounters
    {
        private long _packets;
        private long _bytes;

        public long Packets => Interlocked.Read(ref _packets);

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Add(int packets, int bytes)
        {
            Interlocked.Add(ref _packets, packets);
            Interlocked.Add(ref _bytes, bytes);
        }
    }
}
