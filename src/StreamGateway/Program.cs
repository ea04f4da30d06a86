using StreamGateway.Cli;

// Socket completions run on the socket engine's thread instead of hopping to the thread pool. The relay's socket
// continuations never block (parse, publish, non-blocking sends to viewers), so a camera's frame reaches every
// viewer's socket without a thread wake-up: at N=20 cameras x 3 viewers the gateway's context switches fell from
// about 1,900/s to 500/s and its CPU by about a fifth (docs/benchmarks-notes.md). The price: code after an awaited
// socket operation must never block (no .Wait(), no .Result, no blocking I/O), or it stalls every socket served by
// that engine thread. Read once, when the first socket is used, so it is set before anything else; an operator's
// own value (0 turns it off) wins.
const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
}

// With completions inline the runtime starts one socket engine thread per core. Fewer engines wake less: while one
// thread relays a camera's frame, the frames of other cameras that arrive meanwhile wait in its next epoll_wait
// instead of waking a second thread on another core. Measured on 2 cores with one engine instead of two
// (docs/benchmarks-notes.md): 20 cameras x 3 viewers 15-20 % less CPU, 50 x 1 a fifth fewer context switches.
// Half the cores keeps a larger machine from being bound by one engine thread; an operator's own value wins.
const string SocketEngineThreads = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";
if (Environment.GetEnvironmentVariable(SocketEngineThreads) is null)
{
    var engines = Math.Max(1, Environment.ProcessorCount / 2);
    Environment.SetEnvironmentVariable(SocketEngineThreads, engines.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

return await GatewayCommandLine.RunAsync(args).ConfigureAwait(false);
