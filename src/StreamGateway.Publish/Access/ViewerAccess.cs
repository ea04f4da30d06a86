using System.Net;

namespace StreamGateway.Publish.Access;

/// <summary>Who reads a session: the authenticated user and the destination (operations center) it belongs to.</summary>
/// <param name="User">The user name; null for an anonymous viewer (no Pull users configured, loopback only).</param>
/// <param name="Destination">The destination id the user belongs to; null for an anonymous viewer.</param>
internal sealed record ViewerIdentity(string? User, string? Destination)
{
    public static ViewerIdentity Anonymous { get; } = new(null, null);
}

/// <summary>One request as the access policy sees it.</summary>
/// <param name="Method">RTSP method (DESCRIBE, SETUP, PLAY, ...).</param>
/// <param name="Uri">The request URI exactly as sent (Digest responses are computed over it).</param>
/// <param name="Path">The published path ("school/camera" or "school/camera/trackID=n"), may be empty.</param>
/// <param name="Authorization">The Authorization header, or null.</param>
/// <param name="Client">The client's address.</param>
internal readonly record struct ViewerAccessRequest(string Method, string Uri, string Path, string? Authorization, IPAddress Client);

/// <summary>What the server does with a request.</summary>
internal enum ViewerAccessResult
{
    /// <summary>Serve it as <see cref="ViewerAccessDecision.Viewer"/>.</summary>
    Allow,

    /// <summary>401 with the decision's <c>WWW-Authenticate</c> challenges.</summary>
    Challenge,

    /// <summary>404, exactly as for a path that does not exist (no school names leak).</summary>
    NotFound,

    /// <summary>403 and the connection is closed: the client may not use the server at all (not loopback in open mode).</summary>
    Forbidden,
}

/// <summary>The policy's answer. <see cref="Reason"/> is for logs and never holds a secret.</summary>
internal sealed record ViewerAccessDecision(ViewerAccessResult Result, ViewerIdentity? Viewer, IReadOnlyList<string> Challenges, string Reason)
{
    public static ViewerAccessDecision Allow(ViewerIdentity viewer) => new(ViewerAccessResult.Allow, viewer, [], "allowed");

    public static ViewerAccessDecision NotFound(ViewerIdentity viewer) => new(ViewerAccessResult.NotFound, viewer, [], "not routed to the user's destination");

    public static ViewerAccessDecision Forbidden(string reason) => new(ViewerAccessResult.Forbidden, null, [], reason);

    public static ViewerAccessDecision Challenge(IReadOnlyList<string> challenges, string reason) => new(ViewerAccessResult.Challenge, null, challenges, reason);
}

/// <summary>
/// Decides, per request, whether a viewer may use a path. Called on the request path of every connection
/// (not the media path); implementations swap their rules atomically on reload and never block.
/// </summary>
internal interface IViewerAccessPolicy
{
    ViewerAccessDecision Check(in ViewerAccessRequest request);

    /// <summary>Whether a running session of <paramref name="viewer"/> on <paramref name="path"/> may go on after a rules change.</summary>
    bool StillAllows(ViewerIdentity viewer, string path);
}

/// <summary>Serves everyone: the server's behaviour when it is given no policy (embedding, protocol tests).</summary>
internal sealed class AllowAllViewers : IViewerAccessPolicy
{
    public static AllowAllViewers Instance { get; } = new();

    public ViewerAccessDecision Check(in ViewerAccessRequest request) => ViewerAccessDecision.Allow(ViewerIdentity.Anonymous);

    public bool StillAllows(ViewerIdentity viewer, string path) => true;
}

/// <summary>A viewing session as it ended, for the audit trail. Holds no secret and no session id.</summary>
internal sealed record ViewingSessionSummary(
    ViewerIdentity Viewer,
    IPEndPoint Client,
    string Path,
    DateTimeOffset Started,
    DateTimeOffset Ended,
    long Bytes,
    string EndReason);
