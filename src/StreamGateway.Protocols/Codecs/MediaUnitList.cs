namespace StreamGateway.Protocols.Codecs;

/// <summary>
/// A reusable list of depacketized media units (NAL units, AAC access units): their bytes back to back in one
/// growable array, and per unit its offset, length and RTP timestamp. Filled by <see cref="NalDepacketizer"/>
/// and <see cref="AacDepacketizer"/>, read and <see cref="Clear"/>ed by their caller, then filled again without
/// allocating once both arrays have grown to the stream's largest access unit.
/// </summary>
/// <remarks>
/// Bounded: a unit is at most <see cref="NalDepacketizer.MaxNalUnitBytes"/> or
/// <see cref="AacDepacketizer.MaxAccessUnitBytes"/> (the depacketizers enforce it), and the list holds at most
/// <see cref="MaxBytes"/> bytes and <see cref="MaxUnits"/> units; <see cref="Add"/> refuses a unit beyond either
/// and sets <see cref="Overflowed"/> until the next <see cref="Clear"/>. A span from the indexer is valid until
/// the next <see cref="Add"/> or <see cref="Clear"/>. One owner, one thread at a time.
/// </remarks>
public sealed class MediaUnitList
{
    /// <summary>Most bytes held: four NAL units of the largest size, far beyond any camera's access unit.</summary>
    public const int MaxBytes = 4 * NalDepacketizer.MaxNalUnitBytes;

    /// <summary>Most units held: an H.264 picture has at most a few hundred slices.</summary>
    public const int MaxUnits = 4096;

    private byte[] _data;
    private Unit[] _units;
    private int _count;
    private int _length;

    /// <param name="initialBytes">Starting capacity in bytes; grows by doubling up to <see cref="MaxBytes"/>.</param>
    public MediaUnitList(int initialBytes = 16 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialBytes);
        _data = new byte[Math.Min(initialBytes, MaxBytes)];
        _units = new Unit[8];
    }

    /// <summary>Units held.</summary>
    public int Count => _count;

    /// <summary>Bytes of all units held.</summary>
    public int TotalBytes => _length;

    /// <summary>True when a unit was refused since the last <see cref="Clear"/> because the list was at its bound.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The bytes of unit <paramref name="index"/>; valid until the next <see cref="Add"/> or <see cref="Clear"/>.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            var unit = _units[index];
            return _data.AsSpan(unit.Offset, unit.Length);
        }
    }

    /// <summary>The RTP timestamp given with unit <paramref name="index"/>.</summary>
    public uint Timestamp(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return _units[index].Timestamp;
    }

    /// <summary>Appends a copy of <paramref name="unit"/>; false (and <see cref="Overflowed"/>) when that would pass <see cref="MaxBytes"/> or <see cref="MaxUnits"/>.</summary>
    public bool Add(ReadOnlySpan<byte> unit, uint timestamp = 0)
    {
        var needed = (long)_length + unit.Length;
        if (needed > MaxBytes || _count == MaxUnits)
        {
            Overflowed = true;
            return false;
        }

        if (needed > _data.Length)
        {
            Array.Resize(ref _data, (int)Math.Min(MaxBytes, Math.Max(needed, 2L * _data.Length)));
        }

        if (_count == _units.Length)
        {
            Array.Resize(ref _units, Math.Min(MaxUnits, 2 * _units.Length));
        }

        unit.CopyTo(_data.AsSpan(_length));
        _units[_count++] = new Unit(_length, unit.Length, timestamp);
        _length = (int)needed;
        return true;
    }

    /// <summary>Empties the list; its arrays are kept for the next fill.</summary>
    public void Clear()
    {
        _count = 0;
        _length = 0;
        Overflowed = false;
    }

    private readonly record struct Unit(int Offset, int Length, uint Timestamp);
}
