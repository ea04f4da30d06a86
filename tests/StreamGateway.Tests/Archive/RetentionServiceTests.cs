using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using StreamGateway.Archive;

namespace StreamGateway.Tests.Archive;

/// <summary>
/// Retention over a 40-day synthetic archive of six-hour segments (small files; names carry the time,
/// durations are faked), on a fake clock and a fake volume.
/// </summary>
public sealed class RetentionServiceTests : IDisposable
{
    private const long SegmentBytes = 1000;
    private static readonly TimeSpan Hour = TimeSpan.FromHours(6); // one segment: few files, fast tests
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Cameras = ["school-1/entrance", "school-1/yard", "school-2/gate"];
    private readonly string _root = Directory.CreateTempSubdirectory("sg-retention-").FullName;
    private readonly CapturingLogger _logger = new();

    public RetentionServiceTests()
    {
        foreach (var camera in Cameras)
        {
            var parts = camera.Split('/');
            for (var start = Now - TimeSpan.FromDays(40); start < Now; start += Hour)
            {
                var path = ArchiveIndex.SegmentPath(_root, parts[0], parts[1], start);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, new byte[SegmentBytes]);
            }
        }
    }

    private static Fmp4Info? OneSegment(string path) => new(Hour, 360, false);

    // Free bytes on the volume: 0 is a full disk.
    [Theory]
    [InlineData(30, null, 0L, 40.0)]
    [InlineData(30, null, 1_000_000_000L, 40.0)]
    [InlineData(30, 35, 0L, 35.0)]
    [InlineData(30, 35, 1_000_000_000L, 35.0)]
    [InlineData(30, 10, 0L, 30.0)]
    [InlineData(30, 30, 0L, 30.0)]
    [InlineData(7, 10, 0L, 10.0)]
    public void Retention_deletes_only_past_MaxDays_and_never_inside_the_floor_even_on_a_full_disk(int retentionDays, int? maxDays, long freeBytes, double expectedDepthDays)
    {
        var service = new RetentionService(new RetentionSettings(_root, retentionDays, maxDays), new FakeTimeProvider(Now), new FixedVolumeMeter(new VolumeMeasure("/fake", 10_000_000, freeBytes)), _logger, measure: OneSegment);

        var status = service.RunOnce();

        var after = ArchiveIndex.Scan(_root, OneSegment);
        var floor = Now - TimeSpan.FromDays(retentionDays);
        foreach (var camera in after.Cameras)
        {
            Assert.Equal(expectedDepthDays, (Now - camera.Oldest!.Value).TotalDays, 2);
            // Every hour inside the floor is still there.
            Assert.Equal((int)(TimeSpan.FromDays(Math.Min(retentionDays, 40)) / Hour), camera.Segments.Count(s => s.Start >= floor));
        }

        var expectedDeleted = Cameras.Length * (int)((TimeSpan.FromDays(40) - TimeSpan.FromDays(expectedDepthDays)) / Hour);
        Assert.Equal(expectedDeleted, status.DeletedSegments);
        Assert.Equal(expectedDeleted * SegmentBytes, status.DeletedBytes);
    }

    [Fact]
    public void Deleting_the_last_segment_of_a_day_removes_the_empty_day_folder()
    {
        var service = new RetentionService(new RetentionSettings(_root, 30, 35), new FakeTimeProvider(Now), new FixedVolumeMeter(new VolumeMeasure("/fake", 1, 1)), _logger, measure: OneSegment);

        service.RunOnce();

        var oldDay = Path.Combine(_root, "school-1", "entrance", (Now - TimeSpan.FromDays(38)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(Directory.Exists(oldDay));
    }

    [Theory]
    [InlineData(100_000_000L, false)]
    [InlineData(0L, true)]
    public void A_volume_that_cannot_hold_the_floor_is_flagged_loudly_and_nothing_inside_it_is_deleted(long freeBytes, bool atRisk)
    {
        // 3 cameras × 1000 bytes per 6 hours = 12 000 bytes a day; 40 days on disk = 480 000 bytes.
        var service = new RetentionService(new RetentionSettings(_root, 60, null), new FakeTimeProvider(Now), new FixedVolumeMeter(new VolumeMeasure("/fake", 10_000_000, freeBytes)), _logger, measure: OneSegment);

        var status = service.RunOnce();

        Assert.Equal(atRisk, status.FloorAtRisk);
        Assert.Equal(atRisk, _logger.Events.Any(e => e.Id == 1601 && e.Level == LogLevel.Warning));
        Assert.Equal(0, status.DeletedSegments);
        Assert.Equal((480_000.0 + freeBytes) / 12_000, status.Forecast.DaysFit!.Value, 3);
    }

    [Fact]
    public void Pausing_low_priority_cameras_is_only_decided_when_the_operator_asked_for_it()
    {
        var volume = new FixedVolumeMeter(new VolumeMeasure("/fake", 3_000_000, 0));
        var quiet = new RetentionService(new RetentionSettings(_root, 60, null), new FakeTimeProvider(Now), volume, _logger, measure: OneSegment).RunOnce();
        var asked = new RetentionService(new RetentionSettings(_root, 60, null, PauseLowestPriorityWhenShort: true), new FakeTimeProvider(Now), volume, _logger, (school, camera) => camera == "yard" ? -1 : 0, OneSegment).RunOnce();

        Assert.Empty(quiet.CamerasToPause);
        // 480 000 bytes hold 40 days for 3 cameras; 60 days fit 2 cameras, so the yard (lowest priority) goes.
        Assert.Equal([("school-1", "yard")], asked.CamerasToPause);
    }

    [Fact]
    public async Task It_runs_at_start_and_again_every_interval_on_the_injected_clock()
    {
        var clock = new FakeTimeProvider(Now);
        var service = new RetentionService(new RetentionSettings(_root, 30, 35), clock, new FixedVolumeMeter(new VolumeMeasure("/fake", 1, 1)), _logger, measure: OneSegment);
        var passes = new List<RetentionStatus>();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.PassCompleted += s =>
        {
            lock (passes)
            {
                passes.Add(s);
                (passes.Count == 1 ? first : second).TrySetResult();
            }
        };
        using var stop = new CancellationTokenSource();
        var running = service.RunAsync(stop.Token, Hour);

        await first.Task.WaitAsync(TimeSpan.FromSeconds(10));
        clock.Advance(Hour);
        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Cameras.Length * 5 * 4, passes[0].DeletedSegments);
        // One segment length later, one more segment per camera has aged past MaxDays.
        Assert.Equal(Cameras.Length, passes[1].DeletedSegments);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    internal sealed class CapturingLogger : ILogger
    {
        private readonly List<(int Id, LogLevel Level, string Message)> _events = [];

        public IReadOnlyList<(int Id, LogLevel Level, string Message)> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_events)
            {
                _events.Add((eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }
}
