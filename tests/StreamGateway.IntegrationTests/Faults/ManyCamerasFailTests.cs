using System.Diagnostics;
using StreamGateway.IntegrationTests.Gateway;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>
/// Issue 3 (f): fifty cameras behind one link fail together. All must come back soon after the link does,
/// and their reconnect attempts must be spread out (jitter), not a synchronised storm.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Fault")]
public sealed class ManyCamerasFailTests(ITestOutputHelper output)
{
    private const int CameraCount = 50;
    private const int Hubs = 5;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    /// <summary>Retry delay cap in the first minute of an outage: fast retries of ~1 s, with jitter.</summary>
    private static readonly TimeSpan FirstMinuteRetryCap = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Storm = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData("Reset")]
    [InlineData("Refuse")]
    public async Task Fifty_cameras_failing_together_all_stream_again_soon_and_their_retries_are_spread(string faultName)
    {
        var fault = Enum.Parse<FaultMode>(faultName);
        var clock = Stopwatch.StartNew();
        var cameras = Enumerable.Range(0, Hubs).Select(i => ClipCamera.Start($"hub{i}")).ToList();
        try
        {
            await using var server = await InProcessCameraServer.StartAsync(path =>
                path.StartsWith("cam", StringComparison.Ordinal) && int.TryParse(path.AsSpan(3), out var n) && n is >= 0 and < CameraCount ? cameras[n % Hubs].Hub : null);
            await using var proxy = FaultProxy.Start(server.Port, clock);
            await using var gateway = await GatewayUnderTest.StartAsync(
                Enumerable.Range(0, CameraCount).Select(i => ($"school-{i / 10}/cam{i}", proxy.Wrap(server.Url($"cam{i}")), "tcp")));
            var acceptedBefore = proxy.AcceptedConnections;

            var failedAt = clock.Elapsed;
            proxy.SetMode(fault);
            proxy.ResetAll();
            var allDown = await Poll.UntilAsync(() => gateway.Host.GetStatus().All(s => s.State != "Streaming"), clock, TimeSpan.FromSeconds(8));
            await Task.Delay(TimeSpan.FromTicks(Math.Max(0, (Outage - (clock.Elapsed - failedAt)).Ticks))); // the fault itself lasts this long
            var backAt = clock.Elapsed;
            proxy.SetMode(FaultMode.Forward);
            var allStreamingAt = await Poll.UntilAsync(() => gateway.Host.GetStatus().All(s => s.State == "Streaming"), clock, TimeSpan.FromSeconds(30));
            var notStreaming = gateway.Host.GetStatus().Where(s => s.State != "Streaming").Select(s => $"{s.Path} {s.State} {s.LastError}").ToList();

            // The wave to judge: under Reset, the first retries after the common failure (the proxy sees them);
            // under Refuse the kernel refuses them unseen, so the first connections once the link is back.
            var accepted = proxy.AcceptedAt.Skip(acceptedBefore).ToList();
            var waveStart = fault == FaultMode.Reset ? failedAt : backAt;
            var wave = accepted.Where(t => t > waveStart).Take(CameraCount).ToList();
            var spread = wave.Count > 1 ? wave[^1] - wave[0] : TimeSpan.Zero;
            var busiest = wave.Count == 0 ? 0 : wave.Max(t => wave.Count(u => u >= t && u - t < Storm));
            var limit = FirstMinuteRetryCap + TimeSpan.FromSeconds(5);

            output.WriteLine($"{fault}: all down {(allDown - failedAt)?.TotalMilliseconds.ToString("0") ?? "never"} ms after the fault; link back after {(backAt - failedAt).TotalSeconds:0.0} s");
            output.WriteLine($"all {CameraCount} streaming again {(allStreamingAt - backAt)?.TotalMilliseconds.ToString("0") ?? "never (30 s)"} ms after the link came back (limit {limit.TotalSeconds} s)");
            output.WriteLine($"connections accepted during the fault and after: {accepted.Count}; judged wave {wave.Count} connections, spread {spread.TotalMilliseconds:0} ms, busiest 100 ms window {busiest}");
            output.WriteLine($"wave offsets (ms from its start): {string.Join(",", wave.Select(t => (t - waveStart).TotalMilliseconds.ToString("0")))}");
            output.WriteLine($"reconnects counted: {gateway.Host.GetStatus().Sum(s => s.Reconnects)}; not streaming: {string.Join(" | ", notStreaming.Take(5))}");

            Assert.NotNull(allDown);
            Assert.True(allStreamingAt is { } t && t - backAt <= limit, $"not all cameras streaming within {limit.TotalSeconds} s of the link's return: {notStreaming.Count} left ({string.Join(" | ", notStreaming.Take(3))})");
            Assert.True(wave.Count >= CameraCount, $"only {wave.Count} reconnect attempts seen in the wave");
            Assert.True(busiest < CameraCount, $"all {CameraCount} reconnect attempts came within {Storm.TotalMilliseconds} ms (spread {spread.TotalMilliseconds:0} ms)");
        }
        finally
        {
            foreach (var camera in cameras)
            {
                await camera.DisposeAsync();
            }
        }
    }
}
