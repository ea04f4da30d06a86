using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace StreamGateway.Benchmarks;

/// <summary>
/// One short job for every benchmark, so the whole suite runs in a few minutes on 2 cores.
/// In-process: the generated out-of-process project would inherit the repository's warnings-as-errors
/// build settings, and it saves a rebuild. Allocations are exact either way; times are indicative.
/// </summary>
public sealed class MicroConfig : ManualConfig
{
    public MicroConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(8)
            .WithId("short-inproc"));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
