using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

public class ConfigDiffTests
{
    private static CameraConfig Cam(string path, string source = "rtsp://10.0.0.1/x", CameraTransport transport = CameraTransport.Auto, string? password = null, bool onDemand = false)
    {
        var parts = path.Split('/');
        return new CameraConfig
        {
            SchoolId = parts[0],
            CameraId = parts[1],
            Source = source,
            Username = password is null ? null : "admin",
            Password = password,
            Transport = transport,
            OnDemand = onDemand,
        };
    }

    private static GatewayConfig Config(params CameraConfig[] cameras) => new()
    {
        Schools = cameras.GroupBy(c => c.SchoolId)
            .Select(g => new SchoolConfig { Id = g.Key, Name = g.Key, Cameras = g.ToList() })
            .ToList(),
    };

    [Fact]
    public void Sorts_cameras_into_added_removed_changed_and_unchanged()
    {
        var previous = Config(Cam("a/keep"), Cam("a/gone"), Cam("b/edit", transport: CameraTransport.Tcp));
        var next = Config(Cam("a/keep"), Cam("b/edit", transport: CameraTransport.Udp), Cam("c/new"));

        var diff = ConfigDiff.Compute(previous, next);

        Assert.Equal(["c/new"], diff.Added.Select(c => c.Path));
        Assert.Equal(["a/gone"], diff.Removed.Select(c => c.Path));
        var changed = Assert.Single(diff.Changed);
        Assert.Equal(("b/edit", CameraTransport.Udp), (changed.Path, changed.Transport));
        Assert.Equal(1, diff.Unchanged);
        Assert.False(diff.ListenersChanged);
    }

    [Theory]
    [InlineData("source")]
    [InlineData("transport")]
    [InlineData("password")]
    [InlineData("on demand")]
    public void A_camera_counts_as_changed_when_any_setting_differs(string setting)
    {
        var edited = setting switch
        {
            "source" => Cam("s/c", source: "rtsp://10.0.0.2/x"),
            "transport" => Cam("s/c", transport: CameraTransport.Tcp),
            "password" => Cam("s/c", password: "new"),
            _ => Cam("s/c", onDemand: true),
        };

        var diff = ConfigDiff.Compute(Config(Cam("s/c")), Config(edited));

        Assert.Single(diff.Changed);
        Assert.Empty(diff.Added);
        Assert.Empty(diff.Removed);
    }

    [Fact]
    public void Identical_configs_built_separately_give_an_empty_diff()
    {
        var diff = ConfigDiff.Compute(Config(Cam("s/a"), Cam("s/b", password: "p")), Config(Cam("s/a"), Cam("s/b", password: "p")));

        Assert.True(diff.IsEmpty);
        Assert.Equal(2, diff.Unchanged);
    }

    [Fact]
    public void A_renamed_school_name_changes_the_config_but_restarts_no_camera()
    {
        var previous = Config(Cam("s/a"));
        var next = previous with { Schools = [previous.Schools[0] with { Name = "Renamed" }] };

        var diff = ConfigDiff.Compute(previous, next);

        Assert.NotEqual(previous, next);
        Assert.True(diff.IsEmpty);
    }

    [Theory]
    [InlineData("Rtsp.Port")]
    [InlineData("Http.Port")]
    [InlineData("Rtsp.BindAddress")]
    [InlineData("Http.BindAddress")]
    [InlineData("Rtsp.MaxConnections")]
    [InlineData("Rtsp.MaxConnectionsPerClientAddress")]
    public void A_port_or_bind_address_edit_is_a_listener_change(string setting)
    {
        var previous = new GatewayConfig();
        var next = setting switch
        {
            "Rtsp.Port" => previous with { RtspPort = 9554 },
            "Http.Port" => previous with { HttpPort = 0 },
            "Rtsp.BindAddress" => previous with { RtspBindAddress = "127.0.0.1" },
            "Rtsp.MaxConnections" => previous with { RtspMaxConnections = 2000 },
            "Rtsp.MaxConnectionsPerClientAddress" => previous with { RtspMaxConnectionsPerClientAddress = 16 },
            _ => previous with { HttpBindAddress = "127.0.0.1" },
        };

        Assert.True(ConfigDiff.Compute(previous, next).ListenersChanged);
        Assert.False(ConfigDiff.Compute(next, next with { }).ListenersChanged);
    }

    [Fact]
    public void A_relay_setting_change_is_flagged_for_restart_and_touches_no_camera()
    {
        var previous = Config(Cam("a/keep"));
        var next = previous with { Relay = new RelaySettings { GopCache = false } };

        var diff = ConfigDiff.Compute(previous, next);

        Assert.True(diff.RelayChanged);
        Assert.False(diff.IsEmpty);
        Assert.Equal((0, 0, 0, 1), (diff.Added.Count, diff.Removed.Count, diff.Changed.Count, diff.Unchanged));
        Assert.False(ConfigDiff.Compute(next, next with { Relay = new RelaySettings { GopCache = false } }).RelayChanged);
    }

    [Fact]
    public void Without_a_previous_config_everything_is_added()
    {
        var diff = ConfigDiff.Compute(null, Config(Cam("s/a"), Cam("t/b")));

        Assert.Equal(["s/a", "t/b"], diff.Added.Select(c => c.Path));
        Assert.True(diff.ListenersChanged);
    }
}
