using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StreamGateway.Hosting;

/// <summary>
/// The operator's HTTP view of the gateway: <c>/healthz</c>, <c>/api/v1/status</c> (every school and
/// camera as JSON), <c>/metrics</c> (the same figures for Prometheus) and the older flat
/// <c>/api/v1/streams</c>. It reads the host's status snapshot only; nothing here can change a stream.
/// </summary>
internal sealed class HttpStatusServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly GatewayHost _host;
    private readonly ILoggerFactory _loggerFactory;
    private WebApplication? _app;

    public HttpStatusServer(GatewayHost host, ILoggerFactory loggerFactory)
    {
        _host = host;
        _loggerFactory = loggerFactory;
    }

    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    public async Task StartAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/api/v1/streams", () => Results.Json(_host.GetStatus(), JsonOptions));
        app.MapGet("/api/v1/status", () => Results.Json(_host.GetStatusReport(), JsonOptions));
        app.MapGet("/api/v1/recording", () => Results.Json(_host.GetRecordingStatus(), JsonOptions));
        app.MapGet("/metrics", () => Results.Text(PrometheusExporter.Write(_host.GetStatusReport()), PrometheusExporter.ContentType));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var boundPort = bound is not null ? new Uri(bound).Port : port;
        LocalEndPoint = new IPEndPoint(address, boundPort);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
