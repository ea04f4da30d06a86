using Microsoft.Extensions.Logging;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Ingest;
using StreamGateway.Publish.Push;
using StreamGateway.Relay;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>Pushes a relayed camera into GStreamer's RTSP server in RECORD mode and reads back what it received.</summary>
public sealed class PushToGStreamerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);
    private const string Mount = "cou/school-12/gate";

    private static readonly PushOptions FastOptions = new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(2),
        AttemptTimeout = TimeSpan.FromSeconds(10),
    };

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    private static readonly PushOptions RestartOptions = FastOptions with { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task A_pushed_camera_arrives_as_h264_at_its_size_starting_on_a_keyframe()
    {
        var folder = Directory.CreateTempSubdirectory("push-gst-");
        await using var camera = await PushedCamera.StartAsync();
        await using (var server = await RecordServer.StartAsync([Mount], folder.FullName))
        {
            var ended = new List<PushSessionRecord>();
            await using (var push = new PushSession(camera.Hub, new PushTarget(new Uri(server.Url(Mount))), FastOptions, camera.LoggerFactory))
            {
                push.SessionEnded += r => { lock (ended) { ended.Add(r); } };
                push.Start();

                Assert.Equal("CAPS cou/school-12/gate 640x360 video/x-h264", await server.WaitForEventAsync(e => e.StartsWith("CAPS ", StringComparison.Ordinal), EventTimeout));
                Assert.Equal("FIRST cou/school-12/gate key", await server.WaitForEventAsync(e => e.StartsWith("FIRST ", StringComparison.Ordinal), EventTimeout));
                await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/gate 50", EventTimeout);

                var status = push.Status;
                Assert.Equal(PushState.Recording, status.State);
                Assert.Equal(1, status.Connections);
                Assert.True(status.PacketsSent > 50, $"packets sent: {status.PacketsSent}");
                Assert.True(status.BytesSent > 10_000, $"bytes sent: {status.BytesSent}");
                Assert.Null(status.LastError);
                Assert.Contains("SETUP cou/school-12/gate RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", server.Events);
                Assert.Equal(1, server.Count("ANNOUNCE"));
            }

            // Disposal tears the session down: the server sees the connection close, the audit record names it.
            await server.WaitForEventAsync(e => e.StartsWith("CLOSED ", StringComparison.Ordinal), EventTimeout);
            var record = Assert.Single(ended);
            Assert.Equal("stopped", record.Reason);
            Assert.Equal(PushedCamera.Path, record.CameraPath);
            Assert.Equal(server.Url(Mount), record.Url);
            Assert.True(record.BytesSent > 10_000 && record.Ended > record.Started, record.ToString());

            var file = Assert.Single(server.Files);
            var (streams, frames) = await Ffprobe.ProbeFileAsync(file, TimeSpan.FromSeconds(30));
            var video = Assert.Single(streams);
            Assert.Equal(("h264", 640, 360), (video.CodecName, video.Width, video.Height));
            output.WriteLine($"server counted {server.Events.LastOrDefault(e => e.StartsWith("FRAMES ", StringComparison.Ordinal))}; ffprobe decoded {frames} frames from the file");
            Assert.True(frames >= 10, $"ffprobe decoded {frames} frames from {file}");
        }

        await camera.DisposeAsync();
        Assert.Equal(0, camera.Pool.Outstanding);
        folder.Delete(recursive: true);
    }

    [Theory]
    [InlineData("basic")]
    [InlineData("digest")]
    public async Task A_push_authenticates_with_the_scheme_the_server_asks_for(string scheme)
    {
        const string password = "pUsh-s3cret/with@odd:chars";
        var folder = Directory.CreateTempSubdirectory("push-auth-");
        await using var camera = await PushedCamera.StartAsync();
        await using (var server = await RecordServer.StartAsync([Mount], folder.FullName, new PublishAuth(scheme, "gw", password)))
        await using (var push = new PushSession(camera.Hub, new PushTarget(new Uri(server.Url(Mount)), "gw", password), FastOptions, camera.LoggerFactory))
        {
            push.Start();
            await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/gate 25", EventTimeout);
            Assert.Equal(PushState.Recording, push.State);
            Assert.Equal(0, push.Status.FailedAttempts);
            Assert.Contains(camera.Logs.Lines, l => l.EventId == 502 && l.Text.Contains("auth " + (scheme == "basic" ? "Basic" : "Digest"), StringComparison.Ordinal));
        }

        AssertNoSecret(camera, password);
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_secret_free_error_and_the_push_backs_off()
    {
        const string wrong = "not-the-Password-42";
        var folder = Directory.CreateTempSubdirectory("push-auth-");
        await using var camera = await PushedCamera.StartAsync();
        await using (var server = await RecordServer.StartAsync([Mount], folder.FullName, new PublishAuth("digest", "gw", "the-right-one")))
        await using (var push = new PushSession(camera.Hub, new PushTarget(new Uri(server.Url(Mount)), "gw", wrong), FastOptions, camera.LoggerFactory))
        {
            push.Start();
            await PushToFfmpegTests.WaitUntilAsync(() => push.Status.FailedAttempts >= 2, EventTimeout, () => push.Status.ToString());

            var status = push.Status;
            Assert.True(status.AuthFailed, status.ToString());
            Assert.Equal("ANNOUNCE: the server refused the credentials of user 'gw' (401 Unauthorized)", status.LastError);
            Assert.Equal(0, status.Connections);
            Assert.Equal(0, server.Count("RECORD"));
            Assert.Contains(camera.Logs.Lines, l => l.EventId == 508);
            Assert.Contains(camera.Logs.Lines, l => l.EventId == 503 && l.Text.Contains("refused the credentials", StringComparison.Ordinal));
            Assert.DoesNotContain(wrong, status.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(wrong, push.Target.ToString(), StringComparison.Ordinal);
        }

        AssertNoSecret(camera, wrong);
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_killed_server_that_comes_back_gets_the_push_again_while_other_subscribers_are_untouched()
    {
        var folder = Directory.CreateTempSubdirectory("push-restart-");
        await using var camera = await PushedCamera.StartAsync();
        var server = await RecordServer.StartAsync([Mount], folder.FullName);
        var port = server.Port;
        var ended = new List<PushSessionRecord>();
        using var viewer = camera.Hub.Subscribe("viewer");
        var viewerPackets = 0L;
        using var viewerStop = new CancellationTokenSource();
        var viewerTask = Task.Run(async () =>
        {
            try
            {
                while (await viewer.WaitToReadAsync(viewerStop.Token))
                {
                    while (viewer.TryRead(out var packet))
                    {
                        packet.Release();
                        Interlocked.Increment(ref viewerPackets);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var push = new PushSession(camera.Hub, new PushTarget(new Uri(server.Url(Mount))), RestartOptions, camera.LoggerFactory);
        try
        {
            push.SessionEnded += r => { lock (ended) { ended.Add(r); } };
            push.Start();
            await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/gate 25", EventTimeout);

            // The center's media server dies and stays away for 20 s (the issue's scenario).
            await server.KillAsync();
            await server.DisposeAsync();
            var killedAt = DateTime.UtcNow;
            await PushToFfmpegTests.WaitUntilAsync(() => push.State != PushState.Recording, EventTimeout, () => push.Status.ToString());
            var viewerAtKill = Interlocked.Read(ref viewerPackets);
            await Task.Delay(Outage); // the outage itself, not a wait for an event

            // The push alternates between short attempts and back-off pauses: judge one snapshot taken in a pause.
            var paused = push.Status;
            await PushToFfmpegTests.WaitUntilAsync(() => (paused = push.Status).State == PushState.Backoff, EventTimeout, () => push.Status.ToString());
            Assert.True(paused.FailedAttempts >= 3, paused.ToString());
            Assert.NotNull(paused.NextAttemptAt);
            Assert.StartsWith("connect to 127.0.0.1:", paused.LastError, StringComparison.Ordinal);

            // While the center was down the camera's other subscriber kept getting everything: 25 fps, several packets per frame.
            var viewerDuringOutage = Interlocked.Read(ref viewerPackets) - viewerAtKill;
            Assert.True(viewerDuringOutage > 25 * Outage.TotalSeconds, $"the viewer got {viewerDuringOutage} packets during the outage");
            Assert.Null(viewer.CloseReason);

            server = await RecordServer.StartAsync([Mount], folder.FullName, port: port);
            var readyAt = DateTime.UtcNow;
            Assert.Equal("FIRST cou/school-12/gate key", await server.WaitForEventAsync(e => e.StartsWith("FIRST ", StringComparison.Ordinal), EventTimeout));
            var resumedAfter = DateTime.UtcNow - readyAt;
            await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/gate 25", EventTimeout);
            Assert.Equal(PushState.Recording, push.State);
            Assert.Equal(2, push.Status.Connections);
            output.WriteLine($"down {(readyAt - killedAt).TotalSeconds:0.0} s, {push.Status.FailedAttempts} failed attempts; first keyframe at the restarted server {resumedAfter.TotalSeconds:0.00} s after it listened (cap {RestartOptions.MaxDelay.TotalSeconds} s); viewer got {viewerDuringOutage} packets meanwhile, dropped {viewer.DroppedPackets}");
            Assert.True(resumedAfter < RestartOptions.MaxDelay + TimeSpan.FromSeconds(2), $"resumed {resumedAfter} after the server listened again");

            var first = Assert.Single(ended);
            Assert.True(first.BytesSent > 0, first.ToString());
            Assert.True(first.Reason.Contains("closed", StringComparison.Ordinal) || first.Reason.Contains("lost", StringComparison.Ordinal) || first.Reason.Contains("send failed", StringComparison.Ordinal), first.Reason);
        }
        finally
        {
            await push.DisposeAsync();
            await server.DisposeAsync();
            await viewerStop.CancelAsync();
            await viewerTask.WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(0, viewer.DroppedPackets);
        viewer.Dispose();
        await camera.DisposeAsync();
        Assert.Equal(0, camera.Pool.Outstanding);
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_camera_that_changes_codec_parameters_is_announced_again()
    {
        var folder = Directory.CreateTempSubdirectory("push-reannounce-");
        await using var camera = await PushedCamera.StartAsync();
        await using (var server = await RecordServer.StartAsync([Mount], folder.FullName))
        await using (var push = new PushSession(camera.Hub, new PushTarget(new Uri(server.Url(Mount))), FastOptions, camera.LoggerFactory))
        {
            push.Start();
            await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/gate 25", EventTimeout);

            // Same codec, other fmtp (as after a camera's firmware or resolution change): viewers and pushes must re-describe.
            var tracks = camera.Hub.Tracks!;
            camera.Hub.SetTracks([tracks[0] with { Fmtp = tracks[0].Fmtp + ";x-changed=1" }]);
            await server.WaitForEventAsync(e => e.StartsWith("ANNOUNCE ", StringComparison.Ordinal), EventTimeout, skip: server.Events.ToList().FindLastIndex(e => e.StartsWith("ANNOUNCE ", StringComparison.Ordinal)) + 1);
            await PushToFfmpegTests.WaitUntilAsync(() => server.Count("FIRST") == 2, EventTimeout, () => string.Join(" | ", server.Events.TakeLast(8)));
            Assert.Equal("key", server.Events.Last(e => e.StartsWith("FIRST ", StringComparison.Ordinal)).Split(' ')[2]);
            Assert.Equal(2, push.Status.Connections);
        }

        await camera.DisposeAsync();
        Assert.Equal(0, camera.Pool.Outstanding);
        folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_real_camera_pulled_through_the_ingest_is_pushed_with_its_audio_track_as_well()
    {
        var folder = Directory.CreateTempSubdirectory("push-ingest-");
        var pool = new RelayPacketPool();
        await using var camera = await CameraServer.StartAsync([("cam1", "h264+pcma")]);
        await using var server = await RecordServer.StartAsync([Mount], folder.FullName, audio: true);
        var logs = new StreamGateway.IntegrationTests.Publish.PublishLogs();
        using var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs));
        var hub = new StreamHub(PushedCamera.Path, pool: pool);
        var connector = new CameraConnector(new CameraSourceOptions { Path = PushedCamera.Path, Source = new Uri(camera.Url("cam1")), Transport = IngestTransport.Tcp }, hub, loggerFactory);
        try
        {
            connector.Start();
            await using (var push = new PushSession(hub, new PushTarget(new Uri(server.Url(Mount))), FastOptions, loggerFactory))
            {
                push.Start();
                Assert.Equal("CAPS cou/school-12/gate 320x240 video/x-h264", await server.WaitForEventAsync(e => e.StartsWith("CAPS ", StringComparison.Ordinal), EventTimeout));
                Assert.Equal("FIRST cou/school-12/gate key", await server.WaitForEventAsync(e => e.StartsWith("FIRST ", StringComparison.Ordinal), EventTimeout));
                await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/gate 25", EventTimeout);
                Assert.Contains("SETUP cou/school-12/gate RTP/AVP/TCP;unicast;interleaved=2-3;mode=record", server.Events);
                Assert.Equal(1, camera.CountPlays("cam1")); // one pull from the camera, whatever is pushed
            }
        }
        finally
        {
            await connector.DisposeAsync();
            hub.Dispose();
        }

        Assert.Equal(0, pool.Outstanding);
        folder.Delete(recursive: true);
    }

    private static void AssertNoSecret(PushedCamera camera, string secret)
    {
        Assert.NotEmpty(camera.Logs.Lines);
        foreach (var (_, text) in camera.Logs.Lines)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(secret), text, StringComparison.Ordinal);
        }
    }
}
