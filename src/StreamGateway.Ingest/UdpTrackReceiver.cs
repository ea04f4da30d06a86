using System.Net;
using System.Net.Sockets;
using StreamGateway.Relay;

namespace StreamGateway.Ingest;

/// <summary>
/// The RTP/RTCP socket pair of one track received over UDP unicast. Each datagram is received
/// straight into a pooled <see cref="RelayPacket"/> (the only copy of the payload) and handed on.
/// </summary>
internal sealed class UdpTrackReceiver : IAsyncDisposable
{
    /// <summary>Room for one datagram from a camera with a 1500-byte MTU (plus slack); a full buffer means truncation.</summary>
    private const int DatagramCapacity = 2048;
    private const int MaxPortAttempts = 64;

    private readonly Socket _rtp;
    private readonly Socket _rtcp;
    private readonly RelayPacketPool _pool;
    private readonly Action<RelayPacket, bool> _onPacket;
    private readonly Action _onTruncated;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loops;

    private UdpTrackReceiver(Socket rtp, Socket rtcp, RelayPacketPool pool, Action<RelayPacket, bool> onPacket, Action onTruncated)
    {
        _rtp = rtp;
        _rtcp = rtcp;
        _pool = pool;
        _onPacket = onPacket;
        _onTruncated = onTruncated;
    }

    public int RtpPort => ((IPEndPoint)_rtp.LocalEndPoint!).Port;

    public int RtcpPort => ((IPEndPoint)_rtcp.LocalEndPoint!).Port;

    /// <summary>The camera's RTCP address, known after SETUP; receiver reports go there.</summary>
    public IPEndPoint? CameraRtcpEndPoint { get; set; }

    /// <summary>
    /// Binds an even RTP port and the odd port above it (RFC 3550 convention that many cameras expect).
    /// </summary>
    /// <param name="onPacket">Takes ownership of the packet's reference; the flag is true for RTCP.</param>
    public static UdpTrackReceiver Bind(IPAddress address, RelayPacketPool pool, Action<RelayPacket, bool> onPacket, Action onTruncated)
    {
        for (var attempt = 0; attempt < MaxPortAttempts; attempt++)
        {
            var rtp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                rtp.Bind(new IPEndPoint(address, 0));
                var port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
                if (port % 2 != 0 || port == IPEndPoint.MaxPort)
                {
                    rtp.Dispose();
                    continue;
                }

                var rtcp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    rtcp.Bind(new IPEndPoint(address, port + 1));
                }
                catch (SocketException)
                {
                    rtcp.Dispose();
                    rtp.Dispose();
                    continue;
                }

                // Bursts of a keyframe arrive faster than one loop iteration; a larger kernel buffer absorbs them.
                rtp.ReceiveBufferSize = 1024 * 1024;
                return new UdpTrackReceiver(rtp, rtcp, pool, onPacket, onTruncated);
            }
            catch (SocketException)
            {
                rtp.Dispose();
            }
        }

        throw new RtspClientException($"no free even/odd UDP port pair after {MaxPortAttempts} attempts");
    }

    public void Start()
    {
        _loops = Task.WhenAll(ReceiveLoopAsync(_rtp, isRtcp: false), ReceiveLoopAsync(_rtcp, isRtcp: true));
    }

    /// <summary>Sends an RTCP packet (receiver report) to the camera; best effort.</summary>
    public async ValueTask SendRtcpAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
    {
        if (CameraRtcpEndPoint is { } target)
        {
            try
            {
                await _rtcp.SendToAsync(packet, SocketFlags.None, target, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // UDP is best effort; the stall watchdog notices a dead camera.
            }
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, bool isRtcp)
    {
        var from = new SocketAddress(socket.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            var packet = _pool.Rent(DatagramCapacity);
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(packet.Buffer, SocketFlags.None, from, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                packet.Release();
                return;
            }
            catch (SocketException)
            {
                // ICMP port unreachable and similar surface here on Linux; keep receiving.
                packet.Release();
                continue;
            }

            if (received >= packet.Buffer.Length)
            {
                _onTruncated();
                packet.Release();
                continue;
            }

            packet.Length = received;
            _onPacket(packet, isRtcp);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _rtp.Dispose();
        _rtcp.Dispose();
        if (_loops is not null)
        {
            await _loops.ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
