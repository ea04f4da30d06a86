using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Publish.Push;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>The push session's state machine against scripted receivers: bad answers, keep-alives, waiting, back-off on a fake clock.</summary>
public sealed class PushSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static readonly PushOptions FastOptions = new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromMilliseconds(500),
        RequestTimeout = TimeSpan.FromSeconds(2),
    };

    private static readonly TrackDescription Video = new()
    {
        Index = 0,
        Kind = MediaKind.Video,
        PayloadType = 96,
        EncodingName = "H264",
        ClockRate = 90000,
        Fmtp = "packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==",
        ControlUrl = "rtsp://camera/stream/trackID=0",
    };

    internal static string? Happy(RtspRequest request, ScriptedReceiver receiver) => request.Method switch
    {
        RtspMethods.Options => ScriptedReceiver.Ok("Public: OPTIONS, ANNOUNCE, SETUP, RECORD, GET_PARAMETER, TEARDOWN\r\n"),
        RtspMethods.Setup => ScriptedReceiver.Ok("Session: 12345678;timeout=2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n"),
        _ => ScriptedReceiver.Ok(),
    };

    public static TheoryData<string, string?, string> BadAnswers => new()
    {
        { RtspMethods.Announce, "RTSP/1.0 500 Internal Server Error\r\nCSeq: {cseq}\r\n\r\n", "ANNOUNCE answered 500 Internal Server Error" },
        { RtspMethods.Announce, "RTSP/1.0 403 Forbidden\r\nCSeq: {cseq}\r\n\r\n", "ANNOUNCE answered 403 Forbidden" },
        { RtspMethods.Setup, ScriptedReceiver.Ok(), "SETUP answered without a Session header" },
        { RtspMethods.Setup, ScriptedReceiver.Ok("Session: 1\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n"), "SETUP answered a transport other than TCP interleaved: RTP/AVP;unicast;client_port=5000-5001" },
        { RtspMethods.Record, "RTSP/1.0 454 Session Not Found\r\nCSeq: {cseq}\r\n\r\n", "RECORD answered 454 Session Not Found" },
        { RtspMethods.Announce, "HTTP/1.1 200 OK\r\n\r\n", "the server sent a malformed RTSP message" },
        { RtspMethods.Announce, null, "server closed the connection" },
        { RtspMethods.Options, "RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Basic realm=\"cou\"\r\n\r\n", "OPTIONS: the server requires authentication and no credentials are configured (401)" },
    };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public async Task A_bad_server_answer_is_a_logged_value_and_the_push_backs_off(string method, string? answer, string expectedError)
    {
        await using var receiver = new ScriptedReceiver((request, r) => request.Method == method ? answer : Happy(request, r));
        using var hub = new StreamHub("school-1/cam");
        hub.SetTracks([Video]);
        await using var push = new PushSession(hub, new PushTarget(new Uri(receiver.Url("live"))), FastOptions, NullLoggerFactory.Instance);
        push.Start();

        await PushToFfmpegTests.WaitUntilAsync(() => push.Status.FailedAttempts >= 2, Timeout, () => push.Status.ToString());
        var status = push.Status;
        Assert.StartsWith(expectedError, status.LastError, StringComparison.Ordinal);
        Assert.Equal(0, status.Connections);
        Assert.True(status.State is PushState.Backoff or PushState.Connecting, status.ToString());
    }

    [Fact]
    public async Task A_recording_push_keeps_the_session_alive_answers_the_server_and_discards_its_reports()
    {
        await using var receiver = new ScriptedReceiver(Happy);
        await using var camera = await PushedCamera.StartAsync();
        await using (var push = new PushSession(camera.Hub, new PushTarget(new Uri(receiver.Url("live/school-12"))), FastOptions, camera.LoggerFactory))
        {
            push.Start();
            await PushToFfmpegTests.WaitUntilAsync(() => receiver.FramesReceived > 50, Timeout, () => push.Status.ToString());

            // A receiver report on the RTCP channel and a server request, in one write: both must be consumed.
            var report = new byte[] { (byte)'$', 1, 0, 8, 0x80, 201, 0, 1, 1, 2, 3, 4 };
            var request = Encoding.ASCII.GetBytes("GET_PARAMETER rtsp://127.0.0.1/live/school-12 RTSP/1.0\r\nCSeq: 99\r\nSession: 12345678\r\n\r\n");
            await receiver.SendToClientsAsync([.. report, .. request]);

            // Session timeout 2 s: a GET_PARAMETER keep-alive (the server lists it) within about a second.
            await PushToFfmpegTests.WaitUntilAsync(
                () => receiver.Requests.Any(r => r.Method == RtspMethods.GetParameter && r.Headers.Get("Session") == "12345678"),
                Timeout,
                () => string.Join(", ", receiver.Requests.Select(r => r.Method)));
            await PushToFfmpegTests.WaitUntilAsync(() => receiver.Responses.Any(r => r.CSeq == 99), Timeout, () => "no answer to the server's request");
            Assert.Equal(200, receiver.Responses.First(r => r.CSeq == 99).StatusCode);

            var framesBefore = receiver.FramesReceived;
            await PushToFfmpegTests.WaitUntilAsync(() => receiver.FramesReceived > framesBefore + 25, Timeout, () => push.Status.ToString());
            Assert.Equal(PushState.Recording, push.State);
            Assert.Equal(1, push.Status.Connections);

            var announce = receiver.Requests.Single(r => r.Method == RtspMethods.Announce);
            Assert.Equal("application/sdp", announce.Headers.Get("Content-Type"));
            Assert.Contains("a=rtpmap:96 H264/90000", announce.BodyText, StringComparison.Ordinal);
            var setup = receiver.Requests.Single(r => r.Method == RtspMethods.Setup);
            Assert.Equal(receiver.Url("live/school-12") + "/trackID=0", setup.Uri);
        }

        // Disposal says goodbye.
        await PushToFfmpegTests.WaitUntilAsync(() => receiver.Requests.Any(r => r.Method == RtspMethods.Teardown), Timeout, () => "no TEARDOWN");
        await camera.DisposeAsync();
        Assert.Equal(0, camera.Pool.Outstanding);
    }

    [Fact]
    public async Task A_camera_without_tracks_yet_is_waited_for_then_pushed()
    {
        await using var receiver = new ScriptedReceiver(Happy);
        using var hub = new StreamHub("school-1/cam");
        await using var push = new PushSession(hub, new PushTarget(new Uri(receiver.Url("live"))), FastOptions, NullLoggerFactory.Instance);
        push.Start();
        await PushToFfmpegTests.WaitUntilAsync(() => push.State == PushState.Waiting, Timeout, () => push.Status.ToString());
        Assert.Empty(receiver.Requests);
        Assert.Equal(1, hub.DemandCount); // an on-demand camera must start for a push

        hub.SetTracks([Video]);
        await PushToFfmpegTests.WaitUntilAsync(() => push.State == PushState.Recording, Timeout, () => push.Status.ToString());
        Assert.Equal([RtspMethods.Options, RtspMethods.Announce, RtspMethods.Setup, RtspMethods.Record], receiver.Requests.Select(r => r.Method).ToArray());
    }

    [Fact]
    public async Task A_removed_camera_stops_its_push()
    {
        await using var receiver = new ScriptedReceiver(Happy);
        var hub = new StreamHub("school-1/cam");
        hub.SetTracks([Video]);
        var records = new List<PushSessionRecord>();
        await using var push = new PushSession(hub, new PushTarget(new Uri(receiver.Url("live"))), FastOptions, NullLoggerFactory.Instance);
        push.SessionEnded += r => { lock (records) { records.Add(r); } };
        push.Start();
        await PushToFfmpegTests.WaitUntilAsync(() => push.State == PushState.Recording, Timeout, () => push.Status.ToString());

        hub.Dispose();
        await PushToFfmpegTests.WaitUntilAsync(() => push.State == PushState.Stopped, Timeout, () => push.Status.ToString());
        Assert.Equal(SubscriptionCloseReasons.StreamRemoved, Assert.Single(records).Reason);
    }

    [Fact]
    public async Task Attempts_back_off_exponentially_with_jitter_up_to_the_cap_on_the_injected_clock()
    {
        var refused = FreePorts.Tcp(); // nothing listens there: every connect is refused at once
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = new PushOptions { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30) };
        using var hub = new StreamHub("school-1/cam");
        hub.SetTracks([Video]);
        await using var push = new PushSession(hub, new PushTarget(new Uri($"rtsp://127.0.0.1:{refused}/live")), options, NullLoggerFactory.Instance, time);
        push.Start();

        var delays = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            await PushToFfmpegTests.WaitUntilAsync(() => push.Status.FailedAttempts == attempt && push.State == PushState.Backoff, Timeout, () => push.Status.ToString());
            var delay = push.Status.NextAttemptAt!.Value - time.GetUtcNow();
            delays.Add(delay);
            Assert.InRange(delay, TimeSpan.Zero, options.MaxDelay);

            // Nothing happens until the clock reaches the attempt (a real-time pause proves no hidden real timer)...
            if (attempt == 1)
            {
                await Task.Delay(300);
                Assert.Equal(1, push.Status.FailedAttempts);
            }

            // ...and then the next attempt runs.
            time.Advance(delay + TimeSpan.FromMilliseconds(1));
        }

        Assert.StartsWith("connect to 127.0.0.1:", push.Status.LastError, StringComparison.Ordinal);
        Assert.True(delays.Skip(6).Average(d => d.TotalSeconds) > 4 * delays.Take(2).Average(d => d.TotalSeconds), string.Join(", ", delays));
    }
}
