using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Program;

/// <summary>The program as an operator runs it: the built StreamGateway.dll in its own process.</summary>
[Collection(Gateway.EndToEndCollection.Name)]
public sealed class CommandLineTests : IDisposable
{
    private const string UrlPassword = "UrlPa55-Hidden";
    private const string KeyPassword = "KeyPa55-Hidden";
    private static readonly string GatewayDll = Path.Combine(AppContext.BaseDirectory, "StreamGateway.dll");
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-cli-").FullName;

    [Theory]
    [InlineData("run")]
    [InlineData("validate")]
    public async Task A_config_with_three_mistakes_exits_non_zero_naming_every_key_and_no_password(string command)
    {
        var config = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Gateway": {
                "Rtsp": { "Port": 70000 },
                "Schools": {
                  "school-12": {
                    "Name": "School No. 12",
                    "Cameras": {
                      "entrance": { "Source": "http://admin:{{UrlPassword}}@10.20.0.11/stream", "Transport": "tcp" },
                      "yard": { "Source": "rtsp://10.20.0.12/stream1", "Transport": "carrier-pigeon", "Username": "admin", "Password": "{{KeyPassword}}" }
                    }
                  }
                }
              }
            }
            """);

        var result = await ProcessRunner.RunAsync("dotnet", [GatewayDll, command, "--config", config], TimeSpan.FromSeconds(60));

        Assert.False(result.TimedOut, "the gateway did not exit on a bad config");
        Assert.Equal(1, result.ExitCode);
        var output = result.OutputText + "\n" + result.ErrorText;
        Assert.Contains("Gateway:Rtsp:Port", output, StringComparison.Ordinal);
        Assert.Contains("Gateway:Schools:school-12:Cameras:entrance:Source", output, StringComparison.Ordinal);
        Assert.Contains("Gateway:Schools:school-12:Cameras:yard:Transport", output, StringComparison.Ordinal);
        Assert.DoesNotContain(UrlPassword, output, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyPassword, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_serves_a_decodable_H264_camera_without_any_config()
    {
        await using var gateway = await DemoGateway.StartAsync("dotnet", [GatewayDll], Path.Combine(_directory, "archive"));
        var url = gateway.CameraUrl("cam1");

        var streams = await Ffprobe.ProbeAsync(url, "tcp", TimeSpan.FromSeconds(30));
        var frames = await Ffmpeg.CountFramesAsync(url, "tcp", seconds: 10, TimeSpan.FromSeconds(40));

        Assert.Contains(streams, s => s.CodecType == "video" && s.CodecName == "h264");
        Assert.True(frames.VideoFrames >= 200, $"decoded {frames.VideoFrames} frames in 10 s");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
