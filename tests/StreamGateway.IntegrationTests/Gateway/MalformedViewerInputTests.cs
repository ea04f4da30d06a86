using System.Net.Sockets;
using System.Text;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Gateway;

/// <summary>
/// Thousands of malformed requests against the gateway's RTSP server while a real viewer watches a
/// healthy camera: the process keeps serving, the viewer keeps decoding, and no pooled buffer leaks.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class MalformedViewerInputTests
{
    private const int Inputs = 2000;
    private const int Seed = 20261127;

    [Fact]
    public async Task The_server_survives_thousands_of_malformed_requests_while_relaying()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264")]);
        RelayPacketPool pool;
        await using (var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url("cam"), "tcp")]))
        {
            pool = gateway.Pool;
            var url = gateway.Url("school-1/cam");
            var viewer = Ffmpeg.CountFramesAsync(url, "tcp", seconds: 10, TimeSpan.FromSeconds(60));
            var hub = gateway.Host.Registry.Resolve("school-1/cam")!;
            await RelayThroughGatewayTests.WaitUntilAsync(() => hub.SubscriberCount == 1, TimeSpan.FromSeconds(20));

            var random = new Random(Seed);
            var endPoint = gateway.Host.RtspEndPoint;
            var closedByServer = 0;
            for (var i = 0; i < Inputs; i++)
            {
                if (await SendAsync(endPoint.Port, MalformedInput(random, url, i)))
                {
                    closedByServer++;
                }
            }

            var frames = await viewer;
            Assert.True(frames.VideoFrames >= 200, $"the viewer decoded only {frames.VideoFrames} frames in 10 s during the flood");
            Assert.True(closedByServer > Inputs / 2, $"the server closed only {closedByServer} of {Inputs} malformed connections");
            var streams = await Ffprobe.ProbeAsync(url, "tcp", TimeSpan.FromSeconds(30));
            Assert.Contains(streams, s => s.CodecName == "h264");
            Assert.DoesNotContain("Unhandled", gateway.Logs.AllText, StringComparison.Ordinal);
        }

        // With the gateway gone every packet it rented must be back in its pool.
        Assert.Equal(0, pool.Outstanding);
    }

    /// <summary>Sends one input on its own connection; true when the server closed it (as it should for garbage).</summary>
    private static async Task<bool> SendAsync(int port, byte[] input)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.ConnectAsync("127.0.0.1", port, cts.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(input, cts.Token);
            client.Client.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            while (await stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static byte[] MalformedInput(Random random, string url, int index)
    {
        var valid = $"DESCRIBE {url} RTSP/1.0\r\nCSeq: {index}\r\nAccept: application/sdp\r\n\r\n";
        switch (index % 8)
        {
            case 0:
                var bytes = new byte[random.Next(1, 2048)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                var mutated = Encoding.ASCII.GetBytes(valid);
                for (var i = 0; i < 1 + random.Next(8); i++)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                return mutated;
            case 2:
                return Encoding.ASCII.GetBytes($"OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n" + string.Concat(Enumerable.Repeat("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 1500)));
            case 3:
                return Encoding.ASCII.GetBytes($"ANNOUNCE {url} RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 99999999999\r\n\r\nv=0");
            case 4:
                var frame = new byte[4 + 64];
                frame[0] = (byte)'$';
                frame[1] = (byte)random.Next(256);
                frame[2] = 0xFF;
                frame[3] = 0xFF;
                return frame;
            case 5:
                return Encoding.ASCII.GetBytes($"SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;multicast;destination=8.8.8.8;ttl=255;port=1-2\r\n\r\nPLAY {url} RTSP/1.0\r\nCSeq: 4\r\nSession: forged\r\n\r\n");
            case 6:
                return Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            default:
                return Encoding.ASCII.GetBytes($"{new string('A', random.Next(5000, 9000))} {url} RTSP/1.0\r\n\r\n");
        }
    }
}
