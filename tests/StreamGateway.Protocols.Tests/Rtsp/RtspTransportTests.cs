using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Tests.Support;

namespace StreamGateway.Protocols.Tests.Rtsp;

public sealed class RtspTransportTests
{
    private const string ValuesFile = "misc-transport-and-session-header-values.txt";

    /// <summary>Every Transport value in the camera file and what it must parse to.</summary>
    private static readonly Dictionary<string, RtspTransport> CameraTransports = new(StringComparer.Ordinal)
    {
        ["RTP/AVP/UDP;unicast;client_port=14186;server_port=8052;ssrc= 4317f;mode=play"] = new()
        {
            Protocol = "RTP/AVP/UDP", ClientPort = (14186, 14187), ServerPort = (8052, 8053), Ssrc = 0x4317F, Mode = "PLAY",
        },
        ["RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=     D93FF"] = new()
        {
            Protocol = "RTP/AVP/TCP", Interleaved = (0, 1), Ssrc = 0xD93FF,
        },
        ["RTP/AVP/UDP;unicast;server_port=8052;client_port=14186;ssrc=0B6020AD;mode=PLAY"] = new()
        {
            Protocol = "RTP/AVP/UDP", ClientPort = (14186, 14187), ServerPort = (8052, 8053), Ssrc = 0x0B6020AD, Mode = "PLAY",
        },
        ["RTP/AVP/UDP;unicast;source=;client_port=32560-32561;server_port=3046-3047;ssrc=45dcb578"] = new()
        {
            Protocol = "RTP/AVP/UDP", ClientPort = (32560, 32561), ServerPort = (3046, 3047), Ssrc = 0x45DCB578, Source = null,
        },
        ["RTP/AVP;unicast;client_port=14236;source=172.16.8.2;server_port=56002;ssrc=1449463210"] = new()
        {
            Protocol = "RTP/AVP", ClientPort = (14236, 14237), ServerPort = (56002, 56003), Source = "172.16.8.2", Ssrc = 1449463210,
        },
        ["RTP/AVP/UDP;unicast;client_port=49292-49293;server_port=43670-43671;ssrc=7CB694B4"] = new()
        {
            Protocol = "RTP/AVP/UDP", ClientPort = (49292, 49293), ServerPort = (43670, 43671), Ssrc = 0x7CB694B4,
        },
        ["RTP/AVP/UDP;unicast;client_port=59612-59613"] = new()
        {
            Protocol = "RTP/AVP/UDP", ClientPort = (59612, 59613),
        },
        ["RTP/AVP/TCP;unicast;interleaved=10-11;ssrc=10117CB7"] = new()
        {
            Protocol = "RTP/AVP/TCP", Interleaved = (10, 11), Ssrc = 0x10117CB7,
        },
        ["RTP/AVP/TCP;unicast;destination=192.168.1.111;source=192.168.1.222;interleaved=0"] = new()
        {
            Protocol = "RTP/AVP/TCP", Destination = "192.168.1.111", Source = "192.168.1.222", Interleaved = (0, 1),
        },
        ["RTP/AVP/TCP;ssrc=22345682;interleaved=0-1"] = new()
        {
            Protocol = "RTP/AVP/TCP", Ssrc = 0x22345682, Interleaved = (0, 1),
        },
        ["RTP/AVP;unicast;destination=192.168.1.111;source=192.168.1.222;interleaved=0-1"] = new()
        {
            Protocol = "RTP/AVP", Destination = "192.168.1.111", Source = "192.168.1.222", Interleaved = (0, 1),
        },
    };

    private static readonly Dictionary<string, SessionHeader> CameraSessions = new(StringComparer.Ordinal)
    {
        ["7116520596809429228"] = new("7116520596809429228", null),
        ["216525287999;timeout=60"] = new("216525287999", 60),
    };

    public static TheoryData<string> CameraValueLines => new(CameraTestData.ReadValueLines(ValuesFile));

