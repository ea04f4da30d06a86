using System.Net;
using System.Net.Sockets;

namespace StreamGateway.Publish;

/// <summary>
/// A session's server-side UDP sockets: RTP on an even port, RTCP on the next (odd) one (RFC 3550 §11).
/// Both are read so the client's receiver reports (and NAT punch packets) keep the session alive.
/// </summary>
internal sealed class UdpPortPair : IDisposable
{
    private const int MaxAttempts = 64;
    private const int MaxConsecutiveReceiveErrors = 100;

    private UdpPortPair(Socket rtp, Socket rtcp)
    {
        Rtp = rtp;
        Rtcp = rtcp;
    }

    public Socket Rtp { get; }

    public Socket Rtcp { get; }

    public int RtpPort => ((IPEndPoint)Rtp.LocalEndPoint!).Port;

    public int RtcpPort => ((IPEndPoint)Rtcp.LocalEndPoint!).Port;

    /// <summary>Binds an even/odd port pair on <paramref name="address"/>; null when none was found in a bounded number of tries.</summary>
    public static UdpPortPair? TryAllocate(IPAddress address)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var rtp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                rtp.Bind(new IPEndPoint(address, 0));
                var port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
                if (port % 2 != 0 || port >= IPEndPoint.MaxPort)
                {
                    rtp.Dispose();
                    continue;
                }

                var rtcp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    rtcp.Bind(new IPEndPoint(address, port + 1));
                    return new UdpPortPair(rtp, rtcp);
                }
                catch (SocketException)
                {
                    rtcp.Dispose();
                    rtp.Dispose();
                }
            }
            catch (SocketException)
            {
                rtp.Dispose();
            }
        }

        return null;
    }

    /// <summary>Reads both sockets until disposed, calling <paramref name="onPacketFrom"/> with each datagram's source address.</summary>
    public Task RunReceiversAsync(Action<IPAddress> onPacketFrom, CancellationToken cancellationToken) =>
        Task.WhenAll(ReceiveAsync(Rtp, onPacketFrom, cancellationToken), ReceiveAsync(Rtcp, onPacketFrom, cancellationToken));

    private static async Task ReceiveAsync(Socket socket, Action<IPAddress> onPacketFrom, CancellationToken cancellationToken)
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var errors = 0;
        while (!cancellationToken.IsCancellationRequested && errors < MaxConsecutiveReceiveErrors)
        {
            try
            {
                var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                errors = 0;
                onPacketFrom(((IPEndPoint)result.RemoteEndPoint).Address);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP errors surface here on some platforms; they are not fatal for a receive socket.
                errors++;
            }
        }
    }

    public void Dispose()
    {
        Rtp.Dispose();
        Rtcp.Dispose();
    }
}
