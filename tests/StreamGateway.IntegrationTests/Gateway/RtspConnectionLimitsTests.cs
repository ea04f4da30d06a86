using StreamGateway.IntegrationTests.Publish;

namespace StreamGateway.IntegrationTests.Gateway;

/// <summary>The <c>Gateway:Rtsp</c> connection limits reach the gateway's RTSP server.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class RtspConnectionLimitsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Gateway_Rtsp_MaxConnectionsPerClientAddress_limits_one_address()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(
            [],
            new Dictionary<string, string?> { ["Gateway:Rtsp:MaxConnectionsPerClientAddress"] = "1" },
            waitForCameras: false);
        var url = gateway.Url("school/cam");

        await using var first = await RtspTestClient.ConnectAsync(url, Bound);
        Assert.Equal(200, (await first.RequestAsync("OPTIONS", url)).Status);

        // The default (256) would serve this one; the configured 1 closes it on accept.
        await using var second = await RtspTestClient.ConnectAsync(url, Bound);
        Assert.True(await second.WaitForCloseAsync(), "a second connection from 127.0.0.1 was served");
        Assert.Equal(200, (await first.RequestAsync("OPTIONS", url)).Status);
    }
}
