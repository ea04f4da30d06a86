using System.Buffers.Binary;
using System.Globalization;

namespace StreamGateway.Protocols.Codecs;

/// <summary>
/// RFC 3640 (mpeg4-generic, AAC-hbr) depacketizer: the AU-headers section, then the access units
/// (raw AAC frames). Supports several AUs per packet and one AU fragmented over several packets.
/// </summary>
/// <remarks>Pure and bounded (<see cref="MaxAccessUnitBytes"/>); one instance per track, one caller at a time.</remarks>
public sealed class AacDepacketizer
{
    /// <summary>Largest access unit accepted; AAC frames are a few hundred bytes to a few kilobytes.</summary>
    public const int MaxAccessUnitBytes = 64 * 1024;

    /// <summary>Samples per AAC-LC frame: the RTP timestamp step between consecutive AUs.</summary>
    public const int SamplesPerFrame = 1024;

    private readonly int _sizeLength;
    private readonly int _indexLength;
    private readonly int _indexDeltaLength;
    // The AU being reassembled from fragments (while _inFragment); grown to the largest one seen, then reused.
    private byte[] _fragment = [];
    private bool _inFragment;
    private int _fragmentLength;
    private int _fragmentExpected;
    private uint _fragmentTimestamp;
    private ushort _expectedSequence;
    private bool _haveSequence;

    private AacDepacketizer(int sizeLength, int indexLength, int indexDeltaLength, byte[] config)
    {
        _sizeLength = sizeLength;
        _indexLength = indexLength;
        _indexDeltaLength = indexDeltaLength;
        AudioSpecificConfig = config;
    }

    /// <summary>The AudioSpecificConfig from the fmtp <c>config</c> parameter (for the MP4 esds box).</summary>
    public byte[] AudioSpecificConfig { get; }

    /// <summary>Payloads that did not parse, and fragmented AUs lost to a sequence gap.</summary>
    public long Malformed { get; private set; }

    /// <summary>
    /// Reads sizelength, indexlength, indexdeltalength and config from an fmtp line. False when config is missing
    /// or not hex, or the AU header layout is not one with a size field (AAC-hbr: 13/3/3, AAC-lbr: 6/2/2).
    /// </summary>
    public static bool TryCreate(string? fmtp, out AacDepacketizer? depacketizer)
    {
        depacketizer = null;
        if (string.IsNullOrWhiteSpace(fmtp))
        {
            return false;
        }

        int sizeLength = 0, indexLength = 0, indexDeltaLength = 0;
        byte[]? config = null;
        foreach (var parameter in fmtp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = parameter.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var key = parameter[..eq].Trim().ToUpperInvariant();
            var value = parameter[(eq + 1)..].Trim();
            switch (key)
            {
                case "SIZELENGTH":
                    _ = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out sizeLength);
                    break;
                case "INDEXLENGTH":
                    _ = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out indexLength);
                    break;
                case "INDEXDELTALENGTH":
                    _ = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out indexDeltaLength);
                    break;
                case "CONFIG":
                    try
                    {
                        config = value.Length is > 0 and <= 64 ? Convert.FromHexString(value) : null;
                    }
                    catch (FormatException)
                    {
                        config = null;
                    }

