using StreamGateway.Relay;

namespace StreamGateway.Benchmarks;

/// <summary>Publishes the synthetic stream into a hub as CameraSession does: rent, fill, publish, release.</summary>
internal sealed class HubPublisher(StreamHub hub)
{
    private ushort _sequence;
    private uint _timestamp;
    private int _index;

    /// <summary>Publishes the next packet of the stream (a GOP is <see cref="Packets.PacketsPerGop"/> packets).</summary>
    public void PublishNext()
    {
        if (_index % Packets.PacketsPerFrame == 0)
        {
            _timestamp += Packets.TimestampPerFrame;
        }

        var packet = hub.Pool.Rent(Packets.RtpLength);
        Packets.WriteRtp(packet.Buffer.Span, _index, _sequence++, _timestamp);
        packet.Length = Packets.RtpLength;
        packet.TrackIndex = 0;
        packet.IsKeyframeStart = _index == 0;
        packet.RtpTimestamp = _timestamp;
        hub.Publish(packet);
        packet.Release();
        _index = (_index + 1) % Packets.PacketsPerGop;
    }
}
