using System.Buffers.Binary;

namespace StreamGateway.Archive;

/// <summary>What the box walk learned about one MP4 segment.</summary>
/// <param name="Duration">Media time of the complete fragments (or the moov duration of a plain MP4).</param>
/// <param name="CompleteFragments">moof+mdat pairs wholly on disk.</param>
/// <param name="Truncated">The file ends inside a box (typically a crash mid-fragment).</param>
internal sealed record Fmp4Info(TimeSpan Duration, int CompleteFragments, bool Truncated);

/// <summary>
/// Reads an MP4's duration from its boxes without decoding: the video track's timescale (mdhd) and, per
/// fragment, tfdt plus the trun sample durations. A fragment counts only when its mdat is wholly on disk,
/// so a segment cut by a crash still reports the footage it really holds. Reads only box headers, moov
/// and moof (each bounded), seeking over mdat: cheap enough to run over a whole archive.
/// </summary>
internal static class Fmp4Inspector
{
    /// <summary>Largest moov or moof read into memory; a bigger one is treated as damage.</summary>
    public const int MaxMetadataBoxBytes = 8 * 1024 * 1024;

    /// <summary>Top-level boxes walked per file; a bound against corrupt size fields.</summary>
    public const int MaxTopLevelBoxes = 1_000_000;

    public static Fmp4Info? TryRead(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.RandomAccess);
            return TryRead(stream);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Null when the stream is not an MP4 this can measure (no moov, no video timescale).</summary>
    public static Fmp4Info? TryRead(Stream stream)
    {
        var length = stream.Length;
        long position = 0;
        Span<byte> header = stackalloc byte[16];
        MovieInfo? movie = null;
        Fragment? pending = null;
        ulong? firstStart = null;
        ulong lastEnd = 0;
        ulong nextDecodeTime = 0;
        var complete = 0;
        var truncated = false;

        for (var boxes = 0; position < length && boxes < MaxTopLevelBoxes; boxes++)
        {
            if (length - position < 8)
            {
                truncated = true;
                break;
            }

            stream.Position = position;
            stream.ReadExactly(header[..8]);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
            var headerSize = 8;
            if (size == 1)
            {
                if (length - position < 16)
                {
                    truncated = true;
                    break;
                }

                stream.ReadExactly(header[8..16]);
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = length - position;
            }

            if (size < headerSize)
            {
                truncated = true;
                break;
            }

            if (position + size > length)
            {
                truncated = true;
                break;
            }

            if (type is Moov or Moof)
            {
                if (size - headerSize > MaxMetadataBoxBytes)
                {
                    return null;
                }

                var body = new byte[size - headerSize];
                stream.ReadExactly(body);
                if (type == Moov)
                {
                    movie = ParseMoov(body);
                }
                else if (movie is not null)
                {
                    pending = ParseMoof(body, movie, nextDecodeTime);
                }
            }
            else if (type == Mdat && pending is { } fragment)
            {
                // The fragment's samples are now wholly on disk.
                firstStart ??= fragment.Start;
                lastEnd = fragment.Start + fragment.Duration;
                nextDecodeTime = lastEnd;
                complete++;
                pending = null;
            }

            position += size;
        }

        if (movie is null || movie.Timescale == 0)
        {
            return null;
        }

        if (complete == 0 && !movie.Fragmented)
        {
            return new Fmp4Info(Seconds(movie.MovieDuration, movie.MovieTimescale), 0, truncated);
        }

        var ticks = firstStart is { } start ? lastEnd - start : 0;
        return new Fmp4Info(Seconds(ticks, movie.Timescale), complete, truncated || pending is not null);
    }

