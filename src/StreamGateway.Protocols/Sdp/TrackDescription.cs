namespace StreamGateway.Protocols.Sdp;

/// <summary>The kind of media a track carries, from the SDP <c>m=</c> line.</summary>
public enum MediaKind
{
    Video,
    Audio,
    Application,
}

/// <summary>
/// One track the gateway relays: what the camera's SDP said about it, resolved and normalised.
/// Value equality lets a reconnect tell whether the camera came back with the same media.
/// </summary>
public sealed record TrackDescription
{
    /// <summary>Required. Position among the relayed tracks, 0-based; the gateway's own control is <c>trackID={Index}</c>.</summary>
    public required int Index { get; init; }

    /// <summary>Required. Video, audio or application (metadata).</summary>
    public required MediaKind Kind { get; init; }

    /// <summary>Required. RTP payload type (0..127).</summary>
    public required byte PayloadType { get; init; }

    /// <summary>Required. Encoding name in upper case: H264, H265, MPEG4-GENERIC, PCMA, PCMU, ...</summary>
    public required string EncodingName { get; init; }

    /// <summary>Required. RTP clock rate in Hz (90000 for video).</summary>
    public required int ClockRate { get; init; }

    /// <summary>Optional. Audio channel count from rtpmap, when given.</summary>
    public int? Channels { get; init; }

    /// <summary>Optional. The <c>a=fmtp</c> parameters after the payload type (for example sprop-parameter-sets).</summary>
    public string? Fmtp { get; init; }

    /// <summary>Required. Absolute control URL to SETUP this track at the camera.</summary>
    public required string ControlUrl { get; init; }

    /// <summary>True for H.264 and H.265, whose packets carry keyframes.</summary>
    public bool IsVideoWithKeyframes => EncodingName is "H264" or "H265";
}
