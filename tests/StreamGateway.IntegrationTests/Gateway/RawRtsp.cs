using System.Net.Sockets;
using System.Text;

namespace StreamGateway.IntegrationTests.Gateway;

/// <summary>A bare RTSP exchange for status-code checks that players do not expose.</summary>
internal static class RawRtsp
{
    public static async Task<int> DescribeStatusAsync(string url)
    {
        var response = await ExchangeAsync(url, $"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n");
        return int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends raw request bytes and returns the response head (up to the blank line).</summary>
    public static async Task<string> ExchangeAsync(string url, string request)
    {
        var uri = new Uri(url);
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await client.ConnectAsync(uri.Host, uri.Port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cts.Token);
        var buffer = new byte[8192];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), cts.Token);
            if (read == 0)
            {
                break;
            }

            total += read;
            var text = Encoding.ASCII.GetString(buffer, 0, total);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        return Encoding.ASCII.GetString(buffer, 0, total);
    }
}