    private static TimeSpan Seconds(ulong ticks, uint timescale) =>
        timescale == 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)((decimal)ticks * TimeSpan.TicksPerSecond / timescale));

    private const uint Moov = 0x6D6F6F76, Moof = 0x6D6F6F66, Mdat = 0x6D646174, Trak = 0x7472616B, Mdia = 0x6D646961,
        Mdhd = 0x6D646864, Hdlr = 0x68646C72, Tkhd = 0x746B6864, Mvex = 0x6D766578, Trex = 0x74726578, Mvhd = 0x6D766864,
        Traf = 0x74726166, Tfhd = 0x74666864, Tfdt = 0x74666474, Trun = 0x7472756E, Vide = 0x76696465;

    private sealed record MovieInfo(uint TrackId, uint Timescale, uint DefaultDuration, bool Fragmented, ulong MovieDuration, uint MovieTimescale);

    private readonly record struct Fragment(ulong Start, ulong Duration);

    /// <summary>Children of a container body as (type, body) pairs; stops at the first malformed size.</summary>
    private static IEnumerable<(uint Type, ReadOnlyMemory<byte> Body)> Children(ReadOnlyMemory<byte> container)
    {
        var offset = 0;
        while (container.Length - offset >= 8)
        {
            var span = container.Span[offset..];
            long size = BinaryPrimitives.ReadUInt32BigEndian(span);
            var type = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
            var headerSize = 8;
            if (size == 1 && span.Length >= 16)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(span[8..]);
                headerSize = 16;
            }
            else if (size == 0)
            {
                size = span.Length;
            }

            if (size < headerSize || size > span.Length)
            {
                yield break;
            }

            yield return (type, container.Slice(offset + headerSize, (int)size - headerSize));
            offset += (int)size;
        }
    }

    private static MovieInfo? ParseMoov(ReadOnlyMemory<byte> moov)
    {
        (uint Id, uint Timescale, bool IsVideo)? chosen = null;
        ulong movieDuration = 0;
        uint movieTimescale = 0;
        var fragmented = false;
        var trex = new Dictionary<uint, uint>();
        foreach (var (type, body) in Children(moov))
        {
            var span = body.Span;
            if (type == Mvhd && span.Length >= 32)
            {
                var v1 = span[0] == 1;
                movieTimescale = BinaryPrimitives.ReadUInt32BigEndian(span[(v1 ? 20 : 12)..]);
                movieDuration = v1 ? BinaryPrimitives.ReadUInt64BigEndian(span[24..]) : BinaryPrimitives.ReadUInt32BigEndian(span[16..]);
            }
            else if (type == Trak && ParseTrak(body) is { } track && (chosen is null || (track.IsVideo && !chosen.Value.IsVideo)))
            {
                // The first video track; the first track of any kind when there is no video.
                chosen = track;
            }
            else if (type == Mvex)
            {
                fragmented = true;
                foreach (var (childType, child) in Children(body))
                {
                    if (childType == Trex && child.Length >= 24)
                    {
                        trex[BinaryPrimitives.ReadUInt32BigEndian(child.Span[4..])] = BinaryPrimitives.ReadUInt32BigEndian(child.Span[12..]);
                    }
                }
            }
        }

        if (chosen is not { } c)
        {
            return null;
        }

        return new MovieInfo(c.Id, c.Timescale, trex.GetValueOrDefault(c.Id), fragmented, movieDuration, movieTimescale);
    }

    private static (uint Id, uint Timescale, bool IsVideo)? ParseTrak(ReadOnlyMemory<byte> trak)
    {
        uint id = 0, timescale = 0;
        var video = false;
        foreach (var (type, body) in Children(trak))
        {
            if (type == Tkhd && body.Length >= 24)
            {
                id = BinaryPrimitives.ReadUInt32BigEndian(body.Span[(body.Span[0] == 1 ? 20 : 12)..]);
            }
            else if (type == Mdia)
            {
                foreach (var (childType, child) in Children(body))
                {
                    if (childType == Mdhd && child.Length >= 24)
                    {
                        timescale = BinaryPrimitives.ReadUInt32BigEndian(child.Span[(child.Span[0] == 1 ? 20 : 12)..]);
                    }
                    else if (childType == Hdlr && child.Length >= 12)
                    {
                        video = BinaryPrimitives.ReadUInt32BigEndian(child.Span[8..]) == Vide;
                    }
                }
            }
        }

        return timescale == 0 ? null : (id, timescale, video);
    }

    private static Fragment? ParseMoof(ReadOnlyMemory<byte> moof, MovieInfo movie, ulong nextDecodeTime)
    {
        foreach (var (type, traf) in Children(moof))
        {
            if (type != Traf)
            {
                continue;
            }

            uint trackId = 0;
            var defaultDuration = movie.DefaultDuration;
            ulong? start = null;
            ulong total = 0;
            foreach (var (childType, child) in Children(traf))
            {
                var span = child.Span;
                if (childType == Tfhd && span.Length >= 8)
                {
                    var flags = BinaryPrimitives.ReadUInt32BigEndian(span) & 0xFFFFFF;
                    trackId = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
                    var offset = 8 + ((flags & 0x1) != 0 ? 8 : 0) + ((flags & 0x2) != 0 ? 4 : 0);
                    if ((flags & 0x8) != 0 && span.Length >= offset + 4)
                    {
                        defaultDuration = BinaryPrimitives.ReadUInt32BigEndian(span[offset..]);
                    }
                }
                else if (childType == Tfdt && span.Length >= 8)
                {
                    start = span[0] == 1 && span.Length >= 12 ? BinaryPrimitives.ReadUInt64BigEndian(span[4..]) : BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
                }
                else if (childType == Trun && span.Length >= 8)
                {
                    total += TrunDuration(span, defaultDuration);
                }
            }

            if (trackId == movie.TrackId)
            {
                return new Fragment(start ?? nextDecodeTime, total);
            }
        }

        return null;
    }

    private static ulong TrunDuration(ReadOnlySpan<byte> trun, uint defaultDuration)
    {
        var flags = BinaryPrimitives.ReadUInt32BigEndian(trun) & 0xFFFFFF;
        var count = BinaryPrimitives.ReadUInt32BigEndian(trun[4..]);
        var offset = 8 + ((flags & 0x1) != 0 ? 4 : 0) + ((flags & 0x4) != 0 ? 4 : 0);
        if ((flags & 0x100) == 0)
        {
            return (ulong)count * defaultDuration;
        }

        var stride = 4 + ((flags & 0x200) != 0 ? 4 : 0) + ((flags & 0x400) != 0 ? 4 : 0) + ((flags & 0x800) != 0 ? 4 : 0);
        ulong total = 0;
        for (uint i = 0; i < count && offset + 4 <= trun.Length; i++, offset += stride)
        {
            total += BinaryPrimitives.ReadUInt32BigEndian(trun[offset..]);
        }

        return total;
    }
}
