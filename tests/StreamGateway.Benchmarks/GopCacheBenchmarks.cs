using BenchmarkDotNet.Attributes;
using StreamGateway.Relay;

namespace StreamGateway.Benchmarks;

/// <summary>
/// GOP cache append and trim: a hub with one H.264 track and no subscriber, fed whole GOPs (keyframe every
/// 50 frames, 8 packets a frame). Each packet is appended to the cache; each keyframe releases the previous GOP.
/// </summary>
[Config(typeof(MicroConfig))]
public class GopCacheBenchmarks
{
    private StreamHub _hub = null!;
    private HubPublisher _publisher = null!;

    [GlobalSetup]
    public void Setup()
    {
        _hub = new StreamHub("bench/gop", pool: new RelayPacketPool());
        _hub.SetTracks([Packets.H264Track()]);
        _publisher = new HubPublisher(_hub);
        PublishGop();
        PublishGop(); // the second keyframe trims the first GOP: pool and cache list are at size
    }

    [GlobalCleanup]
    public void Cleanup() => _hub.Dispose();

    [Benchmark(OperationsPerInvoke = Packets.PacketsPerGop, Description = "GOP cache append + trim (0 viewers)")]
    public int PublishGop()
    {
        for (var i = 0; i < Packets.PacketsPerGop; i++)
        {
            _publisher.PublishNext();
        }

        var stats = _hub.GetStats();
        if (stats.GopCachePackets != Packets.PacketsPerGop)
        {
            throw new InvalidOperationException($"GOP cache holds {stats.GopCachePackets} packets, expected {Packets.PacketsPerGop}");
        }

        return stats.GopCachePackets;
    }
}
