using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamGateway.Archive;

namespace StreamGateway.Hosting;

/// <summary>
/// The operator's HTTP view of the gateway: <c>/healthz</c>, <c>/api/v1/status</c> (every school and
/// camera as JSON), <c>/metrics</c> (the same figures for Prometheus), <c>/api/v1/compliance</c> (the archive report, when recording is wired) and the older flat
/// <c>/api/v1/streams</c>. It reads the host's status snapshot only; nothing here can change a stream.
/// </summary>
internal sealed class HttpStatusServer : IAsyncDisposable
{
    private static readonly StatusJsonContext Json = StatusJsonContext.Default;
    private readonly GatewayHost _host;
    private readonly ILoggerFactory _loggerFactory;
    private WebApplication? _app;

    private readonly ComplianceSource? _compliance;
    private readonly RetentionService? _retention;

    // Given ones win (tests); otherwise the host's archive, which a reload may restart.
    private ComplianceSource? Compliance => _compliance ?? _host.Archive?.Compliance;

    private RetentionService? Retention => _retention ?? _host.Archive?.Retention;

    /// <param name="compliance">The archive's compliance report for <c>/api/v1/compliance</c>; null answers 404 (recording not configured).</param>
    /// <param name="retention">The retention service whose last pass <c>/api/v1/archive</c> and <c>/metrics</c> show; null leaves them out.</param>
    public HttpStatusServer(GatewayHost host, ILoggerFactory loggerFactory, ComplianceSource? compliance = null, RetentionService? retention = null)
    {
        _host = host;
        _loggerFactory = loggerFactory;
        _compliance = compliance;
        _retention = retention;
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
        app.MapGet("/api/v1/streams", () => Results.Json(_host.GetStatus(), Json.IReadOnlyListCameraStatus));
        app.MapGet("/api/v1/status", () => Results.Json(_host.GetStatusReport(), Json.GatewayStatusReport));
        app.MapGet("/api/v1/compliance", async (HttpContext context) =>
        {
            if (Compliance is null)
            {
                return Results.Json(new ApiError("recording is not configured on this gateway"), Json.ApiError, statusCode: StatusCodes.Status404NotFound);
            }

            int? days = null;
            if (context.Request.Query.TryGetValue("days", out var raw))
            {
                if (!int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var d) || d is < 1 or > 36_500)
                {
                    return Results.Json(new ApiError("days must be a whole number of days (1..36500)"), Json.ApiError, statusCode: StatusCodes.Status400BadRequest);
                }

                days = d;
            }

            // Same serializer options as the CLI's --format json, so both give the same document.
            var report = await Compliance.GetAsync(days, context.RequestAborted).ConfigureAwait(false);
            return Results.Text(ComplianceFormats.Json(report), "application/json");
        });
        app.MapGet("/api/v1/archive", () => Retention?.Latest is { } status
            ? Results.Json(ArchiveStatusDocument.From(status), Json.ArchiveStatusDocument)
            : Results.Json(new ApiError("no retention pass yet, or recording is not configured"), Json.ApiError, statusCode: StatusCodes.Status404NotFound));
        app.MapGet("/api/v1/recording", () => Results.Json(_host.GetRecordingStatus(), Json.IReadOnlyListRecorderStatus));
        app.MapGet("/metrics", () =>
        {
            var text = PrometheusExporter.Write(_host.GetStatusReport());
            if (Retention?.Latest is { } status)
            {
                text += ArchiveMetrics.Write(status);
            }

            return Results.Text(text, PrometheusExporter.ContentType);
        });
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
