using StreamGateway.Protocols.Codecs;

namespace StreamGateway.Recording.Mp4;

/// <summary>The codec of a recorded track.</summary>
internal enum Mp4Codec
{
    H264,
    H265,
    Aac,
}

/// <summary>
/// One track of a fragmented MP4 file: what the init segment (moov) says about it. Built from the parameter
/// sets (video) or the AudioSpecificConfig (AAC); immutable, so a parameter change means a new track and a new segment.
/// </summary>
internal sealed record Mp4Track
{
    /// <summary>1-based track_ID.</summary>
    public required uint TrackId { get; init; }

    public required Mp4Codec Codec { get; init; }

    /// <summary>Media timescale: the RTP clock rate (90000 for video, the sampling rate for AAC).</summary>
    public required uint Timescale { get; init; }

    public bool IsVideo => Codec is Mp4Codec.H264 or Mp4Codec.H265;

    public int Width { get; init; }

    public int Height { get; init; }

    public int Channels { get; init; }

    public int SampleRate { get; init; }

    /// <summary>The body of avcC / hvcC / the AudioSpecificConfig, built by the factory methods.</summary>
    public required byte[] DecoderConfig { get; init; }

    /// <summary>An H.264 track from its SPS and PPS NAL units (with their header bytes).</summary>
    public static Mp4Track? H264(uint trackId, byte[] sps, byte[] pps)
    {
        if (!SequenceParameterSet.TryParseH264(sps, out var info))
        {
            return null;
        }

        var avcC = new BoxBuffer(64);
        avcC.U8(1);
        avcC.U8(sps[1]); // profile_idc
        avcC.U8(sps[2]); // constraint flags
        avcC.U8(sps[3]); // level_idc
        avcC.U8(0xFF); // 4-byte NAL lengths
        avcC.U8(0xE1); // one SPS
        avcC.U16((ushort)sps.Length);
        avcC.Bytes(sps);
        avcC.U8(1);
        avcC.U16((ushort)pps.Length);
        avcC.Bytes(pps);
        if (sps[1] is 100 or 110 or 122 or 144)
        {
            // ISO 14496-15 5.3.3.1.2: the high profiles carry chroma format and bit depths.
            avcC.U8((byte)(0xFC | info!.ChromaFormat));
            avcC.U8((byte)(0xF8 | (info.BitDepthLuma - 8)));
            avcC.U8((byte)(0xF8 | (info.BitDepthChroma - 8)));
            avcC.U8(0);
        }

        return new Mp4Track
        {
            TrackId = trackId,
            Codec = Mp4Codec.H264,
            Timescale = 90000,
            Width = info!.Width,
            Height = info.Height,
            DecoderConfig = TakeBytes(avcC),
        };
    }

    /// <summary>An H.265 track from its VPS, SPS and PPS NAL units (with their 2-byte headers).</summary>
    public static Mp4Track? H265(uint trackId, byte[] vps, byte[] sps, byte[] pps)
    {
        if (!SequenceParameterSet.TryParseH265(sps, out var info))
        {
            return null;
        }

        var hvcC = new BoxBuffer(128);
        hvcC.U8(1);
        hvcC.Bytes(info!.GeneralProfileTierLevel); // profile space/tier/idc, compatibility, constraints, level
        hvcC.U16(0xF000); // min_spatial_segmentation_idc 0
        hvcC.U8(0xFC); // parallelismType unknown
        hvcC.U8((byte)(0xFC | info.ChromaFormat));
        hvcC.U8((byte)(0xF8 | (info.BitDepthLuma - 8)));
        hvcC.U8((byte)(0xF8 | (info.BitDepthChroma - 8)));
        hvcC.U16(0); // avgFrameRate unknown
        hvcC.U8(0x0F); // constantFrameRate 0, numTemporalLayers 1, temporalIdNested 1, lengthSizeMinusOne 3
        hvcC.U8(3);
        foreach (var (type, nal) in new[] { (32, vps), (33, sps), (34, pps) })
        {
            hvcC.U8((byte)(0x80 | type)); // array_completeness: every set is in the sample entry
            hvcC.U16(1);
            hvcC.U16((ushort)nal.Length);
            hvcC.Bytes(nal);
        }

        return new Mp4Track
        {
            TrackId = trackId,
            Codec = Mp4Codec.H265,
            Timescale = 90000,
            Width = info.Width,
            Height = info.Height,
            DecoderConfig = TakeBytes(hvcC),
        };
    }

    /// <summary>An AAC track from its AudioSpecificConfig; the timescale is the RTP clock rate (the sampling rate).</summary>
    public static Mp4Track Aac(uint trackId, byte[] audioSpecificConfig, int sampleRate, int channels) => new()
    {
        TrackId = trackId,
        Codec = Mp4Codec.Aac,
        Timescale = (uint)sampleRate,
        SampleRate = sampleRate,
        Channels = channels,
        DecoderConfig = audioSpecificConfig,
    };

    private static byte[] TakeBytes(BoxBuffer buffer)
    {
        var bytes = buffer.Written.ToArray();
        buffer.Release();
        return bytes;
    }
}
