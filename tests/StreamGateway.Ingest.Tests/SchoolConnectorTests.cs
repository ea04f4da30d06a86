using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamGateway.Relay;

namespace StreamGateway.Ingest.Tests;

public sealed class SchoolConnectorTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Every_camera_failing_within_the_window_takes_the_school_offline_once()
    {
        var (school, cameras) = School(3);
        var events = new List<bool>();
        school.OfflineChanged += (_, offline) => events.Add(offline);

        school.ReportFailed(cameras[0]);
        _time.Advance(TimeSpan.FromSeconds(2));
        school.ReportFailed(cameras[1]);
        Assert.False(school.IsOffline);
        school.ReportFailed(cameras[2]);
        school.ReportFailed(cameras[0]);

        Assert.True(school.IsOffline);
        Assert.Equal([true], events);
        Assert.Equal(1, cameras.Count(school.MayAttempt));
    }

    [Fact]
    public void Failures_spread_wider_than_the_window_are_camera_problems_not_a_link_down()
    {
        var (school, cameras) = School(2);

        school.ReportFailed(cameras[0]);
        _time.Advance(TimeSpan.FromSeconds(30));
        school.ReportFailed(cameras[1]);

        Assert.False(school.IsOffline);
        Assert.All(cameras, c => Assert.True(school.MayAttempt(c)));
    }

    [Fact]
    public async Task When_the_probe_streams_again_the_others_reconnect_staggered()
    {
        var (school, cameras) = School(3);
        foreach (var camera in cameras)
        {
            school.ReportFailed(camera);
        }

        var probe = cameras.Single(school.MayAttempt);
        var waiting = cameras.Where(c => c != probe).Select(c => school.WaitForTurnAsync(c, CancellationToken.None)).ToList();
        Assert.All(waiting, w => Assert.False(w.IsCompleted));

        var released = waiting.Select(w => w.ContinueWith(_ => _time.GetUtcNow(), TaskScheduler.Default)).ToList();
        var onlineAt = _time.GetUtcNow();
        school.ReportStreaming(probe);
        Assert.False(school.IsOffline);

        // Step the fake clock until both waiters are released (bounded); the waiters arm their timers
        // on the thread pool, so each step yields real time for that.
        for (var step = 0; step < 2000 && !released.All(r => r.IsCompleted); step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(1);
        }

        var times = (await Task.WhenAll(released).WaitAsync(TimeSpan.FromSeconds(10))).Order().ToList();
        Assert.True(times[0] - onlineAt >= school.StaggerInterval, "the first camera was not held for its slot");
        Assert.True(times[1] - times[0] >= school.StaggerInterval - TimeSpan.FromMilliseconds(50), $"released {times[1] - times[0]} apart");
    }

    [Fact]
    public async Task A_probe_that_keeps_failing_hands_probing_to_the_next_camera()
    {
        var (school, cameras) = School(3);
        foreach (var camera in cameras)
        {
            school.ReportFailed(camera);
        }

        var probe = cameras.Single(school.MayAttempt);
        var others = cameras.Where(c => c != probe).ToList();
        var turns = others.Select(c => school.WaitForTurnAsync(c, CancellationToken.None)).ToList();

        school.ReportFailed(probe);

        Assert.True(school.IsOffline);
        Assert.False(school.MayAttempt(probe));
        var nextProbe = cameras.Single(school.MayAttempt);
        await Task.WhenAny(turns).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(turns[others.IndexOf(nextProbe)].IsCompleted, "the new probe was not let through");
        Assert.False(turns[1 - others.IndexOf(nextProbe)].IsCompleted, "a non-probe camera was let through while offline");
    }

    [Fact]
    public void A_single_camera_school_is_never_reported_offline()
    {
        var (school, cameras) = School(1);

        school.ReportFailed(cameras[0]);

        Assert.False(school.IsOffline);
    }

    private (SchoolConnector School, List<CameraConnector> Cameras) School(int count)
    {
        var school = new SchoolConnector("school-1", NullLoggerFactory.Instance, _time);
        var cameras = Enumerable.Range(1, count).Select(i =>
        {
            var options = new CameraSourceOptions { Path = $"school-1/cam{i}", Source = new Uri($"rtsp://127.0.0.1:1/cam{i}") };
            return new CameraConnector(options, new StreamHub(options.Path), NullLoggerFactory.Instance, _time, school);
        }).ToList();
        school.Register(cameras);
        return (school, cameras);
    }
}
