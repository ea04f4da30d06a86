namespace StreamGateway.Protocols.Codecs;

/// <summary>
/// What a muxer needs from an H.264 or H.265 sequence parameter set: picture size, chroma format, bit depth,
/// and for H.265 the 12 general profile_tier_level bytes that hvcC repeats.
/// </summary>
public sealed record SequenceParameterSet(int Width, int Height, int ChromaFormat, int BitDepthLuma, int BitDepthChroma, byte[] GeneralProfileTierLevel)
{
    /// <summary>Parses an H.264 SPS NAL unit (with its header byte; ITU-T H.264 7.3.2.1.1). False when truncated or malformed.</summary>
    public static bool TryParseH264(ReadOnlySpan<byte> nal, out SequenceParameterSet? sps)
    {
        sps = null;
        if (nal.Length < 4)
        {
            return false;
        }

        var reader = new BitReader(RemoveEmulationPrevention(nal[1..]));
        try
        {
            var profile = reader.Bits(8);
            reader.Bits(16); // constraint flags, level
            reader.Ue(); // seq_parameter_set_id
            var chroma = 1;
            int depthLuma = 8, depthChroma = 8;
            if (profile is 100 or 110 or 122 or 244 or 44 or 83 or 86 or 118 or 128 or 138 or 139 or 134 or 135)
            {
                chroma = reader.Ue();
                if (chroma == 3)
                {
                    reader.Bits(1);
                }

                depthLuma = 8 + reader.Ue();
                depthChroma = 8 + reader.Ue();
                reader.Bits(1);
                if (reader.Bits(1) == 1)
                {
                    for (var i = 0; i < (chroma != 3 ? 8 : 12); i++)
                    {
                        if (reader.Bits(1) == 1)
                        {
                            SkipScalingList(ref reader, i < 6 ? 16 : 64);
                        }
                    }
                }
            }

            reader.Ue(); // log2_max_frame_num_minus4
            var pocType = reader.Ue();
            if (pocType == 0)
            {
                reader.Ue();
            }
            else if (pocType == 1)
            {
                reader.Bits(1);
                reader.Se();
                reader.Se();
                var cycle = reader.Ue();
                if (cycle > 255)
                {
                    return false;
                }

                for (var i = 0; i < cycle; i++)
                {
                    reader.Se();
                }
            }

            reader.Ue(); // max_num_ref_frames
            reader.Bits(1);
            var widthMbs = reader.Ue() + 1;
            var heightUnits = reader.Ue() + 1;
            var frameMbsOnly = reader.Bits(1);
            if (frameMbsOnly == 0)
            {
                reader.Bits(1);
            }

            reader.Bits(1);
            int cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
            if (reader.Bits(1) == 1)
            {
                cropLeft = reader.Ue();
                cropRight = reader.Ue();
                cropTop = reader.Ue();
                cropBottom = reader.Ue();
            }

            var subWidth = chroma is 1 or 2 ? 2 : 1;
            var subHeight = chroma == 1 ? 2 : 1;
            var cropUnitX = chroma == 0 ? 1 : subWidth;
            var cropUnitY = (chroma == 0 ? 1 : subHeight) * (2 - frameMbsOnly);
            var width = (widthMbs * 16) - (cropUnitX * (cropLeft + cropRight));
            var height = ((2 - frameMbsOnly) * heightUnits * 16) - (cropUnitY * (cropTop + cropBottom));
            if (width is <= 0 or > 16384 || height is <= 0 or > 16384)
            {
                return false;
            }

            sps = new SequenceParameterSet(width, height, chroma, depthLuma, depthChroma, []);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    /// <summary>Parses an H.265 SPS NAL unit (with its 2-byte header; ITU-T H.265 7.3.2.2.1). False when truncated or malformed.</summary>
    public static bool TryParseH265(ReadOnlySpan<byte> nal, out SequenceParameterSet? sps)
    {
        sps = null;
        if (nal.Length < 16)
        {
            return false;
        }

        var rbsp = RemoveEmulationPrevention(nal[2..]);
        var reader = new BitReader(rbsp);
        try
        {
            reader.Bits(4); // sps_video_parameter_set_id
            var maxSubLayersMinus1 = reader.Bits(3);
            reader.Bits(1);
            var general = rbsp.AsSpan(1, 12).ToArray();
            reader.Skip(96);
            var profilePresent = new bool[maxSubLayersMinus1];
            var levelPresent = new bool[maxSubLayersMinus1];
            for (var i = 0; i < maxSubLayersMinus1; i++)
            {
                profilePresent[i] = reader.Bits(1) == 1;
                levelPresent[i] = reader.Bits(1) == 1;
            }

            if (maxSubLayersMinus1 > 0)
            {
                reader.Skip(2 * (8 - maxSubLayersMinus1));
            }

            for (var i = 0; i < maxSubLayersMinus1; i++)
            {
                reader.Skip((profilePresent[i] ? 88 : 0) + (levelPresent[i] ? 8 : 0));
            }

            reader.Ue(); // sps_seq_parameter_set_id
            var chroma = reader.Ue();
            if (chroma == 3)
            {
                reader.Bits(1);
            }

            var width = reader.Ue();
            var height = reader.Ue();
            if (reader.Bits(1) == 1)
            {
                var subWidth = chroma is 1 or 2 ? 2 : 1;
                var subHeight = chroma == 1 ? 2 : 1;
                width -= subWidth * (reader.Ue() + reader.Ue());
                height -= subHeight * (reader.Ue() + reader.Ue());
            }

            var depthLuma = 8 + reader.Ue();
            var depthChroma = 8 + reader.Ue();
            if (width is <= 0 or > 16384 || height is <= 0 or > 16384)
            {
                return false;
            }

            sps = new SequenceParameterSet(width, height, chroma, depthLuma, depthChroma, general);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    /// <summary>Removes emulation prevention bytes (00 00 03 → 00 00).</summary>
    public static byte[] RemoveEmulationPrevention(ReadOnlySpan<byte> data)
    {
        var result = new byte[data.Length];
        var length = 0;
        var zeros = 0;
        foreach (var b in data)
        {
            if (zeros >= 2 && b == 3)
            {
                zeros = 0;
                continue;
            }

            zeros = b == 0 ? zeros + 1 : 0;
            result[length++] = b;
        }

        return result.AsSpan(0, length).ToArray();
    }

    private static void SkipScalingList(ref BitReader reader, int size)
    {
        int last = 8, next = 8;
        for (var j = 0; j < size; j++)
        {
            if (next != 0)
            {
                next = (last + reader.Se() + 256) % 256;
            }

            last = next == 0 ? last : next;
        }
    }

    /// <summary>MSB-first bit reader with Exp-Golomb codes; throws <see cref="EndOfStreamException"/> past the end.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public int Bits(int count)
        {
            var value = 0;
            for (var i = 0; i < count; i++)
            {
                if (_position >= _data.Length * 8)
                {
                    throw new EndOfStreamException();
                }

                value = (value << 1) | ((_data[_position >> 3] >> (7 - (_position & 7))) & 1);
                _position++;
            }

            return value;
        }

        public void Skip(int count)
        {
            _position += count;
            if (_position > _data.Length * 8)
            {
                throw new EndOfStreamException();
            }
        }

        public int Ue()
        {
            var zeros = 0;
            while (Bits(1) == 0)
            {
                if (++zeros > 31)
                {
                    throw new EndOfStreamException();
                }
            }

            return (int)((1L << zeros) - 1 + Bits(zeros));
        }

        public int Se()
        {
            var k = Ue();
            return (k & 1) == 1 ? (k + 1) / 2 : -(k / 2);
        }
    }
}
