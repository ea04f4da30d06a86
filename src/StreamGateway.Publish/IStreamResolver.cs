using StreamGateway.Relay;

namespace StreamGateway.Publish;

/// <summary>Maps a published path to the hub that carries it; the RTSP server never talks to cameras.</summary>
public interface IStreamResolver
{
    /// <summary>
    /// Returns the hub for <paramref name="path"/> ("school/camera": no leading or trailing slash, no query),
    /// or null when nothing is published there (the server answers 404).
    /// </summary>
    StreamHub? Resolve(string path);
}
