using System.Net;
using System.Net.Sockets;
using StreamGateway.Publish;

namespace StreamGateway.IntegrationTests.Publish;

/// <summary>The viewers' one-syscall gather send, on a real loopback TCP connection.</summary>
public sealed class NonBlockingGatherSendTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ManyBuffers_ArriveWhole_AndInOrder()
    {
        Assert.True(NonBlockingGatherSend.IsSupported);
        var (sender, receiver) = await ConnectedPairAsync();
        using (sender)
        using (receiver)
        {
            // More buffers than the runtime keeps on the stack, with offsets and odd sizes, as a viewer's batch has.
            var random = new Random(7);
            var buffers = new List<ArraySegment<byte>>();
            var expected = new List<byte>();
            for (var i = 0; i < NonBlockingGatherSend.MaxBuffers; i++)
            {
                var array = new byte[random.Next(1, 1500) + 3];
                random.NextBytes(array);
                var segment = new ArraySegment<byte>(array, 3, array.Length - 3);
                buffers.Add(segment);
                expected.AddRange(segment);
            }

            var sent = new NonBlockingGatherSend().Send(sender, buffers);

            Assert.Equal(expected.Count, sent);
            Assert.Equal(expected, await ReadExactlyAsync(receiver, expected.Count));
        }
    }

    [Fact]
    public async Task AFullSocket_TakesPartOfTheBatch_ThenNothing_WithoutBlocking()
    {
        var (sender, receiver) = await ConnectedPairAsync();
        using (sender)
        using (receiver)
        {
            sender.SendBufferSize = 4096;
            receiver.ReceiveBufferSize = 4096;
            var gather = new NonBlockingGatherSend();
            var batch = Enumerable.Range(0, 64).Select(_ => new ArraySegment<byte>(new byte[16 * 1024])).ToList();
            var total = 64L * 16 * 1024;

            // The peer reads nothing: the first call fills what the kernel buffers, later ones return 0 at once.
            var first = gather.Send(sender, batch);
            long later = -1;
            for (var i = 0; i < 100 && later != 0; i++)
            {
                later = gather.Send(sender, batch);
            }

            Assert.InRange(first, 1, total - 1);
            Assert.Equal(0, later);
        }
    }

    [Fact]
    public async Task APeerThatWentAway_IsASocketException()
    {
        var (sender, receiver) = await ConnectedPairAsync();
        using (sender)
        {
            receiver.LingerState = new LingerOption(true, 0); // close with RST
            receiver.Dispose();
            var gather = new NonBlockingGatherSend();
            var batch = new List<ArraySegment<byte>> { new(new byte[1000]) };

            // On loopback the reset is processed within the close; a send or two later the error must surface.
            var error = Assert.Throws<SocketException>(() =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    gather.Send(sender, batch);
                }
            });
            Assert.Contains(error.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown });
        }
    }

    private static async Task<(Socket Sender, Socket Receiver)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await sender.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Bound);
        var receiver = await listener.AcceptAsync().WaitAsync(Bound);
        return (sender, receiver);
    }

    private static async Task<List<byte>> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var deadline = new CancellationTokenSource(Bound);
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, deadline.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        return [.. buffer];
    }
}
