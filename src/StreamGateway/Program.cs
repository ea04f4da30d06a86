using StreamGateway.Cli;
using StreamGateway.Publish;

// Before anything opens a socket: inline socket completions and one socket engine per two cores (see the class).
SocketThreadingDefaults.Apply();

return await GatewayCommandLine.RunAsync(args).ConfigureAwait(false);
