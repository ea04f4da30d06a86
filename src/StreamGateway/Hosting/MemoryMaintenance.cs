using System.Runtime;
using Microsoft.Extensions.Logging;

namespace StreamGateway.Hosting;

/// <summary>
/// A full, compacting collection every few minutes in the gateway process. The relay allocates almost nothing per
/// packet, so the runtime rarely runs a full collection on its own: garbage from reconnect storms (SDP, exceptions,
/// logs) is promoted and stays committed, and pooled arrays are only trimmed on full collections. In a 30-minute
/// soak resident memory rose in steps at each storm and never came back. One blocking collection of a heap of a few
/// tens of MB costs a pause of milliseconds (logged, event 112), which viewers' jitter buffers absorb.
/// Process-wide, so only the program's run command starts it, never an in-process host in tests.
/// </summary>
internal sealed class MemoryMaintenance : IAsyncDisposable
{
    /// <summary>How often; a few minutes keeps memory flat while pausing the relay rarely.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(2);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public MemoryMaintenance(ILogger logger, TimeProvider? time = null)
    {
        _loop = RunAsync(logger, time ?? TimeProvider.System, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static async Task RunAsync(ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
                HostLog.MemoryCompacted(logger, info.HeapSizeBytes / 1024 / 1024, info.PauseDurations[0].TotalMilliseconds);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
