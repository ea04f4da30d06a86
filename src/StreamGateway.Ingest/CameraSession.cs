using System.Buffers;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Relay;

namespace StreamGateway.Ingest;

/// <summary>
/// One RTSP session with a camera: OPTIONS, DESCRIBE, SETUP of every relayed track, PLAY, then media
/// into the hub with keep-alives, until the link fails, media stalls or the caller stops it.
/// Reconnecting is not its business: the connector's policy decides that.
/// </summary>
internal sealed class CameraSession : IAsyncDisposable
{
    private const int DefaultSessionTimeoutSeconds = 60;
    private static readonly TimeSpan RtcpReportInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MinWatchdogTick = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxWatchdogTick = TimeSpan.FromMilliseconds(500);

    private readonly CameraSourceOptions _options;
    private readonly IngestTransport _transport;
    private readonly StreamHub _hub;
    private readonly IngestCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<UdpTrackReceiver> _udpReceivers = [];

    // The hub takes one producer at a time; over UDP every track's two sockets receive on their own loop.
    private readonly Lock _publishGate = new();
    private RtspClientConnection? _connection;
    private IReadOnlyList<TrackDescription> _tracks = [];
    private readonly Func<TrackDescription, RtpContinuity> _continuityFor;
    private RtpContinuity[] _continuity = [];
    private bool _hasVideo;
    private AccessUnitWakeup _wakeup; // under _publishGate

    // Interleaved channel → (track index, is RTCP); 256 channels at most on the wire.
    private readonly int[] _channelToTrack = Enumerable.Repeat(-1, 256).ToArray();
    private readonly bool[] _channelIsRtcp = new bool[256];

    private string? _sessionId;
    private int _sessionTimeoutSeconds = DefaultSessionTimeoutSeconds;
    private string _playUrl = string.Empty;
    private bool _supportsGetParameter;
    private long _lastPacketAt;
    private readonly TaskCompletionSource _firstPacket = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="continuityFor">The connector's per-track rewriter, which outlives this session.</param>
    public CameraSession(CameraSourceOptions options, IngestTransport transport, StreamHub hub, IngestCounters counters, ILogger logger, TimeProvider time, Func<TrackDescription, RtpContinuity> continuityFor)
    {
        if (transport == IngestTransport.Auto)
        {
            throw new ArgumentException("a session runs over one concrete transport", nameof(transport));
        }

        _options = options;
        _transport = transport;
        _hub = hub;
        _counters = counters;
        _logger = logger;
        _time = time;
        _continuityFor = continuityFor;
    }

    public IReadOnlyList<TrackDescription> Tracks => _tracks;

    public IngestTransport Transport => _transport;

    public bool HasReceivedMedia => Interlocked.Read(ref _lastPacketAt) != 0;

    /// <summary>Runs OPTIONS to PLAY. On return the camera is sending.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        var source = _options.Source;
        _connection = await RtspClientConnection.ConnectAsync(
            source, _options.Username, _options.Password, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        _connection.FrameHandler = OnInterleavedFrame;

        var url = source.AbsoluteUri;
        var options = await RequestAsync(RtspMethods.Options, url, null, cancellationToken).ConfigureAwait(false);
        _supportsGetParameter = options.Headers.Get("Public")?.Contains(RtspMethods.GetParameter, StringComparison.OrdinalIgnoreCase) == true;

        var describe = await RequestAsync(RtspMethods.Describe, url, h => h.Add("Accept", "application/sdp"), cancellationToken).ConfigureAwait(false);
        if (!SessionDescription.TryParse(describe.BodyText, out var sdp, out var sdpError))
        {
            throw new RtspClientException($"camera's SDP is unusable: {sdpError}");
        }

        var contentBase = ParseBase(describe.Headers.Get("Content-Base")) ?? ParseBase(describe.Headers.Get("Content-Location"));
        var selection = TrackSelector.Select(sdp!, source, contentBase);
        foreach (var skipped in selection.Skipped)
        {
            IngestLog.TrackSkipped(_logger, _options.Path, skipped);
        }

        if (selection.Tracks.Count == 0)
        {
            throw new RtspClientException("camera offers no track the gateway can relay");
        }

        _tracks = selection.Tracks;
        _continuity = [.. _tracks.Select(_continuityFor)];
        _hasVideo = _tracks.Any(t => t.Kind == MediaKind.Video);
        _playUrl = ResolveSessionControl(sdp!.Control, contentBase ?? source);

        foreach (var track in _tracks)
        {
            await SetupTrackAsync(track, cancellationToken).ConfigureAwait(false);
        }

        var play = await RequestAsync(RtspMethods.Play, _playUrl, h =>
        {
            h.Add("Session", _sessionId!);
            h.Add("Range", "npt=0.000-");
        }, cancellationToken).ConfigureAwait(false);
        if (play.Headers.Get("Session") is { } playSession && SessionHeader.TryParse(playSession, out var parsed) && parsed.TimeoutSeconds is > 0 and var t)
        {
            _sessionTimeoutSeconds = t;
        }

        foreach (var receiver in _udpReceivers)
        {
            receiver.Start();
        }
    }

