namespace StreamGateway.Protocols.Rtsp;

/// <summary>RTSP 1.0 method names (RFC 2326), case-sensitive on the wire.</summary>
public static class RtspMethods
{
    public const string Options = "OPTIONS";
    public const string Describe = "DESCRIBE";
    public const string Setup = "SETUP";
    public const string Play = "PLAY";
    public const string Pause = "PAUSE";
    public const string Teardown = "TEARDOWN";
    public const string GetParameter = "GET_PARAMETER";
    public const string SetParameter = "SET_PARAMETER";
    public const string Announce = "ANNOUNCE";
    public const string Record = "RECORD";
}
