using System.Globalization;
using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Publish.Push;

/// <summary>What a push sends, built without I/O so it can be tested alone.</summary>
internal static class PushRequests
{
    /// <summary>
    /// The ANNOUNCE body: the hub's tracks as the gateway describes them to viewers (payload type, rtpmap,
    /// the camera's fmtp verbatim with its parameter sets), each with the relative control <c>trackID={Index}</c>.
    /// </summary>
    public static string AnnounceSdp(IReadOnlyList<TrackDescription> tracks, string sessionName, string originAddress) =>
        SdpWriter.Write(tracks, sessionName, originAddress);

    /// <summary>The SETUP URL of a track: the push URL plus its control, as the receiver resolves the SDP's relative control.</summary>
    public static string TrackUrl(string baseUrl, TrackDescription track) =>
        string.Create(CultureInfo.InvariantCulture, $"{baseUrl.TrimEnd('/')}/trackID={track.Index}");

    /// <summary>The Transport of the track at <paramref name="position"/>: TCP interleaved on channels 2n and 2n+1, record mode.</summary>
    public static string SetupTransport(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, 127);
        return string.Create(CultureInfo.InvariantCulture, $"RTP/AVP/TCP;unicast;interleaved={2 * position}-{(2 * position) + 1};mode=record");
    }

    /// <summary>Channels the server chose in its Transport answer, or ours when it named none; null when the answer is unusable.</summary>
    public static (byte Rtp, byte Rtcp)? ChosenChannels(string? transportAnswer, int position)
    {
        var ours = ((byte)(2 * position), (byte)((2 * position) + 1));
        if (string.IsNullOrWhiteSpace(transportAnswer))
        {
            return ours;
        }

        var parsed = Protocols.Rtsp.RtspTransport.ParseList(transportAnswer);
        if (parsed.Count == 0)
        {
            return ours;
        }

        var transport = parsed[0];
        if (!transport.IsTcp)
        {
            return null; // the server wants UDP: we only push interleaved
        }

        if (transport.Interleaved is not { } channels)
        {
            return ours;
        }

        return channels.First is >= 0 and <= 255 && channels.Second is >= 0 and <= 255
            ? ((byte)channels.First, (byte)channels.Second)
            : null;
    }

    /// <summary>How often to send a keep-alive: half the server's session timeout, at most <paramref name="configured"/>, at least 1 s.</summary>
    public static TimeSpan KeepAliveInterval(int? sessionTimeoutSeconds, TimeSpan configured)
    {
        if (sessionTimeoutSeconds is not { } seconds || seconds <= 0)
        {
            return configured;
        }

        var half = TimeSpan.FromSeconds(seconds / 2.0);
        var interval = half < configured ? half : configured;
        return interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : interval;
    }

    /// <summary>True when the OPTIONS answer's Public header lists GET_PARAMETER (the quieter keep-alive).</summary>
    public static bool SupportsGetParameter(string? publicHeader) =>
        publicHeader is not null && publicHeader.Split(',').Any(m => m.Trim().Equals("GET_PARAMETER", StringComparison.OrdinalIgnoreCase));
}
