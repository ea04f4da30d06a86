using System.Net;
using Microsoft.Extensions.Logging;

namespace StreamGateway.Publish;

/// <summary>Log messages of the RTSP server. Event ids 400-449 are stable; never log URLs with credentials or session ids.</summary>
internal static partial class RtspServerLog
{
    [LoggerMessage(400, LogLevel.Information, "RTSP server listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(401, LogLevel.Debug, "Connection {ConnectionId} from {Remote} accepted")]
    public static partial void ConnectionAccepted(ILogger logger, long connectionId, EndPoint remote);

    [LoggerMessage(402, LogLevel.Debug, "Connection {ConnectionId} from {Remote} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, EndPoint remote, string reason);

    [LoggerMessage(403, LogLevel.Warning, "Connection from {Remote} refused: {Max} connections already open")]
    public static partial void ConnectionLimitReached(ILogger logger, EndPoint? remote, int max);

    [LoggerMessage(404, LogLevel.Warning, "Malformed input from {Remote}: {Error}; closing")]
    public static partial void MalformedInput(ILogger logger, EndPoint remote, string error);

    [LoggerMessage(405, LogLevel.Warning, "Request from {Remote} not complete within {Timeout}; closing")]
    public static partial void RequestTimedOut(ILogger logger, EndPoint remote, TimeSpan timeout);

    [LoggerMessage(406, LogLevel.Debug, "{Method} {Path} from {Remote} -> {Status}")]
    public static partial void RequestHandled(ILogger logger, string method, string path, EndPoint remote, int status);

    [LoggerMessage(407, LogLevel.Information, "DESCRIBE of unknown path {Path} from {Remote}")]
    public static partial void StreamNotFound(ILogger logger, string path, EndPoint remote);

    [LoggerMessage(408, LogLevel.Warning, "DESCRIBE of {Path}: media not known within {Timeout}; answering 503")]
    public static partial void DescribeTimedOut(ILogger logger, string path, TimeSpan timeout);

    [LoggerMessage(409, LogLevel.Information, "Session {SessionNumber} started: {Path} to {Remote} over {Transport}")]
    public static partial void SessionStarted(ILogger logger, long sessionNumber, string path, EndPoint remote, string transport);

    [LoggerMessage(410, LogLevel.Information, "Session {SessionNumber} ended ({Reason}): {Path} to {Remote} over {Transport}, delivered {Delivered} packets / {Bytes} bytes, dropped {Dropped}")]
    public static partial void SessionEnded(ILogger logger, long sessionNumber, string reason, string path, EndPoint remote, string transport, long delivered, long bytes, long dropped);

    [LoggerMessage(411, LogLevel.Information, "Session {SessionNumber} playing {Path}")]
    public static partial void SessionPlaying(ILogger logger, long sessionNumber, string path);

    [LoggerMessage(412, LogLevel.Warning, "Accepting a connection failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(413, LogLevel.Debug, "Unsupported transport from {Remote}: {Transport}")]
    public static partial void UnsupportedTransport(ILogger logger, EndPoint remote, string transport);

    [LoggerMessage(414, LogLevel.Debug, "Connection {ConnectionId} from {Remote} failed")]
    public static partial void ConnectionFailed(ILogger logger, long connectionId, EndPoint remote, Exception exception);

    [LoggerMessage(415, LogLevel.Warning, "No free UDP port pair for a session from {Remote}")]
    public static partial void UdpPortsExhausted(ILogger logger, EndPoint remote);

    [LoggerMessage(416, LogLevel.Debug, "Session {SessionNumber} send failed")]
    public static partial void SendFailed(ILogger logger, long sessionNumber, Exception exception);

    [LoggerMessage(417, LogLevel.Information, "RTSP server on {EndPoint} stopped")]
    public static partial void Stopped(ILogger logger, EndPoint endPoint);

    [LoggerMessage(418, LogLevel.Error, "Session {SessionNumber} sender failed")]
    public static partial void SenderCrashed(ILogger logger, long sessionNumber, Exception exception);

    [LoggerMessage(419, LogLevel.Warning, "Refused a connection from {Address}: it already holds {Max} connections")]
    public static partial void ClientConnectionLimitReached(ILogger logger, IPAddress address, int max);

    [LoggerMessage(420, LogLevel.Debug, "{Method} {Path} from {Remote}: 401 ({Reason})")]
    public static partial void AuthenticationRequired(ILogger logger, string method, string path, EndPoint remote, string reason);

    [LoggerMessage(421, LogLevel.Warning, "{Method} {Path} from {Remote}: 401 ({Reason})")]
    public static partial void AuthenticationFailed(ILogger logger, string method, string path, EndPoint remote, string reason);

    [LoggerMessage(422, LogLevel.Information, "{Method} {Path} from {Remote}: 404 for user {User} of {Destination} (not routed there)")]
    public static partial void NotRouted(ILogger logger, string method, string path, EndPoint remote, string user, string destination);

    [LoggerMessage(423, LogLevel.Warning, "Refused {Remote}: {Reason}")]
    public static partial void ViewerRefused(ILogger logger, EndPoint remote, string reason);

    [LoggerMessage(424, LogLevel.Warning, "Session {SessionNumber} on {Path} of user {User} closed: access revoked by a configuration change")]
    public static partial void SessionRevoked(ILogger logger, long sessionNumber, string path, string user);

    [LoggerMessage(425, LogLevel.Error, "A session-ended observer failed")]
    public static partial void SessionObserverFailed(ILogger logger, Exception exception);
}
