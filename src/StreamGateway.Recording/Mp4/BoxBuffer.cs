using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace StreamGateway.Recording.Mp4;

/// <summary>A growable big-endian byte buffer for ISO BMFF boxes: <see cref="Begin"/> reserves a box header, <see cref="End"/> patches its size.</summary>
/// <remarks>
/// The storage is rented from <see cref="ArrayPool{T}.Shared"/> and given back by <see cref="Release"/>: a recorder opens
/// a segment per minute and per camera reconnect, and fresh fragment-sized arrays for each went to the large-object
/// heap, which only a full collection reclaims (resident memory grew in the soak). After <see cref="Release"/> the
/// buffer is empty and rents again on the next write.
/// </remarks>
internal sealed class BoxBuffer(int initialCapacity = 4096)
{
    /// <summary>
    /// First size of a buffer for one sample (a video frame); it doubles as needed and keeps its size for the
    /// segment. Small on purpose: a CCTV frame is mostly 5-100 KB, and 20 recorders with 256 KB-512 KB buffers
    /// each held about 30 MB before (the soak's heap dump).
    /// </summary>
    public const int SampleCapacity = 16 * 1024;

    /// <summary>First size of a buffer for one fragment (about a second of every track).</summary>
    public const int FragmentCapacity = 64 * 1024;

    private readonly int _initialCapacity = initialCapacity;
    private byte[] _data = [];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _data.AsSpan(0, Length);

    public void Clear() => Length = 0;

    /// <summary>Empties the buffer and returns its storage to the pool; the buffer stays usable.</summary>
    public void Release()
    {
        Length = 0;
        if (_data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_data);
            _data = [];
        }
    }

    /// <summary>Starts a box of a four-character type; returns its offset for <see cref="End"/>.</summary>
    public int Begin(string type)
    {
        var at = Length;
        U32(0);
        FourCc(type);
        return at;
    }

    /// <summary>Starts a full box (version and flags).</summary>
    public int BeginFull(string type, byte version, uint flags)
    {
        var at = Begin(type);
        U32(((uint)version << 24) | (flags & 0xFFFFFF));
        return at;
    }

    public void End(int boxStart) => Patch32(boxStart, (uint)(Length - boxStart));

    public void Patch32(int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(_data.AsSpan(at), value);

    public void U8(byte value) => Take(1)[0] = value;

    public void U16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), value);

    public void U32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), value);

    public void I32(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

    public void U64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), value);

    public void Zeros(int count) => Take(count).Clear();

    public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(Take(value.Length));

    public void FourCc(string type)
    {
        var span = Take(4);
        Encoding.ASCII.GetBytes(type.AsSpan(0, 4), span);
    }

    /// <summary>The unity transformation matrix of mvhd and tkhd.</summary>
    public void Matrix()
    {
        U32(0x00010000); U32(0); U32(0);
        U32(0); U32(0x00010000); U32(0);
        U32(0); U32(0); U32(0x40000000);
    }

    private Span<byte> Take(int count)
    {
        if (Length + count > _data.Length)
        {
            Grow(Length + count);
        }

        var span = _data.AsSpan(Length, count);
        Length += count;
        return span;
    }

    private void Grow(int needed)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(_initialCapacity, _data.Length * 2)));
        _data.AsSpan(0, Length).CopyTo(larger);
        if (_data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_data);
        }

        _data = larger;
    }
}