    [Fact]
    public void Every_value_in_the_camera_file_has_an_expectation()
    {
        Assert.Equal(
            CameraTestData.ReadValueLines(ValuesFile).Order(StringComparer.Ordinal),
            CameraTransports.Keys.Concat(CameraSessions.Keys).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CameraValueLines))]
    public void Parses_camera_transport_and_session_values(string line)
    {
        if (CameraSessions.TryGetValue(line, out var session))
        {
            Assert.True(SessionHeader.TryParse(line, out var parsedSession));
            Assert.Equal(session, parsedSession);
            return;
        }

        Assert.True(RtspTransport.TryParse(line, out var transport, out var error), error);
        Assert.Equal(CameraTransports[line], transport);

        // The canonical form parses back to the same value.
        Assert.True(RtspTransport.TryParse(transport!.ToHeaderValue(), out var again, out _));
        Assert.Equal(transport, again);
    }

    [Fact]
    public void Treats_escam_plain_avp_with_interleaved_as_tcp()
    {
        RtspTransport.TryParse("RTP/AVP;unicast;interleaved=0-1", out var escam, out _);
        RtspTransport.TryParse("RTP/AVP;unicast;client_port=5000-5001", out var udp, out _);

        Assert.True(escam!.IsTcp);
        Assert.False(udp!.IsTcp);
    }

    public static TheoryData<string, string> CanonicalForms => new()
    {
        { "RTP/AVP/TCP;unicast;interleaved=0-1", "RTP/AVP/TCP;unicast;interleaved=0-1" },
        { "rtp/avp/tcp; Unicast ; INTERLEAVED = 2-3 ; mode=\"play\"", "RTP/AVP/TCP;unicast;interleaved=2-3;mode=PLAY" },
        { "RTP/AVP;unicast;client_port=5000;server_port=6000-6001;ssrc=1a2b3c4d", "RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001;ssrc=1A2B3C4D" },
        { "RTP/AVP;unicast;ssrc=00000A0B", "RTP/AVP;unicast;ssrc=00000A0B" },
        { "RTP/AVP;unicast;ssrc=A0B", "RTP/AVP;unicast;ssrc=00000A0B" },
        { "RTP/AVP;multicast;destination=232.16.200.207;ttl=16;port=5008-5009", "RTP/AVP;multicast;destination=232.16.200.207;ttl=16;port=5008-5009" },
        { "RTP/AVP/UDP;unicast;client_port=5000-5001;append;x-unknown=1", "RTP/AVP/UDP;unicast;client_port=5000-5001" },
        { "RTP/AVP;unicast;mode=RECORD", "RTP/AVP;unicast;mode=RECORD" },
    };

    [Theory]
    [MemberData(nameof(CanonicalForms))]
    public void Writes_lenient_input_in_canonical_form(string input, string canonical)
    {
        Assert.True(RtspTransport.TryParse(input, out var transport, out var error), error);

        Assert.Equal(canonical, transport!.ToHeaderValue());
    }

    [Fact]
    public void Builds_the_header_a_server_answers_with()
    {
        var transport = new RtspTransport { Protocol = "RTP/AVP", ClientPort = (5000, 5001), ServerPort = (6000, 6001), Ssrc = 0x1A2B3C4D };

        Assert.Equal("RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001;ssrc=1A2B3C4D", transport.ToHeaderValue());
        Assert.False(transport.IsTcp);
        Assert.False(transport.IsMulticast);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("RAW/RAW/UDP;unicast")]
    [InlineData("RTP/SAVP;unicast")]
    [InlineData("RTP/AVP/TCP;interleaved=256-257")]
    [InlineData("RTP/AVP/TCP;interleaved=255")]
    [InlineData("RTP/AVP;client_port=abc")]
    [InlineData("RTP/AVP;client_port=70000-70001")]
    [InlineData("RTP/AVP;ssrc=xyz")]
    [InlineData("RTP/AVP;ssrc=123456789012")]
    [InlineData("RTP/AVP;multicast;ttl=300")]
    public void Rejects_transport_that_cannot_be_used(string spec)
    {
        Assert.False(RtspTransport.TryParse(spec, out var transport, out var error));
        Assert.Null(transport);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Parses_alternatives_and_skips_the_unparseable()
    {
        var list = RtspTransport.ParseList("RTP/AVP/TCP;unicast;interleaved=0-1, RTP/SAVP;unicast,RTP/AVP;unicast;client_port=5000-5001");

        Assert.Equal(2, list.Count);
        Assert.True(list[0].IsTcp);
        Assert.Equal((5000, 5001), list[1].ClientPort);
        Assert.Empty(RtspTransport.ParseList(""));
    }
}