    /// <summary>Completes when the first RTP packet arrives; throws <see cref="NoMediaException"/> after <paramref name="timeout"/>.</summary>
    public async Task WaitForFirstPacketAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connectionLost = _connection!.Completion;
        try
        {
            var first = await Task.WhenAny(_firstPacket.Task, connectionLost).WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            if (first == connectionLost)
            {
                await connectionLost.ConfigureAwait(false);
                throw new RtspClientException("camera closed the connection after PLAY");
            }
        }
        catch (TimeoutException)
        {
            throw new NoMediaException($"no media within {timeout.TotalSeconds:0.#} s of PLAY over {_transport}");
        }
    }

    /// <summary>
    /// After <see cref="WaitForFirstPacketAsync"/>: keeps the session alive until the connection fails, media stalls, or cancellation.
    /// Throws <see cref="RtspClientException"/> on failure; returns normally only when cancelled.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException("session not open");
        var startedAt = _time.GetTimestamp();
        // Keep-alive well inside the camera's session timeout: its timeout minus a fifth, at least 10 s of margin.
        var keepAliveEvery = TimeSpan.FromSeconds(Math.Max(2, Math.Min(_sessionTimeoutSeconds * 0.8, _sessionTimeoutSeconds - 10)));
        var lastKeepAlive = startedAt;
        var lastReport = startedAt;
        // The watchdog ticks at a tenth of the stall timeout (500 ms by default; 100 ms..500 ms), so a stall is seen
        // within a tenth of its limit. The connection's end stops the ticker, so the loop waits on the ticker alone:
        // a wait on a PeriodicTimer does not allocate, where a WhenAny of two tasks per tick did (about 40 KB/s of
        // garbage at N=50 cameras, and 200 timer wake-ups/s with the earlier fixed 250 ms).
        var period = TimeSpan.FromTicks(Math.Clamp(_options.Reconnect.StallTimeout.Ticks / 10, MinWatchdogTick.Ticks, MaxWatchdogTick.Ticks));
        using var ticker = new PeriodicTimer(period, _time);
        _ = connection.Completion.ContinueWith(static (_, state) => ((PeriodicTimer)state!).Dispose(), ticker, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        while (!cancellationToken.IsCancellationRequested)
        {
            var ticked = await ticker.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            if (connection.Completion.IsCompleted)
            {
                await connection.Completion.ConfigureAwait(false); // rethrows the read loop's failure
                throw new RtspClientException("camera closed the connection");
            }

            if (!ticked)
            {
                return;
            }

            var now = _time.GetTimestamp();
            var last = Interlocked.Read(ref _lastPacketAt);
            if (_time.GetElapsedTime(last, now) > _options.Reconnect.StallTimeout)
            {
                throw new StallException($"media stalled: no packet for {_options.Reconnect.StallTimeout.TotalSeconds:0.#} s");
            }

            if (_time.GetElapsedTime(lastKeepAlive, now) >= keepAliveEvery)
            {
                lastKeepAlive = now;
                _ = SendKeepAliveAsync(cancellationToken);
            }

            if (_time.GetElapsedTime(lastReport, now) >= RtcpReportInterval)
            {
                lastReport = now;
                await SendReceiverReportsAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task SendKeepAliveAsync(CancellationToken cancellationToken)
    {
        try
        {
            var method = _supportsGetParameter ? RtspMethods.GetParameter : RtspMethods.Options;
            await _connection!.SendAsync(method, _playUrl, h => h.Add("Session", _sessionId!), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RtspClientException or OperationCanceledException)
        {
            // A dead link surfaces through the read loop or the stall watchdog.
        }
    }

    /// <summary>
    /// Sends a receiver report per track every few seconds: many cameras stop sending when no RTCP
    /// arrives. Over TCP it goes as an interleaved frame on the track's RTCP channel.
    /// </summary>
    private async Task SendReceiverReportsAsync(CancellationToken cancellationToken)
    {
        var report = new byte[InterleavedFrame.HeaderLength + Rtcp.ReceiverReportLength];
        var body = report.AsMemory(InterleavedFrame.HeaderLength);
        var length = Rtcp.WriteReceiverReport(body.Span, reporterSsrc: 0x53474157, sourceSsrc: 0, extendedHighestSequence: 0, lastSenderReportMiddle32: 0, delaySinceLastSr: 0);
        try
        {
            if (_transport == IngestTransport.Udp)
            {
                foreach (var receiver in _udpReceivers)
                {
                    await receiver.SendRtcpAsync(body[..length], cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            for (var channel = 0; channel < _channelToTrack.Length; channel++)
            {
                if (_channelToTrack[channel] >= 0 && _channelIsRtcp[channel])
                {
                    InterleavedFrame.WriteHeader(report, (byte)channel, length);
                    await _connection!.WriteAsync(report.AsMemory(0, InterleavedFrame.HeaderLength + length), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (RtspClientException)
        {
            // A broken link is reported by the read loop.
        }
    }

    private async Task SetupTrackAsync(TrackDescription track, CancellationToken cancellationToken)
    {
        string transportValue;
        UdpTrackReceiver? receiver = null;
        if (_transport == IngestTransport.Tcp)
        {
            transportValue = $"RTP/AVP/TCP;unicast;interleaved={track.Index * 2}-{(track.Index * 2) + 1}";
        }
        else
        {
            var index = track.Index;
            receiver = UdpTrackReceiver.Bind(IPAddress.Any, _hub.Pool, (packet, isRtcp) => OnPacket(packet, index, isRtcp), () => _counters.CountMalformed());
            _udpReceivers.Add(receiver);
            transportValue = $"RTP/AVP;unicast;client_port={receiver.RtpPort}-{receiver.RtcpPort}";
        }

        var response = await RequestAsync(RtspMethods.Setup, track.ControlUrl, h =>
        {
            h.Add("Transport", transportValue);
            if (_sessionId is not null)
            {
                h.Add("Session", _sessionId);
            }
        }, cancellationToken).ConfigureAwait(false);

        if (_sessionId is null)
        {
            if (response.Headers.Get("Session") is not { } sessionValue || !SessionHeader.TryParse(sessionValue, out var session))
            {
                throw new RtspClientException("camera answered SETUP without a usable Session header");
            }

            _sessionId = session.Id;
            _sessionTimeoutSeconds = session.TimeoutSeconds is > 0 and var t ? t : DefaultSessionTimeoutSeconds;
        }

        var answered = response.Headers.Get("Transport") is { } tv ? RtspTransport.ParseList(tv).FirstOrDefault() : null;
        if (_transport == IngestTransport.Tcp)
        {
            var (rtpChannel, rtcpChannel) = answered?.Interleaved ?? (track.Index * 2, (track.Index * 2) + 1);
            MapChannel(rtpChannel, track.Index, isRtcp: false);
            MapChannel(rtcpChannel, track.Index, isRtcp: true);
        }
        else if (answered?.ServerPort is { } serverPorts)
        {
            // Cameras often name a wrong source= (127.0.0.1, a NAT-internal address): the control
            // connection's peer is where the media really comes from.
            receiver!.CameraRtcpEndPoint = new IPEndPoint(_connection!.RemoteAddress, serverPorts.Second);
        }
    }

    private void MapChannel(int channel, int trackIndex, bool isRtcp)
    {
        if (channel is >= 0 and < 256)
        {
            _channelToTrack[channel] = trackIndex;
            _channelIsRtcp[channel] = isRtcp;
        }
    }

    private async Task<RtspResponse> RequestAsync(string method, string url, Action<RtspHeaders>? headers, CancellationToken cancellationToken)
    {
        var response = await _connection!.SendAsync(method, url, headers, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != 200)
        {
            var hint = response.StatusCode == 401
                ? (_options.HasCredentials ? " (credentials rejected)" : " (camera needs credentials: set Username/Password)")
                : string.Empty;
            throw new RtspClientException($"{method} answered {response.StatusCode} {response.Reason}{hint}", response.StatusCode);
        }

        return response;
    }

    private void OnInterleavedFrame(byte channel, in ReadOnlySequence<byte> payload)
    {
        var trackIndex = _channelToTrack[channel];
        if (trackIndex < 0 || payload.Length == 0)
        {
            _counters.CountMalformed();
            return;
        }

        var packet = _hub.Pool.Rent((int)payload.Length);
        payload.CopyTo(packet.Buffer.Span);
        packet.Length = (int)payload.Length;
        OnPacket(packet, trackIndex, _channelIsRtcp[channel]);
    }

    /// <summary>
    /// Validates, classifies and publishes one packet; wakes the viewers at the end of each access unit (see
    /// <see cref="AccessUnitWakeup"/>). Takes ownership of the caller's reference.
    /// </summary>
    private void OnPacket(RelayPacket packet, int trackIndex, bool isRtcp)
    {
        var data = packet.Data.Span;
        var heldVideo = false;
        var marker = false;
        if (isRtcp)
        {
            if (!Rtcp.IsValidCompound(data))
            {
                _counters.CountMalformed();
                packet.Release();
                return;
            }

            var length = _continuity[trackIndex].RewriteRtcp(packet.Buffer.Span[..packet.Length]);
            if (length == 0)
            {
                packet.Release();
                return;
            }

            packet.Length = length;
        }
        else
        {
            if (!RtpHeader.TryParse(data, out var header))
            {
                _counters.CountMalformed();
                packet.Release();
                return;
            }

            var track = _tracks[trackIndex];
            packet.IsKeyframeStart = track.IsVideoWithKeyframes
                && KeyframeDetector.IsKeyframeStart(track.EncodingName, RtpHeader.GetPayload(data, header));
            _continuity[trackIndex].RewriteRtp(packet.Buffer.Span, header);
            packet.RtpTimestamp = header.Timestamp;
            Interlocked.Exchange(ref _lastPacketAt, _time.GetTimestamp());
            if (!_hasVideo || track.Kind == MediaKind.Video)
            {
                // A session that brings back audio without video is not up yet.
                _firstPacket.TrySetResult();
            }

            _counters.CountPacket(packet.Length);
            if (track.Kind == MediaKind.Video)
            {
                heldVideo = true;
                marker = header.Marker;
                if (packet.IsKeyframeStart)
                {
                    _counters.CountKeyframe(header.Timestamp);
                }

                if (header.Marker)
                {
                    _counters.CountFrame();
                }
            }
        }

        packet.TrackIndex = trackIndex;
        packet.IsRtcp = isRtcp;
        packet.ReceivedAt = Stopwatch.GetTimestamp();
        bool wake;
        lock (_publishGate)
        {
            _hub.Publish(packet, wakeSubscribers: false);
            wake = _wakeup.ShouldWake(heldVideo, marker, packet.RtpTimestamp, packet.Length);
        }

        if (wake)
        {
            // Outside the gate: RTSP viewers' sends run inline here, and another track's loop may publish meanwhile.
            _hub.WakeSubscribers();
        }

        packet.Release();
    }

    private static Uri? ParseBase(string? value) =>
        value is not null && Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>The aggregate control URL for PLAY (RFC 2326 C.1.1): absolute as given, relative to the base, else the base.</summary>
    private static string ResolveSessionControl(string? control, Uri baseUri)
    {
        if (string.IsNullOrWhiteSpace(control) || control.Trim() == "*")
        {
            return baseUri.AbsoluteUri;
        }

        control = control.Trim();
        if (Uri.TryCreate(control, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("rtsp", StringComparison.OrdinalIgnoreCase))
        {
            return absolute.AbsoluteUri;
        }

        var text = baseUri.AbsoluteUri;
        return text.EndsWith('/') ? text + control : text + "/" + control;
    }

    /// <summary>Sends TEARDOWN (best effort, short timeout) and closes everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            if (_sessionId is not null && !_connection.Completion.IsCompleted)
            {
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await _connection.SendAsync(RtspMethods.Teardown, _playUrl, h => h.Add("Session", _sessionId), cts.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RtspClientException or OperationCanceledException or TimeoutException)
                {
                    // The camera will time the session out.
                }
            }

            _connection.FrameHandler = null;
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var receiver in _udpReceivers)
        {
            await receiver.DisposeAsync().ConfigureAwait(false);
        }

        _udpReceivers.Clear();
    }
}

/// <summary>The session is up but no media arrives (UDP blocked, camera not sending video).</summary>
public sealed class NoMediaException(string message) : Exception(message);

/// <summary>Media stopped on a session that looks alive (frozen camera, half-open link).</summary>
public sealed class StallException(string message) : Exception(message);
