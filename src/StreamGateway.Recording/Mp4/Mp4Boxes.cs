namespace StreamGateway.Recording.Mp4;

/// <summary>One sample of a fragment: duration in the track's timescale, size in bytes, and whether it is a sync sample.</summary>
internal readonly record struct Mp4Sample(uint Duration, int Size, bool IsSync);

/// <summary>The samples of one track inside one fragment; their bytes are contiguous in <see cref="Data"/>.</summary>
internal sealed class Mp4FragmentTrack(Mp4Track track)
{
    public Mp4Track Track { get; } = track;

    /// <summary>tfdt: decode time of the first sample, in the track's timescale.</summary>
    public ulong BaseDecodeTime { get; set; }

    public List<Mp4Sample> Samples { get; } = [];

    public BoxBuffer Data { get; } = new(BoxBuffer.FragmentCapacity);

    public void Clear()
    {
        Samples.Clear();
        Data.Clear();
    }
}

/// <summary>
/// Writes the boxes of a fragmented MP4 (ISO/IEC 14496-12): the init segment (ftyp + moov with empty sample
/// tables and mvex) and media fragments (moof + mdat), one track run per track.
/// </summary>
internal static class Mp4Boxes
{
    private const uint SyncSampleFlags = 0x02000000; // sample_depends_on = 2 (independent)
    private const uint NonSyncSampleFlags = 0x01010000; // sample_depends_on = 1, sample_is_non_sync_sample

    /// <summary>ftyp and moov for the given tracks.</summary>
    public static void WriteInitSegment(BoxBuffer output, IReadOnlyList<Mp4Track> tracks)
    {
        var ftyp = output.Begin("ftyp");
        output.FourCc("iso5");
        output.U32(512);
        foreach (var brand in new[] { "iso5", "iso6", "isom", "mp41" })
        {
            output.FourCc(brand);
        }

        output.End(ftyp);

        var moov = output.Begin("moov");
        var mvhd = output.BeginFull("mvhd", 0, 0);
        output.U32(0); // creation_time
        output.U32(0); // modification_time
        output.U32(1000);
        output.U32(0); // duration: unknown, the fragments carry it
        output.U32(0x00010000); // rate 1.0
        output.U16(0x0100); // volume 1.0
        output.Zeros(10);
        output.Matrix();
        output.Zeros(24);
        output.U32(tracks.Max(t => t.TrackId) + 1);
        output.End(mvhd);

        foreach (var track in tracks)
        {
            WriteTrak(output, track);
        }

        var mvex = output.Begin("mvex");
        foreach (var track in tracks)
        {
            var trex = output.BeginFull("trex", 0, 0);
            output.U32(track.TrackId);
            output.U32(1); // default_sample_description_index
            output.U32(0);
            output.U32(0);
            output.U32(0);
            output.End(trex);
        }

        output.End(mvex);
        output.End(moov);
    }

    /// <summary>moof + mdat for the tracks that have samples; <paramref name="sequence"/> starts at 1. Allocates nothing.</summary>
    public static void WriteFragment(BoxBuffer output, uint sequence, ReadOnlySpan<Mp4FragmentTrack> tracks)
    {
        var moofStart = output.Length;
        var moof = output.Begin("moof");
        var mfhd = output.BeginFull("mfhd", 0, 0);
        output.U32(sequence);
        output.End(mfhd);

        // Where each track's trun data_offset goes (-1: no samples, no traf); a muxer has one or two tracks.
        Span<int> dataOffsetAt = tracks.Length <= 8 ? stackalloc int[8] : new int[tracks.Length];
        for (var i = 0; i < tracks.Length; i++)
        {
            var track = tracks[i];
            dataOffsetAt[i] = -1;
            if (track.Samples.Count == 0)
            {
                continue;
            }

            var traf = output.Begin("traf");
            var tfhd = output.BeginFull("tfhd", 0, 0x020000); // default-base-is-moof
            output.U32(track.Track.TrackId);
            output.End(tfhd);
            var tfdt = output.BeginFull("tfdt", 1, 0);
            output.U64(track.BaseDecodeTime);
            output.End(tfdt);
            var trun = output.BeginFull("trun", 0, 0x000001 | 0x000100 | 0x000200 | 0x000400);
            output.U32((uint)track.Samples.Count);
            dataOffsetAt[i] = output.Length;
            output.I32(0); // data_offset, patched below
            foreach (var sample in track.Samples)
            {
                output.U32(sample.Duration);
                output.U32((uint)sample.Size);
                output.U32(sample.IsSync ? SyncSampleFlags : NonSyncSampleFlags);
            }

            output.End(trun);
            output.End(traf);
        }

        output.End(moof);
        var moofSize = output.Length - moofStart;

        long mdatPayload = 0;
        foreach (var track in tracks)
        {
            mdatPayload += track.Data.Length;
        }

        output.U32((uint)(8 + mdatPayload));
        output.FourCc("mdat");
        var offset = moofSize + 8;
        for (var i = 0; i < tracks.Length; i++)
        {
            if (dataOffsetAt[i] >= 0)
            {
                output.Patch32(dataOffsetAt[i], (uint)offset);
                offset += tracks[i].Data.Length;
            }
        }

        foreach (var track in tracks)
        {
            output.Bytes(track.Data.Written);
        }
    }

