using StreamGateway.Configuration;
using StreamGateway.Hosting;

namespace StreamGateway.Tests.Hosting;

public class StatusModelTests
{
    [Theory]
    [InlineData("Idle", false, "idle")]
    [InlineData("Connecting", false, "connecting")]
    [InlineData("Streaming", false, "streaming")]
    [InlineData("Retrying", false, "backing_off")]
    [InlineData("Stalled", false, "stalled")]
    [InlineData("WaitingForSchool", false, "school_offline")]
    [InlineData("Stopped", false, "stopped")]
    [InlineData("Retrying", true, "school_offline")]
    [InlineData("Connecting", true, "school_offline")]
    [InlineData("Stalled", true, "school_offline")]
    [InlineData("Streaming", true, "streaming")]
    [InlineData("Idle", true, "idle")]
    [InlineData("SomethingNew", false, "something_new")]
    public void Maps_connector_states_to_the_states_operators_read(string connectorState, bool schoolOffline, string expected)
    {
        Assert.Equal(expected, StatusModel.MapState(connectorState, schoolOffline));
    }

    [Theory]
    [InlineData(null, "pw-1234", null)]
    [InlineData("timed out", "pw-1234", "timed out")]
    [InlineData("failed for rtsp://admin:pw-1234@10.0.0.1/live", "pw-1234", "failed for rtsp://admin:***@10.0.0.1/live")]
    [InlineData("camera said pw-1234 twice: pw-1234", "pw-1234", "camera said *** twice: ***")]
    [InlineData("escaped p%40ss%2Fw0rd leaked", "p@ss/w0rd", "escaped *** leaked")]
    [InlineData("no password configured", null, "no password configured")]
    public void Scrubs_user_info_and_the_configured_password_from_errors(string? message, string? password, string? expected)
    {
        var camera = new CameraConfig { SchoolId = "s", CameraId = "c", Source = "rtsp://10.0.0.1/live", Username = "admin", Password = password };

        Assert.Equal(expected, StatusModel.Scrub(message, camera));
    }
}
