using System.Globalization;
using System.Text;

namespace StreamGateway.Protocols.Sdp;

/// <summary>Writes the SDP the gateway answers DESCRIBE with.</summary>
public static class SdpWriter
{
    /// <summary>
    /// Builds the description: session control <c>*</c>, and per track its payload type, rtpmap, the camera's
    /// fmtp verbatim (so sprop-parameter-sets reach the decoder) and control <c>trackID={Index}</c>.
    /// The origin's session id is a hash of the tracks, so the same media gives the same text.
    /// </summary>
    public static string Write(IReadOnlyList<TrackDescription> tracks, string sessionName, string originAddress)
    {
        ArgumentNullException.ThrowIfNull(tracks);
        ArgumentNullException.ThrowIfNull(sessionName);
        ArgumentNullException.ThrowIfNull(originAddress);

        var inv = CultureInfo.InvariantCulture;
        var addressType = originAddress.Contains(':', StringComparison.Ordinal) ? "IP6" : "IP4";
        var sb = new StringBuilder(256 + (tracks.Count * 256));
        sb.Append("v=0\r\n");
        sb.Append(inv, $"o=- {SessionId(tracks)} 1 IN {addressType} {OneLine(originAddress)}\r\n");
        sb.Append("s=").Append(sessionName.Length == 0 ? " " : OneLine(sessionName)).Append("\r\n");
        sb.Append("c=IN IP4 0.0.0.0\r\n");
        sb.Append("t=0 0\r\n");
        sb.Append("a=control:*\r\n");
        sb.Append("a=range:npt=0-\r\n");
        foreach (var track in tracks)
        {
            sb.Append(inv, $"m={KindName(track.Kind)} 0 RTP/AVP {track.PayloadType}\r\n");
            sb.Append(inv, $"a=rtpmap:{track.PayloadType} {OneLine(track.EncodingName)}/{track.ClockRate}");
            if (track.Channels is { } channels)
            {
                sb.Append(inv, $"/{channels}");
            }

            sb.Append("\r\n");
            if (!string.IsNullOrEmpty(track.Fmtp))
            {
                sb.Append(inv, $"a=fmtp:{track.PayloadType} {OneLine(track.Fmtp)}\r\n");
            }

            sb.Append(inv, $"a=control:trackID={track.Index}\r\n");
        }

        return sb.ToString();
    }

    private static string KindName(MediaKind kind) => kind switch
    {
        MediaKind.Video => "video",
        MediaKind.Audio => "audio",
        _ => "application",
    };

    // A CR or LF inside a value would start a new SDP line; camera text must not be able to inject one.
    private static string OneLine(string value) =>
        value.AsSpan().IndexOfAny('\r', '\n') < 0 ? value : value.Replace('\r', ' ').Replace('\n', ' ');

    private static ulong SessionId(IReadOnlyList<TrackDescription> tracks)
    {
        // FNV-1a over the describing fields: stable across processes, unlike string.GetHashCode.
        var hash = 14695981039346656037UL;
        void Mix(string? s)
        {
            foreach (var c in s ?? string.Empty)
            {
                hash = (hash ^ c) * 1099511628211UL;
            }

            hash = (hash ^ 0xFF) * 1099511628211UL;
        }

        foreach (var t in tracks)
        {
            Mix(t.Kind.ToString());
            Mix(t.PayloadType.ToString(CultureInfo.InvariantCulture));
            Mix(t.EncodingName);
            Mix(t.ClockRate.ToString(CultureInfo.InvariantCulture));
            Mix(t.Channels?.ToString(CultureInfo.InvariantCulture));
            Mix(t.Fmtp);
        }

        return hash & long.MaxValue;
    }
}
