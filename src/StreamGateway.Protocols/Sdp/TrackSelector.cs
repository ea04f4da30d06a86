using System.Globalization;

namespace StreamGateway.Protocols.Sdp;

/// <summary>The tracks the gateway relays from one camera, and why each other media section was left out.</summary>
public sealed record TrackSelection(IReadOnlyList<TrackDescription> Tracks, IReadOnlyList<string> Skipped);

/// <summary>
/// Chooses which media sections of a camera's DESCRIBE answer the gateway relays, and resolves their control URLs.
/// </summary>
/// <remarks>
/// Relayed: video and audio whose encoding is known (an rtpmap, or a static payload type below 35).
/// Skipped: application and vendor media (ONVIF metadata, TP-LINK smart/1, text, vana), inactive sections,
/// non-RTP protocols, and ONVIF audio backchannels. A backchannel is an audio section marked
/// <c>a=sendonly</c> in an SDP that otherwise uses the ONVIF client-view convention (another section, or the
/// session, is <c>recvonly</c>) or that has another audio section not marked sendonly. Servers that write
/// sendonly from their own point of view (D-Link, IDS uEye) mark no section recvonly, so their media stays.
/// </remarks>
public static class TrackSelector
{
    /// <summary>Selects the tracks to relay.</summary>
    /// <param name="sdp">The camera's description.</param>
    /// <param name="requestUri">The URL the DESCRIBE was sent to.</param>
    /// <param name="contentBase">Content-Base of the answer, else its Content-Location, else null.</param>
    public static TrackSelection Select(SessionDescription sdp, Uri requestUri, Uri? contentBase)
    {
        ArgumentNullException.ThrowIfNull(sdp);
        ArgumentNullException.ThrowIfNull(requestUri);

        // Credentials in the request URL must not travel into control URLs (records print them in logs).
        var baseUrl = WithoutUserInfo((contentBase ?? requestUri).OriginalString);
        var sessionUrl = sdp.Control is { } sessionControl && !IsWildcard(sessionControl)
            ? ResolveControl(baseUrl, sessionControl)
            : baseUrl;
        var usesClientViewDirections = string.Equals(sdp.Direction, "recvonly", StringComparison.Ordinal)
            || sdp.Media.Any(m => string.Equals(m.Direction, "recvonly", StringComparison.Ordinal));
        var receivableAudioSections = sdp.Media.Count(m => IsAudio(m) && !string.Equals(m.Direction, "sendonly", StringComparison.Ordinal));

        var tracks = new List<TrackDescription>();
        var skipped = new List<string>();
        for (var i = 0; i < sdp.Media.Count; i++)
        {
            var media = sdp.Media[i];
            var label = $"m={media.Media} section {i} (control {(media.Control is { } c ? WithoutUserInfo(c) : "none")})";
            var reason = Classify(media, sdp, usesClientViewDirections, receivableAudioSections, out var kind, out var payloadType, out var map);
            if (reason is not null)
            {
                skipped.Add($"{label}: {reason}");
                continue;
            }

            tracks.Add(new TrackDescription
            {
                Index = tracks.Count,
                Kind = kind,
                PayloadType = (byte)payloadType,
                EncodingName = map!.EncodingName,
                ClockRate = map.ClockRate,
                Channels = map.Channels,
                Fmtp = media.GetFmtp(payloadType),
                ControlUrl = media.Control is { } control && !IsWildcard(control) ? ResolveControl(baseUrl, control) : sessionUrl,
            });
        }

        return new TrackSelection(tracks, skipped);
    }

