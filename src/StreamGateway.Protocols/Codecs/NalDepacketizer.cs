using System.Buffers.Binary;

namespace StreamGateway.Protocols.Codecs;

/// <summary>
/// Turns the RTP payloads of one H.264 (RFC 6184) or H.265 (RFC 7798) track back into NAL units:
/// single NAL unit packets, aggregation packets (STAP-A / AP) and fragmentation units (FU-A / FU).
/// </summary>
/// <remarks>
/// Pure: no I/O, the input is never changed. A fragment whose predecessor was lost (sequence gap) drops the
/// whole NAL unit being reassembled and counts it in <see cref="LostFragments"/>. Reassembly is bounded by
/// <see cref="MaxNalUnitBytes"/>. One instance per track, one caller at a time.
/// </remarks>
public sealed class NalDepacketizer
{
    /// <summary>Largest NAL unit reassembled from fragments; a bigger one is dropped (no camera sends 8 MB slices).</summary>
    public const int MaxNalUnitBytes = 8 * 1024 * 1024;

    private readonly bool _h265;
    private byte[] _fragment = new byte[64 * 1024];
    private int _fragmentLength;
    private bool _inFragment;
    private ushort _expectedSequence;
    private bool _haveSequence;

    /// <param name="h265">True for H.265 (2-byte NAL header), false for H.264.</param>
    public NalDepacketizer(bool h265) => _h265 = h265;

    /// <summary>NAL units dropped because a fragment was missing or the unit was too big.</summary>
    public long LostFragments { get; private set; }

    /// <summary>Payloads that were not valid for the packetization mode (ignored).</summary>
    public long Malformed { get; private set; }

    /// <summary>
    /// Depacketizes one RTP payload; every complete NAL unit is copied to the end of <paramref name="output"/>
    /// (timestamp 0). A unit the list refuses at its bound is left to the list to report (<see cref="MediaUnitList.Overflowed"/>).
    /// </summary>
    public void Push(ReadOnlySpan<byte> payload, ushort sequenceNumber, MediaUnitList output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var contiguous = !_haveSequence || sequenceNumber == _expectedSequence;
        _haveSequence = true;
        _expectedSequence = (ushort)(sequenceNumber + 1);
        if (!contiguous && _inFragment)
        {
            AbandonFragment();
        }

        var headerLength = _h265 ? 2 : 1;
        if (payload.Length < headerLength)
        {
            Malformed++;
            return;
        }

        var type = _h265 ? (payload[0] >> 1) & 0x3F : payload[0] & 0x1F;
        var aggregation = _h265 ? 48 : 24;
        var fragmentation = _h265 ? 49 : 28;
        if (type == aggregation)
        {
            AbandonIfOpen();
            ReadAggregate(payload[headerLength..], output);
        }
        else if (type == fragmentation)
        {
            ReadFragment(payload, output);
        }
        else if (_h265 ? type < 48 : type is >= 1 and <= 23)
        {
            AbandonIfOpen();
            output.Add(payload);
        }
        else
        {
            Malformed++;
        }
    }

    private void ReadAggregate(ReadOnlySpan<byte> units, MediaUnitList output)
    {
        while (units.Length >= 2)
        {
            var size = BinaryPrimitives.ReadUInt16BigEndian(units);
            units = units[2..];
            if (size == 0 || size > units.Length)
            {
                Malformed++;
                return;
            }

            output.Add(units[..size]);
            units = units[size..];
        }
    }

    private void ReadFragment(ReadOnlySpan<byte> payload, MediaUnitList output)
    {
        // H.264 FU-A: indicator(1) header(1); H.265 FU: payload header(2) FU header(1).
        var fuHeaderAt = _h265 ? 2 : 1;
        if (payload.Length <= fuHeaderAt + 1)
        {
            Malformed++;
            return;
        }

        var fuHeader = payload[fuHeaderAt];
        var start = (fuHeader & 0x80) != 0;
        var end = (fuHeader & 0x40) != 0;
        var data = payload[(fuHeaderAt + 1)..];
        if (start)
        {
            AbandonIfOpen();
            _fragmentLength = 0;
            _inFragment = true;
            if (_h265)
            {
                // Rebuild the 2-byte NAL header: F and LayerId high bit from the payload header, type from the FU header.
                Append([(byte)((payload[0] & 0x81) | ((fuHeader & 0x3F) << 1)), payload[1]]);
            }
            else
            {
                Append([(byte)((payload[0] & 0xE0) | (fuHeader & 0x1F))]);
            }
        }
        else if (!_inFragment)
        {
            // A middle or end whose start was lost: its unit is already counted (or never started).
            return;
        }

        if (!Append(data))
        {
            return;
        }

        if (end)
        {
            output.Add(_fragment.AsSpan(0, _fragmentLength));
            _inFragment = false;
            _fragmentLength = 0;
        }
    }

    private bool Append(ReadOnlySpan<byte> data)
    {
        var needed = _fragmentLength + data.Length;
        if (needed > MaxNalUnitBytes)
        {
            AbandonFragment();
            return false;
        }

        if (needed > _fragment.Length)
        {
            Array.Resize(ref _fragment, Math.Min(MaxNalUnitBytes, Math.Max(needed, _fragment.Length * 2)));
        }

        data.CopyTo(_fragment.AsSpan(_fragmentLength));
        _fragmentLength = needed;
        return true;
    }

    private void AbandonIfOpen()
    {
        if (_inFragment)
        {
            AbandonFragment();
        }
    }

    private void AbandonFragment()
    {
        LostFragments++;
        _inFragment = false;
        _fragmentLength = 0;
    }
}
