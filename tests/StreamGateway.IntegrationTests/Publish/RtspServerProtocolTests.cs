using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Publish;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Publish;

/// <summary>The RTSP server's answers, checked with a raw client where players hide the details.</summary>
public sealed class RtspServerProtocolTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Describe_of_an_unknown_path_is_404()
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var response = await client.RequestAsync("DESCRIBE", served.Url("school-1/nope"), "Accept: application/sdp");

        Assert.Equal(404, response.Status);
        Assert.Equal("1", response.Header("CSeq"));
    }

    [Theory]
    [InlineData("{0}")]
    [InlineData("{0}/")]
    [InlineData("{0}?token=abc")]
    public async Task Describe_answers_sdp_with_a_content_base_ending_in_slash(string urlFormat)
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, urlFormat, served.Url());

        var response = await client.RequestAsync("DESCRIBE", url, "Accept: application/sdp");

        Assert.Equal(200, response.Status);
        Assert.Equal("application/sdp", response.Header("Content-Type"));
        Assert.Equal(served.Url() + "/", response.Header("Content-Base"));
        Assert.Equal("StreamGateway", response.Header("Server"));
        Assert.Contains("m=video", response.Body, StringComparison.Ordinal);
        Assert.Contains("H264/90000", response.Body, StringComparison.Ordinal);
        Assert.Contains("sprop-parameter-sets=", response.Body, StringComparison.Ordinal);
        Assert.Contains("a=control:trackID=0", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_lists_the_supported_methods()
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var response = await client.RequestAsync("OPTIONS", served.Url());

        Assert.Equal(200, response.Status);
        var methods = response.Header("Public")!.Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal(["OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER"], methods);
    }

    [Theory]
    [InlineData("RTP/AVP;multicast", 461)]
    [InlineData("RTP/AVP;multicast;destination=232.0.0.1;port=5000-5001", 461)]
    [InlineData("RTP/SAVP;unicast;client_port=5000-5001", 461)]
    [InlineData("RTP/AVP;unicast", 461)]
    [InlineData("RTP/AVP/TCP;unicast;interleaved=0-1", 200)]
    [InlineData("RTP/AVP/TCP;unicast", 200)]
    [InlineData("RTP/AVP;multicast,RTP/AVP/TCP;unicast;interleaved=4-5", 200)]
    [InlineData("RTP/AVP;unicast;client_port=50000-50001", 200)]
    [InlineData("RTP/AVP/UDP;unicast;client_port=50000-50001", 200)]
    public async Task Setup_accepts_unicast_tcp_and_udp_only(string transport, int expectedStatus)
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var response = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: " + transport);

        Assert.Equal(expectedStatus, response.Status);
        if (expectedStatus == 200)
        {
            Assert.Matches(@"^[0-9A-F]{16};timeout=60$", response.Header("Session"));
            Assert.Equal(1, served.Server.SessionCount);
        }
        else
        {
            Assert.Equal(0, served.Server.SessionCount);
        }
    }

    [Theory]
    [InlineData("RTP/AVP/TCP;unicast;interleaved=0-1", "RTP/AVP/TCP;unicast;interleaved=0-1")]
    [InlineData("RTP/AVP/TCP;unicast;interleaved=6-7", "RTP/AVP/TCP;unicast;interleaved=6-7")]
    [InlineData("RTP/AVP/TCP;unicast", "RTP/AVP/TCP;unicast;interleaved=0-1")]
    public async Task Setup_over_tcp_uses_the_clients_channels_or_assigns_them(string transport, string expected)
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var response = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: " + transport);

        Assert.Equal(expected, response.Header("Transport"));
    }

    [Fact]
    public async Task Setup_over_udp_answers_an_even_odd_server_port_pair()
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var response = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: RTP/AVP;unicast;client_port=50000-50001");

        var match = System.Text.RegularExpressions.Regex.Match(response.Header("Transport")!, @"server_port=(\d+)-(\d+)");
        Assert.True(match.Success, response.Header("Transport"));
        var rtp = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var rtcp = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, rtp % 2);
        Assert.Equal(rtp + 1, rtcp);
        Assert.Contains("client_port=50000-50001", response.Header("Transport"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("school-1/replay/trackID=0", 200)]
    [InlineData("school-1/replay", 200)]
    [InlineData("school-1/replay/trackID=1", 404)]
    [InlineData("school-1/replay/trackID=x", 404)]
    [InlineData("school-1/nope/trackID=0", 404)]
    public async Task Setup_resolves_track_control_urls(string path, int expectedStatus)
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var response = await client.RequestAsync("SETUP", served.Url(path), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");

        Assert.Equal(expectedStatus, response.Status);
    }

    [Fact]
    public async Task A_second_setup_mixing_tcp_and_udp_in_one_session_is_461()
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());
        var first = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");
        var session = first.Header("Session")!.Split(';')[0];

        var second = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: RTP/AVP;unicast;client_port=50000-50001", "Session: " + session);

        Assert.Equal(461, second.Status);
    }

    [Theory]
    [InlineData("PLAY", "Session: 0123456789ABCDEF", 454)]
    [InlineData("PLAY", null, 455)]
    [InlineData("PAUSE", "Session: nope", 454)]
    [InlineData("TEARDOWN", "Session: nope", 454)]
    [InlineData("GET_PARAMETER", "Session: nope", 454)]
    [InlineData("GET_PARAMETER", null, 200)]
    [InlineData("SETUP", "Session: nope", 454)]
    [InlineData("RECORD", null, 501)]
    [InlineData("ANNOUNCE", null, 501)]
    [InlineData("FLY", null, 501)]
    public async Task Requests_on_bad_sessions_and_unknown_methods_are_refused(string method, string? header, int expectedStatus)
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var response = header is null
            ? await client.RequestAsync(method, served.Url(), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1")
            : await client.RequestAsync(method, served.Url(), header, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");

        Assert.Equal(expectedStatus, response.Status);
        Assert.Equal("1", response.Header("CSeq"));
    }

    [Fact]
    public async Task A_request_without_cseq_is_400()
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        await client.SendRawAsync($"OPTIONS {served.Url()} RTSP/1.0\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task Malformed_input_is_answered_400_and_the_connection_closed()
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        await client.SendRawAsync("this is not rtsp at all\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.True(await client.WaitForCloseAsync(), "connection stayed open");
    }

    [Fact]
    public async Task Headers_that_do_not_complete_within_the_request_timeout_close_the_connection()
    {
        await using var served = await ServedReplay.StartAsync(new RtspServerOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        await using var client = await RtspTestClient.ConnectAsync(served.Url(), Bound);
        var stopwatch = Stopwatch.StartNew();

        await client.SendRawAsync($"OPTIONS {served.Url()} RTSP/1.0\r\nCSe");

        Assert.True(await client.WaitForCloseAsync(), "slow request was not cut off");
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), Bound);
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_on_accept()
    {
        await using var served = await ServedReplay.StartAsync(new RtspServerOptions { MaxConnections = 1 });
        await using var first = await RtspTestClient.ConnectAsync(served.Url());
        Assert.Equal(200, (await first.RequestAsync("OPTIONS", served.Url())).Status);

        await using var second = await RtspTestClient.ConnectAsync(served.Url(), Bound);

        Assert.True(await second.WaitForCloseAsync(), "second connection was served");
        Assert.Equal(200, (await first.RequestAsync("OPTIONS", served.Url())).Status);
    }

    [Fact]
    public async Task One_client_address_cannot_hold_more_than_its_share_of_connections()
    {
        await using var served = await ServedReplay.StartAsync(new RtspServerOptions { MaxConnectionsPerClientAddress = 2 });
        await using var first = await RtspTestClient.ConnectAsync(served.Url());
        await using var second = await RtspTestClient.ConnectAsync(served.Url());
        Assert.Equal(200, (await first.RequestAsync("OPTIONS", served.Url())).Status);
        Assert.Equal(200, (await second.RequestAsync("OPTIONS", served.Url())).Status);

        await using var third = await RtspTestClient.ConnectAsync(served.Url(), Bound);
        Assert.True(await third.WaitForCloseAsync(), "a third connection from the same address was served");

        // Once a connection ends its slot is free again (the server notices the close asynchronously,
        // so a replacement refused in that instant is retried, a bounded number of times).
        await first.DisposeAsync();
        var served200 = false;
        for (var attempt = 0; attempt < 50 && !served200; attempt++)
        {
            await using var replacement = await RtspTestClient.ConnectAsync(served.Url(), Bound);
            try
            {
                served200 = (await replacement.RequestAsync("OPTIONS", served.Url())).Status == 200;
            }
            catch (Exception e) when (e is IOException or EndOfStreamException or InvalidOperationException)
            {
                // Refused in the instant before the server saw the first connection close.
            }
        }

        Assert.True(served200, "the address's slot was never released");
    }

    [Fact]
    public async Task Sessions_beyond_the_per_connection_limit_are_refused_with_453()
    {
        await using var served = await ServedReplay.StartAsync(new RtspServerOptions { MaxSessionsPerConnection = 2 });
        await using var client = await RtspTestClient.ConnectAsync(served.Url());

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: RTP/AVP/TCP;unicast")).Status);
        }

        Assert.Equal([200, 200, 453], statuses);
        Assert.Equal(2, served.Server.SessionCount);
    }

    [Fact]
    public async Task Describe_of_a_hub_without_tracks_is_503_after_the_wait_and_asks_for_demand()
    {
        using var hub = new StreamHub("school-1/offline");
        var demandSeen = 0;
        hub.DemandChanged += h => Interlocked.Exchange(ref demandSeen, Math.Max(demandSeen, h.DemandCount));
        await using var served = await ServedReplay.StartAsync(
            new RtspServerOptions { DescribeWaitTimeout = TimeSpan.FromMilliseconds(300) },
            new Dictionary<string, StreamHub> { ["school-1/offline"] = hub });
        await using var client = await RtspTestClient.ConnectAsync(served.Url());
        var stopwatch = Stopwatch.StartNew();

        var response = await client.RequestAsync("DESCRIBE", served.Url("school-1/offline"));

        Assert.Equal(503, response.Status);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), Bound);
        Assert.Equal(1, demandSeen);
        Assert.Equal(0, hub.DemandCount);
    }

    [Fact]
    public async Task Describe_answers_as_soon_as_a_waited_for_camera_describes_its_media()
    {
        using var hub = new StreamHub("school-1/late");
        hub.DemandChanged += h =>
        {
            if (h.DemandCount > 0)
            {
                h.SetTracks([H264Track()]);
            }
        };
        await using var served = await ServedReplay.StartAsync(
            new RtspServerOptions { DescribeWaitTimeout = TimeSpan.FromSeconds(8) },
            new Dictionary<string, StreamHub> { ["school-1/late"] = hub });
        await using var client = await RtspTestClient.ConnectAsync(served.Url());
        var stopwatch = Stopwatch.StartNew();

        var response = await client.RequestAsync("DESCRIBE", served.Url("school-1/late"));

        Assert.Equal(200, response.Status);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(4), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task A_viewer_joining_mid_gop_gets_a_keyframe_first_and_quickly()
    {
        await using var served = await ServedReplay.StartAsync();
        // The clip's GOP is 50 frames: join in the middle of one.
        var deadline = Stopwatch.StartNew();
        while (served.Camera.FramesPublished % 50 is < 20 or > 30 || served.Camera.FramesPublished < 50)
        {
            Assert.True(deadline.Elapsed < Bound, "replay camera did not reach mid-GOP");
            await Task.Delay(5);
        }

        await using var client = await RtspTestClient.ConnectAsync(served.Url());
        var setup = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");
        var session = "Session: " + setup.Header("Session")!.Split(';')[0];
        var play = await client.RequestAsync("PLAY", served.Url() + "/", session, "Range: npt=0.000-");
        var sincePlay = Stopwatch.StartNew();
        var (channel, first) = await client.ReadFrameAsync();
        var firstFrameAfter = sincePlay.Elapsed;

        Assert.Equal(200, play.Status);
        Assert.Equal("npt=0.000-", play.Header("Range"));
        Assert.Equal(0, channel);
        Assert.True(RtpHeader.TryParse(first, out var header));
        Assert.True(KeyframeDetector.IsKeyframeStart("H264", RtpHeader.GetPayload(first, header)), "first packet is not a keyframe start");
        Assert.True(firstFrameAfter < TimeSpan.FromMilliseconds(200), $"first packet after {firstFrameAfter.TotalMilliseconds:0} ms");

        // The cached GOP (20+ frames) arrives in a burst, far faster than the 25 fps live pace.
        var timestamps = new HashSet<uint> { header.Timestamp };
        while (timestamps.Count < 15)
        {
            var (_, payload) = await client.ReadFrameAsync();
            Assert.True(RtpHeader.TryParse(payload, out var next));
            timestamps.Add(next.Timestamp);
        }

        Assert.True(sincePlay.Elapsed < TimeSpan.FromMilliseconds(400), $"15 frames took {sincePlay.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Pause_stops_media_and_teardown_ends_the_session()
    {
        await using var served = await ServedReplay.StartAsync();
        await using var client = await RtspTestClient.ConnectAsync(served.Url());
        var setup = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");
        var session = "Session: " + setup.Header("Session")!.Split(';')[0];
        await client.RequestAsync("PLAY", served.Url() + "/", session);
        await client.ReadFrameAsync();

        var pause = await client.RequestAsync("PAUSE", served.Url() + "/", session);
        var keepAlive = await client.RequestAsync("GET_PARAMETER", served.Url() + "/", session);
        var teardown = await client.RequestAsync("TEARDOWN", served.Url() + "/", session);

        Assert.Equal(200, pause.Status);
        Assert.Equal(200, keepAlive.Status);
        Assert.Equal(200, teardown.Status);
        Assert.Equal(0, served.Server.SessionCount);
        var again = await client.RequestAsync("PLAY", served.Url() + "/", session);
        Assert.Equal(454, again.Status);
    }

    [Fact]
    public async Task A_tcp_session_ends_with_its_connection()
    {
        await using var served = await ServedReplay.StartAsync();
        var client = await RtspTestClient.ConnectAsync(served.Url());
        var setup = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");
        await client.RequestAsync("PLAY", served.Url() + "/", "Session: " + setup.Header("Session")!.Split(';')[0]);
        Assert.Equal(1, served.Server.SessionCount);

        await client.DisposeAsync();

        await WaitUntilAsync(() => served.Server.SessionCount == 0, "session outlived its connection");
        Assert.Contains(served.Logs.Lines, l => l.EventId == 410 && l.Text.Contains("connection closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_udp_session_without_rtcp_times_out_and_rtcp_keeps_one_alive()
    {
        await using var served = await ServedReplay.StartAsync(new RtspServerOptions { SessionTimeout = TimeSpan.FromMilliseconds(600) });
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var talking = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var client = await RtspTestClient.ConnectAsync(served.Url());
        var silentPort = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var talkingPort = ((IPEndPoint)talking.Client.LocalEndPoint!).Port;
        var silentSetup = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", $"Transport: RTP/AVP;unicast;client_port={silentPort}-{silentPort + 1}");
        var talkingSetup = await client.RequestAsync("SETUP", served.Url() + "/trackID=0", $"Transport: RTP/AVP;unicast;client_port={talkingPort}-{talkingPort + 1}");
        await client.RequestAsync("PLAY", served.Url() + "/", "Session: " + silentSetup.Header("Session")!.Split(';')[0]);
        await client.RequestAsync("PLAY", served.Url() + "/", "Session: " + talkingSetup.Header("Session")!.Split(';')[0]);
        var serverRtcpPort = int.Parse(
            System.Text.RegularExpressions.Regex.Match(talkingSetup.Header("Transport")!, @"server_port=\d+-(\d+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);

        using var receive = new CancellationTokenSource(Bound);
        var datagram = await silent.ReceiveAsync(receive.Token);
        Assert.True(RtpHeader.TryParse(datagram.Buffer, out _), "first datagram is not RTP");

        // Only the talking viewer sends receiver reports; after well over a timeout only its session is left.
        var stopwatch = Stopwatch.StartNew();
        var report = new byte[] { 0x80, 201, 0, 1, 0, 0, 0, 1 };
        while (stopwatch.Elapsed < TimeSpan.FromMilliseconds(2000))
        {
            await talking.SendAsync(report, new IPEndPoint(IPAddress.Loopback, serverRtcpPort));
            await Task.Delay(100);
        }

        Assert.Equal(1, served.Server.SessionCount);
        Assert.Contains(served.Logs.Lines, l => l.EventId == 410 && l.Text.Contains("timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Removing_the_stream_ends_the_session_and_closes_the_connection()
    {
        var hub = new StreamHub("school-1/removed");
        hub.SetTracks([H264Track()]);
        await using var served = await ServedReplay.StartAsync(extraHubs: new Dictionary<string, StreamHub> { ["school-1/removed"] = hub });
        await using var client = await RtspTestClient.ConnectAsync(served.Url("school-1/removed"));
        var setup = await client.RequestAsync("SETUP", served.Url("school-1/removed") + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");
        var play = await client.RequestAsync("PLAY", served.Url("school-1/removed") + "/", "Session: " + setup.Header("Session")!.Split(';')[0]);
        Assert.Equal(200, play.Status);

        hub.Dispose();

        Assert.True(await client.WaitForCloseAsync(), "connection stayed open after the stream was removed");
        await WaitUntilAsync(() => served.Server.SessionCount == 0, "session outlived its stream");
        Assert.Contains(served.Logs.Lines, l => l.EventId == 410 && l.Text.Contains("stream removed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_packet_sent_to_a_viewer_is_released_back_to_the_pool()
    {
        var pool = new RelayPacketPool();
        var hub = new StreamHub("school-1/counted", pool: pool);
        hub.SetTracks([H264Track()]);
        await using var served = await ServedReplay.StartAsync(extraHubs: new Dictionary<string, StreamHub> { ["school-1/counted"] = hub });
        await using var client = await RtspTestClient.ConnectAsync(served.Url("school-1/counted"));
        var setup = await client.RequestAsync("SETUP", served.Url("school-1/counted") + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1");
        var session = "Session: " + setup.Header("Session")!.Split(';')[0];
        await client.RequestAsync("PLAY", served.Url("school-1/counted") + "/", session);
        await WaitUntilAsync(() => hub.SubscriberCount == 1, "PLAY did not subscribe");

        const int Count = 300;
        for (var i = 0; i < Count; i++)
        {
            PublishFakeRtp(hub, (ushort)i, keyframe: i % 100 == 0);
            if (i % 100 == 50)
            {
                PublishFakeSenderReport(hub);
            }
        }

        var rtcpFrames = 0;
        for (var i = 0; i < Count;)
        {
            var (channel, payload) = await client.ReadFrameAsync();
            if (channel == 1)
            {
                Assert.Equal(Rtcp.SenderReport, payload[1]);
                rtcpFrames++;
                continue;
            }

            Assert.Equal(0, channel);
            Assert.True(RtpHeader.TryParse(payload, out var header));
            Assert.Equal((ushort)i, header.SequenceNumber);
            i++;
        }

        Assert.Equal(3, rtcpFrames);

        await client.RequestAsync("TEARDOWN", served.Url("school-1/counted") + "/", session);
        hub.Dispose();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public async Task A_viewer_that_stops_reading_drops_its_own_packets_without_stalling_the_stream_or_other_viewers()
    {
        var hub = new StreamHub("school-1/fast", new RelayOptions { SubscriberQueueCapacity = 256 });
        hub.SetTracks([H264Track()]);
        await using var served = await ServedReplay.StartAsync(extraHubs: new Dictionary<string, StreamHub> { ["school-1/fast"] = hub });
        var url = served.Url("school-1/fast");
        await using var stalled = await RtspTestClient.ConnectAsync(url, receiveBufferSize: 4096);
        await using var reader = await RtspTestClient.ConnectAsync(url);
        var stalledSession = (await stalled.RequestAsync("SETUP", url + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1")).Header("Session")!.Split(';')[0];
        var readerSession = (await reader.RequestAsync("SETUP", url + "/trackID=0", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1")).Header("Session")!.Split(';')[0];
        await stalled.RequestAsync("PLAY", url + "/", "Session: " + stalledSession);
        await reader.RequestAsync("PLAY", url + "/", "Session: " + readerSession);
        await WaitUntilAsync(() => hub.SubscriberCount == 2, "PLAY did not subscribe");

        // 40 rounds of 200 packets of 1400 bytes (11 MB): far beyond what the stalled viewer's socket can hold.
        var publishing = TimeSpan.Zero;
        ushort sequence = 0;
        for (var round = 0; round < 40; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < 200; i++)
            {
                PublishFakeRtp(hub, sequence++, keyframe: i == 0, size: 1400);
            }

            publishing += stopwatch.Elapsed;
            for (var i = 0; i < 200; i++)
            {
                var (_, payload) = await reader.ReadFrameAsync();
                Assert.True(RtpHeader.TryParse(payload, out var header));
                Assert.Equal((ushort)(sequence - 200 + i), header.SequenceNumber);
            }
        }

        var stalledCounts = served.Server.FindSession(stalledSession)!.GetCounts();
        var readerCounts = served.Server.FindSession(readerSession)!.GetCounts();
        Assert.True(stalledCounts.Dropped > 0, $"stalled viewer dropped nothing (delivered {stalledCounts.Delivered})");
        Assert.Equal(0, readerCounts.Dropped);
        Assert.Equal(8000, readerCounts.Delivered);
        Assert.True(publishing < TimeSpan.FromSeconds(2), $"publishing 8000 packets took {publishing.TotalMilliseconds:0} ms");
        hub.Dispose();
    }

    internal static TrackDescription H264Track() => new()
    {
        Index = 0,
        Kind = MediaKind.Video,
        PayloadType = 96,
        EncodingName = "H264",
        ClockRate = 90000,
        Fmtp = "packetization-mode=1;profile-level-id=4D401E;sprop-parameter-sets=Z01AHpZUBQF/LA==,aO48gA==",
        ControlUrl = "trackID=0",
    };

    private static void PublishFakeRtp(StreamHub hub, ushort sequence, bool keyframe, int size = 200)
    {
        var packet = hub.Pool.Rent(size);
        var span = packet.Buffer.Span;
        span[..size].Clear();
        span[0] = 0x80;
        span[1] = 96;
        RtpHeader.WriteSequenceNumber(span, sequence);
        RtpHeader.WriteTimestamp(span, (uint)sequence * 3600);
        RtpHeader.WriteSsrc(span, 0x1234);
        span[12] = keyframe ? (byte)0x65 : (byte)0x41; // IDR or non-IDR slice NAL header
        packet.Length = size;
        packet.TrackIndex = 0;
        packet.IsKeyframeStart = keyframe;
        packet.RtpTimestamp = (uint)sequence * 3600;
        hub.Publish(packet);
        packet.Release();
    }

    private static void PublishFakeSenderReport(StreamHub hub)
    {
        var packet = hub.Pool.Rent(28);
        var span = packet.Buffer.Span;
        span[..28].Clear();
        span[0] = 0x80;
        span[1] = Rtcp.SenderReport;
        span[3] = 6; // length in 32-bit words minus one
        packet.Length = 28;
        packet.IsRtcp = true;
        hub.Publish(packet);
        packet.Release();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string message)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < Bound, message);
            await Task.Delay(10);
        }
    }
}