                    break;
            }
        }

        if (config is null || config.Length < 2 || sizeLength is < 1 or > 16 || indexLength is < 0 or > 8 || indexDeltaLength is < 0 or > 8)
        {
            return false;
        }

        depacketizer = new AacDepacketizer(sizeLength, indexLength, indexDeltaLength, config);
        return true;
    }

    /// <summary>Sampling rate coded in <see cref="AudioSpecificConfig"/> (ISO 14496-3 1.6.2.1), or null for an escape value.</summary>
    public int? ConfigSampleRate
    {
        get
        {
            int[] rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
            var index = ((AudioSpecificConfig[0] & 0x07) << 1) | (AudioSpecificConfig[1] >> 7);
            return index < rates.Length ? rates[index] : null;
        }
    }

    /// <summary>Channel configuration coded in <see cref="AudioSpecificConfig"/>.</summary>
    public int ConfigChannels => (AudioSpecificConfig[1] >> 3) & 0x0F;

    /// <summary>
    /// Depacketizes one RTP payload; each complete AU is copied to the end of <paramref name="output"/> with its
    /// RTP timestamp (the packet's timestamp plus <see cref="SamplesPerFrame"/> per preceding AU). An AU the list
    /// refuses at its bound is left to the list to report (<see cref="MediaUnitList.Overflowed"/>).
    /// </summary>
    public void Push(ReadOnlySpan<byte> payload, ushort sequenceNumber, uint timestamp, MediaUnitList output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var contiguous = !_haveSequence || sequenceNumber == _expectedSequence;
        _haveSequence = true;
        _expectedSequence = (ushort)(sequenceNumber + 1);
        if (!contiguous && _inFragment)
        {
            _inFragment = false;
            Malformed++;
        }

        if (payload.Length < 2)
        {
            Malformed++;
            return;
        }

        var headersBits = BinaryPrimitives.ReadUInt16BigEndian(payload);
        var headersBytes = (headersBits + 7) / 8;
        if (2 + headersBytes > payload.Length)
        {
            Malformed++;
            return;
        }

        var headers = payload.Slice(2, headersBytes);
        var data = payload[(2 + headersBytes)..];

        // First pass over the AU headers: how many there are and the first size. The second pass (below) reads
        // the sizes again rather than keeping them in a per-packet list.
        var count = 0;
        var firstSize = 0;
        for (var bit = 0; bit + _sizeLength <= headersBits; bit += _sizeLength + (count == 1 ? _indexLength : _indexDeltaLength))
        {
            if (count == 0)
            {
                firstSize = (int)ReadBits(headers, bit, _sizeLength);
            }

            count++;
        }

        if (count == 0)
        {
            Malformed++;
            return;
        }

        if (_inFragment)
        {
            ContinueFragment(data, output);
            return;
        }

        if (count == 1 && firstSize > data.Length)
        {
            // The first piece of a fragmented AU (RFC 3640 3.2.3: the header gives the whole AU's size).
            if (firstSize > MaxAccessUnitBytes)
            {
                Malformed++;
                return;
            }

            if (_fragment.Length < firstSize)
            {
                _fragment = new byte[Math.Min(MaxAccessUnitBytes, Math.Max(firstSize, 2 * _fragment.Length))];
            }

            _inFragment = true;
            _fragmentExpected = firstSize;
            _fragmentLength = 0;
            _fragmentTimestamp = timestamp;
            ContinueFragment(data, output);
            return;
        }

        var ts = timestamp;
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            var size = (int)ReadBits(headers, position, _sizeLength);
            position += _sizeLength + (i == 0 ? _indexLength : _indexDeltaLength);
            if (size > data.Length)
            {
                Malformed++;
                return;
            }

            output.Add(data[..size], ts);
            data = data[size..];
            ts += SamplesPerFrame;
        }
    }

    private void ContinueFragment(ReadOnlySpan<byte> data, MediaUnitList output)
    {
        if (_fragmentLength + data.Length > _fragmentExpected)
        {
            _inFragment = false;
            Malformed++;
            return;
        }

        data.CopyTo(_fragment.AsSpan(_fragmentLength));
        _fragmentLength += data.Length;
        if (_fragmentLength == _fragmentExpected)
        {
            output.Add(_fragment.AsSpan(0, _fragmentLength), _fragmentTimestamp);
            _inFragment = false;
        }
    }

    private static uint ReadBits(ReadOnlySpan<byte> data, int bitOffset, int count)
    {
        uint value = 0;
        for (var i = 0; i < count; i++)
        {
            var position = bitOffset + i;
            value = (value << 1) | (uint)((data[position >> 3] >> (7 - (position & 7))) & 1);
        }

        return value;
    }
}
