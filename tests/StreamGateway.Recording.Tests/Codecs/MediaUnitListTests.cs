using StreamGateway.Protocols.Codecs;

namespace StreamGateway.Recording.Tests.Codecs;

public sealed class MediaUnitListTests
{
    [Fact]
    public void Units_keep_their_bytes_and_timestamps_while_the_list_grows()
    {
        var list = new MediaUnitList(initialBytes: 4);
        var units = Enumerable.Range(1, 40).Select(i => Enumerable.Range(0, i * 7).Select(b => (byte)(b + i)).ToArray()).ToList();
        for (var i = 0; i < units.Count; i++)
        {
            Assert.True(list.Add(units[i], (uint)(1000 * i)));
        }

        Assert.Equal(units.Count, list.Count);
        Assert.Equal(units.Sum(u => u.Length), list.TotalBytes);
        for (var i = 0; i < units.Count; i++)
        {
            Assert.Equal(units[i], list[i].ToArray());
            Assert.Equal((uint)(1000 * i), list.Timestamp(i));
        }

        Assert.False(list.Overflowed);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[units.Count].Length);
    }

    [Fact]
    public void Clear_empties_the_list_and_the_next_fill_reads_only_new_units()
    {
        var list = new MediaUnitList();
        list.Add([1, 2, 3], 5);
        list.Clear();
        list.Add([9]);

        Assert.Equal(1, list.Count);
        Assert.Equal([9], list[0].ToArray());
        Assert.Equal(0u, list.Timestamp(0));
    }

    [Fact]
    public void A_unit_past_MaxUnits_is_refused_and_flagged_until_Clear()
    {
        var list = new MediaUnitList();
        for (var i = 0; i < MediaUnitList.MaxUnits; i++)
        {
            Assert.True(list.Add([(byte)i]));
        }

        Assert.False(list.Add([1]));
        Assert.True(list.Overflowed);
        Assert.Equal(MediaUnitList.MaxUnits, list.Count);
        list.Clear();
        Assert.False(list.Overflowed);
        Assert.True(list.Add([1]));
    }

    [Fact]
    public void Bytes_past_MaxBytes_are_refused()
    {
        var list = new MediaUnitList();
        var big = new byte[NalDepacketizer.MaxNalUnitBytes];
        for (var i = 0; i < MediaUnitList.MaxBytes / big.Length; i++)
        {
            Assert.True(list.Add(big));
        }

        Assert.False(list.Add([1]));
        Assert.True(list.Overflowed);
        Assert.Equal(MediaUnitList.MaxBytes, list.TotalBytes);
    }
}
