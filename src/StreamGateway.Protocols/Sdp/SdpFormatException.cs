namespace StreamGateway.Protocols.Sdp;

/// <summary>The SDP text is unusable: no media at all, or a line that is not SDP. The message names the line.</summary>
public sealed class SdpFormatException : FormatException
{
    public SdpFormatException(string message)
        : base(message)
    {
    }

    public SdpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
