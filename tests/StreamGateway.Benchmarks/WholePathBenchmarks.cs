using BenchmarkDotNet.Attributes;

namespace StreamGateway.Benchmarks;

/// <summary>
/// Socket read to the viewers' socket writes, with the real classes on loopback (see <see cref="LoopbackRig"/>).
/// Burst: the camera writes a whole GOP at once (the senders batch up to 64 frames per gather-send).
/// Paced: one frame at a time, each waited for at every viewer, as a live camera's frames arrive
/// (every frame wakes the ingest and every sender once: the real-time steady state).
/// Allocated = every managed allocation in the process during the run (ingest, hub, senders, the drained viewers) per packet.
/// </summary>
[Config(typeof(MicroConfig))]
public class WholePathBenchmarks
{
    private const int PacedFrames = 10;
    private LoopbackRig _rig = null!;

    [Params(1, 10, 100)]
    public int Viewers { get; set; }

    [GlobalSetup]
    public void Setup() => _rig = LoopbackRig.StartAsync(Viewers).GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _rig.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Packets.PacketsPerGop, Description = "camera socket -> K viewer sockets, GOP burst")]
    public void Burst() => _rig.SendAndWait(Packets.PacketsPerGop);

    // Per access unit: the ingest wakes viewers at a frame's last packet (RTP marker), so a lone packet of a frame
    // is held until its frame is complete, by design.
    [Benchmark(OperationsPerInvoke = PacedFrames * Packets.PacketsPerFrame, Description = "camera socket -> K viewer sockets, one frame at a time")]
    public void Paced()
    {
        for (var i = 0; i < PacedFrames; i++)
        {
            _rig.SendAndWait(Packets.PacketsPerFrame);
        }
    }
}