    private static void WriteTrak(BoxBuffer output, Mp4Track track)
    {
        var trak = output.Begin("trak");
        var tkhd = output.BeginFull("tkhd", 0, 0x000003); // enabled, in movie
        output.U32(0);
        output.U32(0);
        output.U32(track.TrackId);
        output.U32(0);
        output.U32(0); // duration
        output.Zeros(8);
        output.U16(0); // layer
        output.U16(0); // alternate_group
        output.U16(track.IsVideo ? (ushort)0 : (ushort)0x0100);
        output.U16(0);
        output.Matrix();
        output.U32((uint)track.Width << 16);
        output.U32((uint)track.Height << 16);
        output.End(tkhd);

        var mdia = output.Begin("mdia");
        var mdhd = output.BeginFull("mdhd", 0, 0);
        output.U32(0);
        output.U32(0);
        output.U32(track.Timescale);
        output.U32(0);
        output.U16(0x55C4); // language "und"
        output.U16(0);
        output.End(mdhd);

        var hdlr = output.BeginFull("hdlr", 0, 0);
        output.U32(0);
        output.FourCc(track.IsVideo ? "vide" : "soun");
        output.Zeros(12);
        output.Bytes(track.IsVideo ? "VideoHandler\0"u8 : "SoundHandler\0"u8);
        output.End(hdlr);

        var minf = output.Begin("minf");
        if (track.IsVideo)
        {
            var vmhd = output.BeginFull("vmhd", 0, 1);
            output.Zeros(8);
            output.End(vmhd);
        }
        else
        {
            var smhd = output.BeginFull("smhd", 0, 0);
            output.Zeros(4);
            output.End(smhd);
        }

        var dinf = output.Begin("dinf");
        var dref = output.BeginFull("dref", 0, 0);
        output.U32(1);
        var url = output.BeginFull("url ", 0, 1); // media in this file
        output.End(url);
        output.End(dref);
        output.End(dinf);

        var stbl = output.Begin("stbl");
        var stsd = output.BeginFull("stsd", 0, 0);
        output.U32(1);
        WriteSampleEntry(output, track);
        output.End(stsd);
        foreach (var empty in new[] { "stts", "stsc", "stco" })
        {
            var box = output.BeginFull(empty, 0, 0);
            output.U32(0);
            output.End(box);
        }

        var stsz = output.BeginFull("stsz", 0, 0);
        output.U32(0);
        output.U32(0);
        output.End(stsz);
        output.End(stbl);
        output.End(minf);
        output.End(mdia);
        output.End(trak);
    }

    private static void WriteSampleEntry(BoxBuffer output, Mp4Track track)
    {
        if (track.IsVideo)
        {
            var entry = output.Begin(track.Codec == Mp4Codec.H264 ? "avc1" : "hvc1");
            output.Zeros(6);
            output.U16(1); // data_reference_index
            output.Zeros(16);
            output.U16((ushort)track.Width);
            output.U16((ushort)track.Height);
            output.U32(0x00480000); // 72 dpi
            output.U32(0x00480000);
            output.U32(0);
            output.U16(1); // frame_count
            output.Zeros(32); // compressorname
            output.U16(0x0018);
            output.U16(0xFFFF);
            var config = output.Begin(track.Codec == Mp4Codec.H264 ? "avcC" : "hvcC");
            output.Bytes(track.DecoderConfig);
            output.End(config);
            output.End(entry);
            return;
        }

        var mp4a = output.Begin("mp4a");
        output.Zeros(6);
        output.U16(1);
        output.Zeros(8);
        output.U16((ushort)Math.Max(1, track.Channels));
        output.U16(16);
        output.U32(0);
        output.U32((uint)track.SampleRate << 16);
        var esds = output.BeginFull("esds", 0, 0);
        var asc = track.DecoderConfig;
        // ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo, SLConfigDescriptor (ISO 14496-1 7.2.6).
        output.U8(0x03);
        output.U8((byte)(3 + 2 + 13 + 2 + asc.Length + 3));
        output.U16(0); // ES_ID
        output.U8(0);
        output.U8(0x04);
        output.U8((byte)(13 + 2 + asc.Length));
        output.U8(0x40); // MPEG-4 audio
        output.U8(0x15); // audio stream
        output.Zeros(3); // bufferSizeDB
        output.U32(0); // maxBitrate
        output.U32(0); // avgBitrate
        output.U8(0x05);
        output.U8((byte)asc.Length);
        output.Bytes(asc);
        output.U8(0x06);
        output.U8(1);
        output.U8(0x02);
        output.End(esds);
        output.End(mp4a);
    }
}
