namespace StreamGateway.Protocols.Sdp;

/// <summary>One <c>a=</c> line: <c>a=name:value</c>, or <c>a=name</c> (a flag, <see cref="Value"/> null).</summary>
public sealed record SdpAttribute(string Name, string? Value);

/// <summary>A parsed <c>a=rtpmap:</c> value. <see cref="EncodingName"/> is upper case.</summary>
public sealed record RtpMap(int PayloadType, string EncodingName, int ClockRate, int? Channels);
