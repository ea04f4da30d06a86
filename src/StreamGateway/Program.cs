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

return await GatewayCommandLine.RunAsync(args).ConfigureAwait(false);
