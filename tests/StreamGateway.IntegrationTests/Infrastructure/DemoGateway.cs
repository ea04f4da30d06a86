using System.Globalization;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The gateway's built-in demo (no config) in its own process, as a newcomer starts it, on free ports and with its
/// archive in <paramref name="archive"/>; returned once it prints "Demo running".
/// </summary>
internal sealed class DemoGateway(ProcessRunner process, int rtspPort, int httpPort) : IAsyncDisposable
{
    public int RtspPort { get; } = rtspPort;

    public int HttpPort { get; } = httpPort;

    public string CameraUrl(string camera) => $"rtsp://127.0.0.1:{RtspPort}/demo-school/{camera}";

    public static async Task<DemoGateway> StartAsync(string fileName, IEnumerable<string> arguments, string archive)
    {
        var rtspPort = FreePorts.Tcp();
        var httpPort = FreePorts.Tcp();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ProcessRunner.Start(
            fileName,
            arguments,
            line =>
            {
                if (line.StartsWith("Demo running", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            },
            environment: new Dictionary<string, string>
            {
                ["Gateway__Rtsp__Port"] = rtspPort.ToString(CultureInfo.InvariantCulture),
                ["Gateway__Http__Port"] = httpPort.ToString(CultureInfo.InvariantCulture),
                ["Gateway__Recording__Path"] = archive,
            });
        var demo = new DemoGateway(process, rtspPort, httpPort);
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return demo;
        }
        catch
        {
            await demo.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
