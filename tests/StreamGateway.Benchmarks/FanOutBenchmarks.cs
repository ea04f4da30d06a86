using BenchmarkDotNet.Attributes;
using StreamGateway.Relay;

namespace StreamGateway.Benchmarks;

/// <summary>
/// Fan-out of each packet to 1, 10 and 100 subscriptions: Publish (GOP cache included), then every
/// subscription's TryRead and Release, as RtspSession's sender loop does, without the socket.
/// Per operation = one published packet (delivered to every viewer).
/// </summary>
[Config(typeof(MicroConfig))]
public class FanOutBenchmarks
{
    private StreamHub _hub = null!;
    private HubPublisher _publisher = null!;
    private Subscription[] _subscriptions = [];

    [Params(1, 10, 100)]
    public int Viewers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _hub = new StreamHub("bench/fanout", pool: new RelayPacketPool());
        _hub.SetTracks([Packets.H264Track()]);
        _publisher = new HubPublisher(_hub);
        _subscriptions = [.. Enumerable.Range(0, Viewers).Select(i => _hub.Subscribe($"viewer {i}"))];
        PublishGop();
        PublishGop();
    }

    [GlobalCleanup]
    public void Cleanup() => _hub.Dispose();

    [Benchmark(OperationsPerInvoke = Packets.PacketsPerGop, Description = "publish + fan-out + read + release")]
    public long PublishGop()
    {
        long delivered = 0;
        for (var i = 0; i < Packets.PacketsPerGop; i++)
        {
            _publisher.PublishNext();
            foreach (var subscription in _subscriptions)
            {
                if (!subscription.TryRead(out var packet))
                {
                    throw new InvalidOperationException($"{subscription.Name} got nothing (dropped {subscription.DroppedPackets})");
                }

                delivered += packet.Length;
                packet.Release();
            }
        }

        return delivered;
    }
}
