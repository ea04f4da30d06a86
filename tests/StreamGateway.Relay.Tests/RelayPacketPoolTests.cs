using System.Runtime.InteropServices;

namespace StreamGateway.Relay.Tests;

public sealed class RelayPacketPoolTests : RelayTestBase
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1500)]
    [InlineData(65540)]
    public void Rent_GivesOneReferenceAndAtLeastTheRequestedCapacity(int minimumCapacity)
    {
        RelayPacket packet = Pool.Rent(minimumCapacity);

        Assert.True(packet.Buffer.Length >= minimumCapacity);
        Assert.Equal(1, packet.RefCount);
        Assert.Equal(0, packet.Length);
        Assert.Equal(1, Pool.Outstanding);

        packet.Release();
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public void LastRelease_ReturnsThePacket_AndTheNextRentReusesItWithClearedMetadata()
    {
        RelayPacket packet = Rent(new Pkt(7, Track: 1, Ts: 1234, Kf: true, Rtcp: true));
        packet.ReceivedAt = 99;
        packet.AddRef();
        packet.AddRef();

        packet.Release();
        packet.Release();
        Assert.Equal(1, Pool.Outstanding);
        Assert.Equal(7, IdOf(packet));

        packet.Release();
        Assert.Equal(0, Pool.Outstanding);
        Assert.Equal(0, packet.Buffer.Length);

        RelayPacket again = Pool.Rent(10);
        Assert.Same(packet, again);
        Assert.Equal((0, 0, false, false, 0u, 0L), (again.Length, again.TrackIndex, again.IsRtcp, again.IsKeyframeStart, again.RtpTimestamp, again.ReceivedAt));
        again.Release();
    }

    [Fact]
    public void DoubleRelease_AndAddRefAfterRelease_Throw()
    {
        RelayPacket packet = Pool.Rent(10);
        packet.Release();

        Assert.Throws<InvalidOperationException>(packet.Release);
        Assert.Throws<InvalidOperationException>(packet.AddRef);
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public void Data_AndSegment_CoverTheFirstLengthBytesOfTheSameArray()
    {
        RelayPacket packet = Pool.Rent(16);
        for (int i = 0; i < 16; i++)
        {
            packet.Buffer.Span[i] = (byte)i;
        }

        packet.Length = 5;

        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, packet.Data.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(packet.Buffer, out ArraySegment<byte> whole));
        Assert.Same(whole.Array, packet.Segment.Array);
        Assert.Equal((0, 5), (packet.Segment.Offset, packet.Segment.Count));
        packet.Release();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Length_OutsideTheCapacity_Throws(int length)
    {
        RelayPacket packet = Pool.Rent(16);
        Assert.Throws<ArgumentOutOfRangeException>(() => packet.Length = length);
        packet.Release();
    }

    [Theory]
    [InlineData(0, 256)]
    [InlineData(256, 256)]
    [InlineData(257, 384)]
    [InlineData(384, 384)]
    [InlineData(385, 512)]
    [InlineData(1025, 1536)]
    [InlineData(1500, 1536)] // a typical RTP packet: +2 %, not the +37 % of a 2,048-byte buffer
    [InlineData(1537, 2048)]
    [InlineData(2048, 2048)]
    [InlineData(65540, 98304)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData(3_000_000, 3_000_000)] // beyond the largest size class: exact and never pooled
    public void Rent_RoundsUpToAPowerOfTwoOrMidpointSizeClass(int minimumCapacity, int expectedCapacity)
    {
        RelayPacket packet = Pool.Rent(minimumCapacity);
        Assert.Equal(expectedCapacity, packet.Buffer.Length);
        packet.Release();
        Assert.Equal(expectedCapacity < 3_000_000 ? 1 : 0, Pool.PooledCount);
    }

    [Fact]
    public void Rent_ReusesOnlyAPacketOfTheSameSizeClass()
    {
        RelayPacket small = Pool.Rent(100);
        small.Release();

        RelayPacket large = Pool.Rent(1500);
        RelayPacket again = Pool.Rent(200);

        Assert.NotSame(small, large);
        Assert.Same(small, again);
        large.Release();
        again.Release();
    }

    [Fact]
    public void Trim_FreesOnlyThePacketsThatStayedUnusedThroughAWholeWindow()
    {
        const int window = RelayPacketPool.TrimWindowIntervals;
        var pool = new RelayPacketPool();
        RelayPacket[] burst = Enumerable.Range(0, 100).Select(_ => pool.Rent(1400)).ToArray();
        foreach (var packet in burst)
        {
            packet.Release();
        }

        Assert.Equal(0, pool.Trim()); // the first interval only starts the count
        Assert.Equal(100, pool.PooledCount);

        // Steady state after the burst: at most 10 packets in use at a time. The 90 spare ones are freed only when
        // they stayed spare through a whole window; until then every trim keeps them.
        for (int interval = 1; interval <= window; interval++)
        {
            UseAtOnce(pool, 10);
            Assert.Equal(interval < window ? 0 : 90, pool.Trim());
        }

        Assert.Equal(10, pool.PooledCount);

        // The 10 that steady state uses are kept as long as they are used at least once a window.
        for (int interval = 0; interval < 2 * window; interval++)
        {
            if (interval % window == window - 1)
            {
                UseAtOnce(pool, 10);
            }

            Assert.Equal(0, pool.Trim());
        }

        // A whole window without a rent: nothing is needed.
        int freed = 0;
        for (int interval = 0; interval < window; interval++)
        {
            freed += pool.Trim();
        }

        Assert.Equal(10, freed);
        Assert.Equal(0, pool.PooledCount);

        static void UseAtOnce(RelayPacketPool pool, int count)
        {
            RelayPacket[] inUse = Enumerable.Range(0, count).Select(_ => pool.Rent(1400)).ToArray();
            foreach (var packet in inUse)
            {
                packet.Release();
            }
        }
    }

    [Fact]
    public void Trim_KeepsWhatAFluctuatingLoadNeeds_SoSteadyStateDoesNotReallocate()
    {
        // The GOP caches' shape: the packets in use swing between 50 and 100 from one interval to the next. Trimming
        // to each interval's own peak freed what the next peak needed again; a window keeps the largest recent peak.
        var pool = new RelayPacketPool();
        for (int interval = 0; interval < 4 * RelayPacketPool.TrimWindowIntervals; interval++)
        {
            int inUse = interval % 2 == 0 ? 100 : 50;
            RelayPacket[] packets = Enumerable.Range(0, inUse).Select(_ => pool.Rent(1400)).ToArray();
            foreach (var packet in packets)
            {
                packet.Release();
            }

            Assert.Equal(0, pool.Trim());
        }

        Assert.Equal(100, pool.PooledCount);
    }

    [Fact]
    public void Pool_TrimsItselfWhilePacketsFlow_OnceAWholeWindowHasPassed()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var pool = new RelayPacketPool(time: clock);
        RelayPacket[] burst = Enumerable.Range(0, 3000).Select(_ => pool.Rent(1400)).ToArray();
        foreach (var packet in burst)
        {
            packet.Release();
        }

        clock.Advance(RelayPacketPool.TrimInterval);
        Churn(pool, 2048); // the first automatic trim starts the count
        for (int interval = 1; interval < RelayPacketPool.TrimWindowIntervals; interval++)
        {
            clock.Advance(RelayPacketPool.TrimInterval);
            Churn(pool, 2048);
            Assert.Equal(3000, pool.PooledCount); // not yet a whole window
        }

        clock.Advance(RelayPacketPool.TrimInterval);
        Churn(pool, 2048);

        Assert.InRange(pool.PooledCount, 1, 2);
        Assert.Equal(0, pool.Outstanding);

        static void Churn(RelayPacketPool pool, int count)
        {
            for (int i = 0; i < count; i++)
            {
                pool.Rent(1400).Release();
            }
        }
    }

    [Fact]
    public void Pool_KeepsAtMostMaxPooledObjects()
    {
        var pool = new RelayPacketPool(maxPooledObjects: 1);
        RelayPacket a = pool.Rent(1);
        RelayPacket b = pool.Rent(1);
        a.Release();
        b.Release();

        RelayPacket c = pool.Rent(1);
        RelayPacket d = pool.Rent(1);

        Assert.Same(a, c);
        Assert.NotSame(b, d);
        Assert.Equal(2, pool.Outstanding);
        c.Release();
        d.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void ConcurrentReleases_ReturnThePacketExactlyOnce()
    {
        const int Holders = 10_000;
        RelayPacket packet = Pool.Rent(100);
        for (int i = 1; i < Holders; i++)
        {
            packet.AddRef();
        }

        Parallel.For(0, Holders, _ => packet.Release());

        Assert.Equal(0, Pool.Outstanding);
        Assert.Throws<InvalidOperationException>(packet.Release);
    }
}
