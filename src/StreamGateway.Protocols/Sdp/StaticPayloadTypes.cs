namespace StreamGateway.Protocols.Sdp;

/// <summary>RTP static payload types (RFC 3551 table 4 and 5; the registry is closed).</summary>
internal static class StaticPayloadTypes
{
    /// <summary>Payload types from here on (35..127) must be given by an rtpmap.</summary>
    public const int FirstUnassigned = 35;

    private static readonly (string Name, int ClockRate, MediaKind Kind)?[] Table = Build();

    public static RtpMap? Get(int payloadType) =>
        payloadType is >= 0 and < FirstUnassigned && Table[payloadType] is { } entry
            ? new RtpMap(payloadType, entry.Name, entry.ClockRate, null)
            : null;

    public static MediaKind? KindOf(int payloadType) =>
        payloadType is >= 0 and < FirstUnassigned ? Table[payloadType]?.Kind : null;

    private static (string, int, MediaKind)?[] Build()
    {
        var table = new (string, int, MediaKind)?[FirstUnassigned];
        table[0] = ("PCMU", 8000, MediaKind.Audio);
        table[3] = ("GSM", 8000, MediaKind.Audio);
        table[4] = ("G723", 8000, MediaKind.Audio);
        table[5] = ("DVI4", 8000, MediaKind.Audio);
        table[6] = ("DVI4", 16000, MediaKind.Audio);
        table[7] = ("LPC", 8000, MediaKind.Audio);
        table[8] = ("PCMA", 8000, MediaKind.Audio);
        table[9] = ("G722", 8000, MediaKind.Audio);
        table[10] = ("L16", 44100, MediaKind.Audio);
        table[11] = ("L16", 44100, MediaKind.Audio);
        table[12] = ("QCELP", 8000, MediaKind.Audio);
        table[13] = ("CN", 8000, MediaKind.Audio);
        table[14] = ("MPA", 90000, MediaKind.Audio);
        table[15] = ("G728", 8000, MediaKind.Audio);
        table[16] = ("DVI4", 11025, MediaKind.Audio);
        table[17] = ("DVI4", 22050, MediaKind.Audio);
        table[18] = ("G729", 8000, MediaKind.Audio);
        table[25] = ("CELB", 90000, MediaKind.Video);
        table[26] = ("JPEG", 90000, MediaKind.Video);
        table[28] = ("NV", 90000, MediaKind.Video);
        table[31] = ("H261", 90000, MediaKind.Video);
        table[32] = ("MPV", 90000, MediaKind.Video);
        table[33] = ("MP2T", 90000, MediaKind.Video);
        table[34] = ("H263", 90000, MediaKind.Video);
        return table;
    }
}
