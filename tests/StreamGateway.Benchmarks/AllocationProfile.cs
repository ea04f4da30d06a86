using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace StreamGateway.Benchmarks;

/// <summary>
/// <c>--alloc-profile [viewers]</c>: runs the whole path (paced, then burst) under the runtime's
/// AllocationTick events (one sample per ~100 KB allocated) and prints the allocated types, to find where a
/// non-zero "Allocated" column comes from.
/// </summary>
internal static class AllocationProfile
{
    public static void Run(int viewers)
    {
        var rig = LoopbackRig.StartAsync(viewers).GetAwaiter().GetResult();
        try
        {
            foreach (var (name, packetsPerSend) in new[] { ("paced", 1), ("burst", Packets.PacketsPerGop) })
            {
                const int packets = 20_000;
                using var listener = new AllocationListener();
                var before = GC.GetTotalAllocatedBytes(precise: true);
                for (var sent = 0; sent < packets; sent += packetsPerSend)
                {
                    rig.SendAndWait(packetsPerSend);
                }

                var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
                Console.WriteLine($"{name}: {viewers} viewer(s), {packets} packets, {bytes} bytes allocated = {bytes / (double)packets:0.0} B/packet");
                foreach (var (type, samples) in listener.Samples.OrderByDescending(kv => kv.Value).Take(12).Select(kv => (kv.Key, kv.Value)))
                {
                    Console.WriteLine($"  {samples,6} samples  {type}");
                }
            }
        }
        finally
        {
            rig.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private sealed class AllocationListener : EventListener
    {
        public ConcurrentDictionary<string, int> Samples { get; } = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && e.Payload is { } payload && e.PayloadNames is { } names)
            {
                var type = payload[names.IndexOf("TypeName")]?.ToString() ?? "?";
                Samples.AddOrUpdate(type, 1, (_, n) => n + 1);
            }
        }
    }
}
