using System.Buffers.Binary;
using System.Text;

namespace StreamGateway.Recording.Mp4;

/// <summary>A growable big-endian byte buffer for ISO BMFF boxes: <see cref="Begin"/> reserves a box header, <see cref="End"/> patches its size.</summary>
internal sealed class BoxBuffer(int initialCapacity = 4096)
{
    private byte[] _data = new byte[initialCapacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _data.AsSpan(0, Length);

    public void Clear() => Length = 0;

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
            Array.Resize(ref _data, Math.Max(Length + count, _data.Length * 2));
        }

        var span = _data.AsSpan(Length, count);
        Length += count;
        return span;
    }
}
