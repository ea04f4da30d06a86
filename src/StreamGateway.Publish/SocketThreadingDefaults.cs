using System.Globalization;

namespace StreamGateway.Publish;

/// <summary>
/// The runtime socket settings the relay is built and measured for. The runtime reads them once, when the first
/// socket is used, so a process applies them first thing (the gateway's <c>Program.cs</c>, the micro-benchmarks);
/// an operator's own environment value always wins. The test process cannot (its host opens sockets before any test
/// code runs), so <c>.ci/run</c> exports the same values.
/// </summary>
public static class SocketThreadingDefaults
{
    /// <summary>
    /// Socket completions run on the socket engine's thread instead of hopping to the thread pool. The relay's socket
    /// continuations never block (parse, publish, non-blocking sends to viewers), so a camera's frame reaches every
    /// viewer's socket without a thread wake-up: at N=20 cameras x 3 viewers the gateway's context switches fell from
    /// about 1,900/s to 500/s and its CPU by about a fifth (docs/benchmarks-notes.md). The price: code after an awaited
    /// socket operation must never block (no .Wait(), no .Result, no blocking I/O), or it stalls every socket served
    /// by that engine thread. 0 turns it off.
    /// </summary>
    public const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// With completions inline the runtime starts one socket engine thread per core. Fewer engines wake less: while one
    /// thread relays a camera's frame, the frames of other cameras that arrive meanwhile wait in its next epoll_wait
    /// instead of waking a second thread on another core. Measured on 2 cores with one engine instead of two
    /// (docs/benchmarks-notes.md): 20 cameras x 3 viewers 15-20 % less CPU, 50 x 1 a fifth fewer context switches.
    /// Half the cores (at least one) keeps a larger machine from being bound by one engine thread.
    /// </summary>
    public const string EngineThreads = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Sets both in this process's environment where they are not set already.</summary>
    public static void Apply() =>
        Apply(Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable, Environment.ProcessorCount);

    /// <summary>The same against a given environment (tests).</summary>
    public static void Apply(Func<string, string?> get, Action<string, string> set, int processorCount)
    {
        if (get(InlineCompletions) is null)
        {
            set(InlineCompletions, "1");
        }

        if (get(EngineThreads) is null)
        {
            set(EngineThreads, Math.Max(1, processorCount / 2).ToString(CultureInfo.InvariantCulture));
        }
    }
}
