using System.Net;

namespace StreamGateway.Publish;

/// <summary>Settings of the RTSP server that re-publishes cameras. Immutable; validated by <see cref="RtspServer"/>.</summary>
public sealed record RtspServerOptions
{
    /// <summary>Optional. Address to listen on (and to bind UDP media sockets to). Default: any.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    /// <summary>Optional. TCP port; 0 picks an ephemeral port (see <see cref="RtspServer.LocalEndPoint"/>). Default 8554.</summary>
    public int Port { get; init; } = 8554;

    /// <summary>Optional. A UDP session with no request and no RTCP for this long is closed. Default 60 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Optional. How long DESCRIBE waits for a camera that has not described its media yet before answering 503. Default 5 s.</summary>
    public TimeSpan DescribeWaitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Optional. Connections beyond this are closed on accept. Default 1000.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>
    /// Optional. Connections one client address may hold at once (session-flood defence). Default 256:
    /// a VMS that records a whole district from one address opens one connection per camera.
    /// </summary>
    public int MaxConnectionsPerClientAddress { get; init; } = 256;

    /// <summary>Optional. Sessions one connection may create. Default 16.</summary>
    public int MaxSessionsPerConnection { get; init; } = 16;

    /// <summary>Optional. A request's headers must arrive completely within this time (slow-header defence). Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Optional. Value of the <c>Server:</c> header. Default "StreamGateway".</summary>
    public string ServerName { get; init; } = "StreamGateway";

    /// <summary>Every problem with these options, empty when they are usable.</summary>
    internal IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535)
        {
            errors.Add($"Port must be 0..65535 (was {Port})");
        }

        if (MaxConnectionsPerClientAddress <= 0)
        {
            errors.Add("MaxConnectionsPerClientAddress must be positive");
        }

        if (SessionTimeout <= TimeSpan.Zero)
        {
            errors.Add("SessionTimeout must be positive");
        }

        if (DescribeWaitTimeout < TimeSpan.Zero)
        {
            errors.Add("DescribeWaitTimeout must not be negative");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("RequestTimeout must be positive");
        }

        if (MaxConnections < 1)
        {
            errors.Add("MaxConnections must be at least 1");
        }

        if (MaxSessionsPerConnection < 1)
        {
            errors.Add("MaxSessionsPerConnection must be at least 1");
        }

        if (string.IsNullOrWhiteSpace(ServerName) || ServerName.AsSpan().ContainsAny('\r', '\n'))
        {
            errors.Add("ServerName must be a non-empty single line");
        }

        return errors;
    }
}
