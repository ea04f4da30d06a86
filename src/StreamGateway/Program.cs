using StreamGateway.Cli;

return await GatewayCommandLine.RunAsync(args).ConfigureAwait(false);
