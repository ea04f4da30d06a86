using System.Net;
using System.Net.Sockets;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>A loopback TCP port nothing listens on right now, for a process the test starts.</summary>
internal static class FreePorts
{
    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
