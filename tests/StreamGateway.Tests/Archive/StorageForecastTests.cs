using StreamGateway.Archive;
using static StreamGateway.Tests.Archive.ArchiveData;

namespace StreamGateway.Tests.Archive;

public sealed class StorageForecastTests
{
    [Theory]
    [InlineData(1_000_000_000d, 100_000_000d, 10.0)]
    [InlineData(0d, 100_000_000d, 0.0)]
    [InlineData(3_000_000_000d, 100_000_000d, 30.0)]
    public void Days_are_bytes_over_bytes_per_day(double bytes, double perDay, double days)
    {
        Assert.Equal(days, StorageForecast.DaysAt(bytes, perDay)!.Value, 6);
    }

    [Fact]
    public void Without_a_rate_there_is_no_forecast_and_the_floor_is_not_flagged()
    {
        var forecast = StorageForecast.Compute(Index(), new VolumeMeasure("/v", 100, 50), Now, 30);

        Assert.Null(forecast.DaysFit);
        Assert.True(forecast.FloorFits);
    }

    // Two cameras at 1 000 and 3 000 bytes/s over the last 6 hours (older footage at another rate is not counted).
    [Theory]
    [InlineData(0L, 1.6)]
    [InlineData(345_600_000L, 2.6)]
    [InlineData(10_368_000_000L, 31.6)]
    public void The_forecast_uses_each_cameras_recent_rate_and_counts_its_own_archive_as_room(long free, double days)
    {
        var minute = TimeSpan.FromMinutes(1);
        var index = Index(
            Continuous("s1", "a", Now.AddDays(-3), Now.AddHours(-6), minute, 60_000), // 1000 B/s, old
            Continuous("s1", "a", Now.AddHours(-6), Now, minute, 60_000),
            Continuous("s2", "b", Now.AddDays(-3), Now.AddHours(-6), minute, 60_000), // old footage at 1000 B/s
            Continuous("s2", "b", Now.AddHours(-6), Now, minute, 180_000)); // 3000 B/s now

        var forecast = StorageForecast.Compute(index, new VolumeMeasure("/v", 0, free), Now, 30);

        var archive = (3 * 86_400 * 1000.0) + (2.75 * 86_400 * 1000) + (0.25 * 86_400 * 3000);
        Assert.Equal(archive, forecast.ArchiveBytes, 0);
        Assert.Equal(4000.0 * 86_400, forecast.BytesPerDay, 3);
        Assert.Equal((archive + free) / (4000.0 * 86_400), forecast.DaysFit!.Value, 6);
        Assert.Equal(days, Math.Round(forecast.DaysFit!.Value, 1));
        Assert.Equal(days >= 30, forecast.FloorFits);
        Assert.Equal([1000.0 * 86_400, 3000.0 * 86_400], forecast.Schools.Select(s => s.BytesPerDay));
    }

    public static TheoryData<long, string[]> Pauses => new()
    {
        { 1_000_000_000_000, [] },
        { 0, ["s1/low", "s1/mid", "s2/high"] },
        { 2_600_000_000, ["s1/low", "s1/mid"] },
        { 5_200_000_000, ["s1/low"] },
    };

    [Theory]
    [MemberData(nameof(Pauses))]
    public void The_pause_decision_takes_the_lowest_priority_cameras_first_and_only_as_many_as_needed(long free, string[] paused)
    {
        var minute = TimeSpan.FromMinutes(1);
        // 1000 B/s each, 6 hours on disk: 3 × 21.6 MB; 30 days need 3 × 2.592 GB.
        var index = Index(
            Continuous("s1", "low", Now.AddHours(-6), Now, minute, 60_000),
            Continuous("s1", "mid", Now.AddHours(-6), Now, minute, 60_000),
            Continuous("s2", "high", Now.AddHours(-6), Now, minute, 60_000));
        var priorities = new Dictionary<string, int> { ["low"] = 0, ["mid"] = 1, ["high"] = 2 };

        var forecast = StorageForecast.Compute(index, new VolumeMeasure("/v", 0, free), Now, 30);

        Assert.Equal(paused, forecast.CamerasToPause((_, camera) => priorities[camera]).Select(p => $"{p.School}/{p.Camera}"));
    }
}
