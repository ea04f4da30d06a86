using StreamGateway.Protocols.Codecs;

namespace StreamGateway.Protocols.Tests.Codecs;

public sealed class H264Tests
{
    [Theory]
    [InlineData(0x67, 7)]
    [InlineData(0x27, 7)]
    [InlineData(0x65, 5)]
    [InlineData(0x7C, 28)]
    [InlineData(0x41, 1)]
    public void Nal_type_is_the_low_five_bits(byte header, byte type)
    {
        Assert.Equal(type, H264.NalType(header));
    }

    public static TheoryData<string, string?, string?, string?> Fmtps => new()
    {
        { "plain (foscam)", "packetization-mode=1;profile-level-id=4D001F;sprop-parameter-sets=Z00AH5WoFAFuQA==,aO48gA==", "674D001F95A814016E40", "68EE3C80" },
        { "spaces and key case (hanwha wisenet)", "packetization-mode=1; Sprop-Parameter-Sets=Z00AMpY1QFEBf03AQEBAgA==,aO4xsg==; profile-level-id=4D0032", "674D003296354051017F4DC040404080", "68EE31B2" },
        { "PPS first", "sprop-parameter-sets=aM48gA==,Z0IAHvQCgC3I", "6742001EF402802DC8", "68CE3C80" },
        { "start codes inside base64 (gw security)", "packetization-mode=1;profile-level-id=5046314;sprop-parameter-sets=Z00AKpWoHgCJ+WbgICAgQAAAAAE=,aO48gAAAAAE=", "674D002A95A81E0089F966E020202040", "68EE3C80" },
        { "SPS and PPS with trailing zero bytes (dahua)", "sprop-parameter-sets=Z2QAHqwsaoLA9puCgIKgAAADACAAAAMD0IAA,aO4xshsA", "6764001EAC2C6A82C0F69B828082A0000003002000000303D080", "68EE31B21B" },
        { "trailing semicolon", "profile-level-id=42A01E; sprop-parameter-sets=Z01AH/QFgJP6,aP48gA==; packetization-mode=1;", "674D401FF4058093FA", "68FE3C80" },
        { "empty sprop (vz smart ipc)", "packetization-mode=1;profile-level-id=000042;sprop-parameter-sets=", null, null },
        { "no sprop", "packetization-mode=1", null, null },
        { "not base64", "sprop-parameter-sets=!!!,???", null, null },
        { "null fmtp", null, null, null },
    };

    [Theory]
    [MemberData(nameof(Fmtps))]
    public void Reads_parameter_sets_from_fmtp(string name, string? fmtp, string? spsHex, string? ppsHex)
    {
        var found = H264.TryGetParameterSetsFromFmtp(fmtp, out var sps, out var pps);

        Assert.True(found == (spsHex is not null), name);
        if (found)
        {
            Assert.Equal(spsHex, Convert.ToHexString(sps!));
            Assert.Equal(ppsHex, Convert.ToHexString(pps!));
        }
    }
}
