using System.Text.Json;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Program;

/// <summary>
/// The gateway compiled ahead of time (NativeAOT, trimmed: about half the resident memory of the JIT build,
/// docs/benchmarks.md) as an operator would run it. Trimming removes what reflection would need at run time, so
/// this checks the parts that used it: the demo's relay path and the HTTP API's JSON.
/// </summary>
[Collection(Gateway.EndToEndCollection.Name)]
public sealed class NativeAotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-aot-").FullName;

    [Fact]
    public async Task The_NativeAOT_build_relays_the_demo_and_answers_the_status_API()
    {
        var binary = RepositoryPaths.NativeAotGateway;
        Assert.True(File.Exists(binary),
            $"{binary} is missing: .ci/run publishes it (dotnet publish src/StreamGateway -c Release -r linux-x64 -p:PublishAot=true -o artifacts/aot; needs clang)");

        await using var gateway = await DemoGateway.StartAsync(binary, [], Path.Combine(_directory, "archive"));
        var url = gateway.CameraUrl("cam1");

        var frames = await Ffmpeg.CountFramesAsync(url, "tcp", seconds: 10, TimeSpan.FromSeconds(40));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var status = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{gateway.HttpPort}/api/v1/status"));
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{gateway.HttpPort}/metrics");

        Assert.True(frames.VideoFrames >= 200, $"decoded {frames.VideoFrames} frames in 10 s");
        var cameras = status.RootElement.GetProperty("schools")[0].GetProperty("cameras");
        Assert.Equal(2, cameras.GetArrayLength());
        Assert.All(cameras.EnumerateArray(), c => Assert.Equal("streaming", c.GetProperty("state").GetString()));
        Assert.Equal("H264", cameras[0].GetProperty("tracks")[0].GetProperty("encoding").GetString());
        Assert.Contains("streamgateway_relay_packets_outstanding ", metrics, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
