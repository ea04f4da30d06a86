namespace StreamGateway.Ingest;

/// <summary>
/// A camera session failed in a way the reconnect policy should handle. Messages name the step and
/// the camera's answer, never credentials.
/// </summary>
public sealed class RtspClientException : Exception
{
    public RtspClientException(string message, int? statusCode = null, Exception? inner = null)
        : base(message, inner) => StatusCode = statusCode;

    /// <summary>The camera's RTSP status, when the failure was an answer rather than a broken link.</summary>
    public int? StatusCode { get; }
}
