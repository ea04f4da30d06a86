using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamGateway.Archive;
using StreamGateway.Configuration;
using StreamGateway.Hosting;

namespace StreamGateway.Tests.Archive;

/// <summary><c>GET /api/v1/compliance</c> on the status server, with and without an archive wired in.</summary>
public sealed class ComplianceEndpointTests(SyntheticSegments segments) : IClassFixture<SyntheticSegments>, IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 16, 5, 0, TimeSpan.Zero);
    private readonly string _root = Directory.CreateTempSubdirectory("sg-endpoint-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static GatewayHost Host()
    {
        var loaded = GatewayConfigLoader.Load(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gateway:Schools:school-12:District"] = "North",
                ["Gateway:Schools:school-12:Cameras:entrance:Source"] = "rtsp://127.0.0.1:1/entrance",
            }).Build(),
            "test");
        Assert.True(loaded.Success, string.Join("; ", loaded.Errors));
        return new GatewayHost(loaded.Config!, NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task The_endpoint_serves_the_same_json_as_the_command_line()
    {
        segments.Place(_root, "school-12", "entrance", T0);
        segments.Place(_root, "school-12", "entrance", T0.AddSeconds(5));
        var source = new ComplianceSource(
            () => [new ReportSchool("school-12", null, "North", ["entrance"])],
            () => new RetentionSettings(_root, 1),
            new FixedVolumeMeter(new VolumeMeasure("/v", 1_000_000_000, 500_000_000)),
            new FakeTimeProvider(T0.AddSeconds(10)));
        await using var host = Host();
        await using var server = new HttpStatusServer(host, NullLoggerFactory.Instance, source);
        await server.StartAsync(IPAddress.Loopback, 0, CancellationToken.None);

        var served = await _http.GetStringAsync($"http://127.0.0.1:{server.LocalEndPoint.Port}/api/v1/compliance");

        Assert.Equal(ComplianceFormats.Json(await source.GetAsync(null, CancellationToken.None)), served);
        using var json = JsonDocument.Parse(served);
        var camera = json.RootElement.GetProperty("schools")[0].GetProperty("cameras")[0];
        Assert.Equal("entrance", camera.GetProperty("camera").GetString());
        Assert.Equal(T0, camera.GetProperty("oldestSegment").GetDateTimeOffset());
        Assert.Equal(2, camera.GetProperty("segments").GetInt32());
    }

    [Theory]
    [InlineData("?days=0", HttpStatusCode.BadRequest)]
    [InlineData("?days=ten", HttpStatusCode.BadRequest)]
    [InlineData("?days=7", HttpStatusCode.OK)]
    public async Task The_window_can_be_chosen_in_days(string query, HttpStatusCode expected)
    {
        var source = new ComplianceSource(() => [], () => new RetentionSettings(_root, 30), new FixedVolumeMeter(new VolumeMeasure("/v", 1, 1)));
        await using var host = Host();
        await using var server = new HttpStatusServer(host, NullLoggerFactory.Instance, source);
        await server.StartAsync(IPAddress.Loopback, 0, CancellationToken.None);

        var response = await _http.GetAsync($"http://127.0.0.1:{server.LocalEndPoint.Port}/api/v1/compliance{query}");

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Without_recording_wired_the_endpoint_says_not_found()
    {
        await using var host = Host();
        await using var server = new HttpStatusServer(host, NullLoggerFactory.Instance);
        await server.StartAsync(IPAddress.Loopback, 0, CancellationToken.None);

        var response = await _http.GetAsync($"http://127.0.0.1:{server.LocalEndPoint.Port}/api/v1/compliance");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData(0L, "1")]
    [InlineData(1_000_000_000L, "0")]
    public async Task The_floor_at_risk_shows_in_the_metrics_and_the_archive_status(long free, string atRisk)
    {
        // Two 5 s segments of ~126 kB: a rate of ~2 GB a day, so 30 days need ~60 GB.
        segments.Place(_root, "school-12", "entrance", T0);
        segments.Place(_root, "school-12", "entrance", T0.AddSeconds(5));
        var retention = new RetentionService(
            new RetentionSettings(_root, 30),
            new FakeTimeProvider(T0.AddSeconds(10)),
            new FixedVolumeMeter(new VolumeMeasure("/v", 100_000_000_000, free == 0 ? 0 : 100_000_000_000)),
            NullLogger.Instance);
        retention.RunOnce();
        await using var host = Host();
        await using var server = new HttpStatusServer(host, NullLoggerFactory.Instance, retention: retention);
        await server.StartAsync(IPAddress.Loopback, 0, CancellationToken.None);

        var metrics = await _http.GetStringAsync($"http://127.0.0.1:{server.LocalEndPoint.Port}/metrics");
        var status = await _http.GetStringAsync($"http://127.0.0.1:{server.LocalEndPoint.Port}/api/v1/archive");

        Assert.Contains($"\nstreamgateway_archive_floor_at_risk {atRisk}\n", metrics, StringComparison.Ordinal);
        Assert.Contains("streamgateway_archive_school_bytes_per_day{school=\"school-12\"} ", metrics, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(status);
        Assert.Equal(atRisk == "1", json.RootElement.GetProperty("floorAtRisk").GetBoolean());
        Assert.True(json.RootElement.GetProperty("forecast").GetProperty("daysFit").GetDouble() > 0);
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("forecast").GetProperty("volume").ValueKind);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("forecast").GetProperty("schools").ValueKind);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("camerasToPause").ValueKind);
    }

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
