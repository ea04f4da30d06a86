using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Configuration;
using StreamGateway.Hosting;

namespace StreamGateway.Tests.Hosting;

/// <summary>
/// A real host whose cameras point at a closed port on 127.0.0.1: every camera fails and backs off,
/// and the HTTP endpoints must describe that without ever showing the configured passwords.
/// </summary>
public sealed class StatusEndpointsTests : IAsyncLifetime
{
    private const string KeyPassword = "Key-Pa55word-xyzzy";
    private const string UrlPassword = "Url-Pa55word-plugh";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        var closedPort = ClosedPort();
        var values = new Dictionary<string, string?>
        {
            ["Gateway:Rtsp:Port"] = "0",
            ["Gateway:Rtsp:BindAddress"] = "127.0.0.1",
            ["Gateway:Http:Port"] = "0",
            ["Gateway:Http:BindAddress"] = "127.0.0.1",
            ["Gateway:Schools:north:Name"] = "North school",
            ["Gateway:Schools:north:Cameras:gate:Source"] = $"rtsp://127.0.0.1:{closedPort}/gate",
            ["Gateway:Schools:north:Cameras:gate:Transport"] = "tcp",
            ["Gateway:Schools:north:Cameras:gate:Username"] = "admin",
            ["Gateway:Schools:north:Cameras:gate:Password"] = KeyPassword,
            ["Gateway:Schools:south:Name"] = "South school",
            ["Gateway:Schools:south:Cameras:hall:Source"] = $"rtsp://viewer:{UrlPassword}@127.0.0.1:{closedPort}/hall",
            ["Gateway:Schools:south:Cameras:hall:Transport"] = "tcp",
        };
        var loaded = GatewayConfigLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), "test");
        Assert.True(loaded.Success, string.Join("; ", loaded.Errors));
        Assert.Equal(UrlPassword, loaded.Config!.Schools.Single(s => s.Id == "south").Cameras[0].Password);

        _host = new GatewayHost(loaded.Config, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        _http.BaseAddress = new Uri($"http://127.0.0.1:{_host.HttpEndPoint!.Port}");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Status_lists_every_school_and_camera_with_the_documented_fields()
    {
        using var status = await WaitForStatusAsync(cameras => cameras.All(c => c.GetProperty("lastError").ValueKind == JsonValueKind.String));
        var root = status.RootElement;

        Assert.True(root.TryGetProperty("generatedAt", out _));
        var schools = root.GetProperty("schools").EnumerateArray().ToList();
        Assert.Equal(["north", "south"], schools.Select(s => s.GetProperty("id").GetString()));
        Assert.Equal("North school", schools[0].GetProperty("name").GetString());
        foreach (var school in schools)
        {
            Assert.Equal(JsonValueKind.False, school.GetProperty("offline").ValueKind);
            Assert.True(school.TryGetProperty("offlineSince", out _));
        }

        var camera = schools[0].GetProperty("cameras").EnumerateArray().Single();
        string[] fields =
        [
            "id", "path", "state", "nextAttemptAt", "transport", "tracks", "bitrateBitsPerSecond", "framesPerSecond",
            "lastKeyframeAgeSeconds", "reconnects", "lastError", "viewers", "viewerDroppedPackets", "packetsReceived",
            "bytesReceived", "malformedPackets", "framesReceived", "keyframesReceived", "subscriptions",
        ];
        Assert.Equal(fields.Order(), camera.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("gate", camera.GetProperty("id").GetString());
        Assert.Equal("north/gate", camera.GetProperty("path").GetString());
        Assert.Contains(camera.GetProperty("state").GetString(), CameraStates.All);
        Assert.Equal(0, camera.GetProperty("bitrateBitsPerSecond").GetDouble());
        Assert.Equal(JsonValueKind.Null, camera.GetProperty("lastKeyframeAgeSeconds").ValueKind);
        Assert.Equal(0, camera.GetProperty("viewers").GetInt32());
        Assert.Empty(camera.GetProperty("subscriptions").EnumerateArray());
        Assert.Empty(camera.GetProperty("tracks").EnumerateArray());
    }

    [Fact]
    public async Task A_camera_backing_off_reports_when_it_tries_next()
    {
        using var status = await WaitForStatusAsync(cameras => cameras.Any(c => c.GetProperty("state").GetString() == CameraStates.BackingOff));
        var camera = Cameras(status).First(c => c.GetProperty("state").GetString() == CameraStates.BackingOff);

        var next = camera.GetProperty("nextAttemptAt").GetDateTimeOffset();
        Assert.InRange(next, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(2));
        Assert.False(string.IsNullOrEmpty(camera.GetProperty("lastError").GetString()));
    }

    [Fact]
    public async Task Metrics_carry_a_series_per_camera_in_the_text_format()
    {
        using var response = await _http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("# TYPE streamgateway_camera_reconnects_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("streamgateway_camera_reconnects_total{school=\"north\",camera=\"gate\"} ", text, StringComparison.Ordinal);
        Assert.Contains("streamgateway_camera_frames_per_second{school=\"south\",camera=\"hall\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("streamgateway_school_offline{school=\"south\"} 0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_endpoint_shows_a_configured_password_even_after_failures()
    {
        (await WaitForStatusAsync(cameras => cameras.All(c => c.GetProperty("lastError").ValueKind == JsonValueKind.String))).Dispose();

        foreach (var path in new[] { "/api/v1/status", "/metrics", "/api/v1/streams", "/healthz" })
        {
            var body = await _http.GetStringAsync(new Uri(path, UriKind.Relative));
            Assert.False(string.IsNullOrWhiteSpace(body), path);
            Assert.DoesNotContain(KeyPassword, body, StringComparison.Ordinal);
            Assert.DoesNotContain(UrlPassword, body, StringComparison.Ordinal);
            Assert.DoesNotContain("Pa55word", body, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task The_older_streams_endpoint_still_answers()
    {
        using var streams = JsonDocument.Parse(await _http.GetStringAsync(new Uri("/api/v1/streams", UriKind.Relative)));

        Assert.Equal(["north/gate", "south/hall"], streams.RootElement.EnumerateArray().Select(c => c.GetProperty("path").GetString()));
    }

    private async Task<JsonDocument> WaitForStatusAsync(Func<IReadOnlyList<JsonElement>, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        string last = string.Empty;
        for (var attempt = 0; attempt < 1000 && clock.Elapsed < Deadline; attempt++)
        {
            last = await _http.GetStringAsync(new Uri("/api/v1/status", UriKind.Relative));
            var document = JsonDocument.Parse(last);
            if (condition(Cameras(document)))
            {
                return document;
            }

            document.Dispose();
            await Task.Delay(20);
        }

        Assert.Fail("status never met the condition; last: " + last);
        return null!;
    }

    private static List<JsonElement> Cameras(JsonDocument status) =>
        status.RootElement.GetProperty("schools").EnumerateArray().SelectMany(s => s.GetProperty("cameras").EnumerateArray()).ToList();

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