    /// <summary>
    /// Resolves a media control against the base URL the way cameras expect, which is how ffmpeg and live555
    /// (VLC) do it rather than RFC 3986: an absolute URL is used as is; a path starting with '/' replaces the
    /// base path; anything else is appended to the base, with a '/' between unless the base ends with one.
    /// So Dahua's base "…?channel=1&amp;subtype=1/" with "trackID=0" gives "…?channel=1&amp;subtype=1/trackID=0",
    /// and a base without a trailing '/' ("rtsp://h/camera") keeps its last segment ("rtsp://h/camera/trackID=3").
    /// </summary>
    internal static string ResolveControl(string baseUrl, string control)
    {
        control = control.Trim();
        if (IsAbsolute(control))
        {
            return WithoutUserInfo(control);
        }

        if (control.StartsWith('/'))
        {
            var schemeEnd = baseUrl.IndexOf("://", StringComparison.Ordinal);
            var pathStart = schemeEnd < 0 ? -1 : baseUrl.IndexOfAny(['/', '?'], schemeEnd + 3);
            return (pathStart < 0 ? baseUrl : baseUrl[..pathStart]) + control;
        }

        return baseUrl.EndsWith('/') ? baseUrl + control : baseUrl + "/" + control;
    }

    private static string? Classify(
        MediaDescription media,
        SessionDescription sdp,
        bool usesClientViewDirections,
        int receivableAudioSections,
        out MediaKind kind,
        out int payloadType,
        out RtpMap? map)
    {
        kind = default;
        payloadType = -1;
        map = null;

        if (string.Equals(media.Media, "video", StringComparison.OrdinalIgnoreCase))
        {
            kind = MediaKind.Video;
        }
        else if (string.Equals(media.Media, "audio", StringComparison.OrdinalIgnoreCase))
        {
            kind = MediaKind.Audio;
        }
        else
        {
            var encoding = media.Formats.Count > 0 && int.TryParse(media.Formats[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pt)
                ? media.GetRtpMap(pt)?.EncodingName
                : null;
            return encoding is null
                ? $"{media.Media} media is not relayed"
                : $"{media.Media} media ({encoding}) is not relayed";
        }

        if (!media.Protocol.Contains("RTP", StringComparison.OrdinalIgnoreCase))
        {
            return $"protocol {media.Protocol} is not RTP";
        }

        var direction = media.Direction ?? sdp.Direction;
        if (direction == "inactive")
        {
            return "inactive";
        }

        if (kind == MediaKind.Audio && direction == "sendonly"
            && (usesClientViewDirections || receivableAudioSections > 0))
        {
            return "audio backchannel (a=sendonly: the camera receives this track)";
        }

        if (media.Formats.Count == 0)
        {
            return "no payload type";
        }

        // The first format is the default one (RFC 8866 5.14); it is what the camera sends.
        if (!int.TryParse(media.Formats[0], NumberStyles.None, CultureInfo.InvariantCulture, out payloadType) || payloadType > 127)
        {
            return $"payload type \"{media.Formats[0]}\" is not a number from 0 to 127";
        }

        // An rtpmap wins over the static table (a GW Security camera maps PT 8 to PCMU).
        map = media.GetRtpMap(payloadType) ?? StaticPayloadTypes.Get(payloadType);
        if (map is null)
        {
            return payloadType >= StaticPayloadTypes.FirstUnassigned
                ? $"payload type {payloadType} has no rtpmap"
                : $"payload type {payloadType} is not a known static type";
        }

        if (media.GetRtpMap(payloadType) is null && StaticPayloadTypes.KindOf(payloadType) != kind)
        {
            return $"static payload type {payloadType} ({map.EncodingName}) is not {media.Media}";
        }

        return null;
    }

    /// <summary>Removes "user:password@" from a URL's authority.</summary>
    internal static string WithoutUserInfo(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return url;
        }

        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        var authority = url.AsSpan(authorityStart, (authorityEnd < 0 ? url.Length : authorityEnd) - authorityStart);
        var at = authority.LastIndexOf('@');
        return at < 0 ? url : string.Concat(url.AsSpan(0, authorityStart), url.AsSpan(authorityStart + at + 1));
    }

    private static bool IsAudio(MediaDescription media) => string.Equals(media.Media, "audio", StringComparison.OrdinalIgnoreCase);

    private static bool IsWildcard(string control) => control.Trim() is "*" or "";

    private static bool IsAbsolute(string control)
    {
        var schemeEnd = control.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            return false;
        }

        for (var i = 0; i < schemeEnd; i++)
        {
            var c = control[i];
            if (!(char.IsAsciiLetter(c) || (i > 0 && (char.IsAsciiDigit(c) || c is '+' or '-' or '.'))))
            {
                return false;
            }
        }

        return true;
    }
}
