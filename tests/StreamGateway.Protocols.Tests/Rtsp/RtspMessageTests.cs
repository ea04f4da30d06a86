using System.Text;
using StreamGateway.Protocols.Rtsp;

namespace StreamGateway.Protocols.Tests.Rtsp;

public sealed class RtspMessageTests
{
    [Fact]
    public void Serializes_a_request_with_crlf_and_computed_content_length()
    {
        var request = new RtspRequest(RtspMethods.SetParameter, "rtsp://cam/live");
        request.Headers.Add("CSeq", "4");
        request.Headers.Add("Content-Length", "999"); // stale: replaced by the real length
        request.Headers.Add("Content-Type", "text/parameters");
        request.Body = "a: b\r\n"u8.ToArray();

        var text = Encoding.UTF8.GetString(request.Serialize());

        Assert.Equal("SET_PARAMETER rtsp://cam/live RTSP/1.0\r\nCSeq: 4\r\nContent-Type: text/parameters\r\nContent-Length: 6\r\n\r\na: b\r\n", text);
    }

    [Fact]
    public void Serializes_a_response_without_body_or_content_length()
    {
        var response = new RtspResponse(200);
        response.Headers.Add("CSeq", "1");

        Assert.Equal("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n", Encoding.UTF8.GetString(response.Serialize()));
    }

    [Theory]
    [InlineData(200, "OK")]
    [InlineData(401, "Unauthorized")]
    [InlineData(454, "Session Not Found")]
    [InlineData(461, "Unsupported transport")]
    [InlineData(499, "Client Error")]
    [InlineData(599, "Server Error")]
    public void Uses_the_standard_reason_phrase_when_none_is_given(int code, string reason)
    {
        Assert.Equal(reason, new RtspResponse(code).Reason);
        Assert.Equal(reason, RtspResponse.GetReasonPhrase(code));
    }

    [Fact]
    public void Keeps_a_custom_reason_phrase()
    {
        Assert.Equal("Fine", new RtspResponse(200, "Fine").Reason);
    }

    [Fact]
    public void Looks_up_headers_case_insensitively_in_wire_order()
    {
        var headers = new RtspHeaders { { "WWW-Authenticate", "Digest a" }, { "CSeq", "1" }, { "www-authenticate", "Basic b" } };

        Assert.Equal("Digest a", headers.Get("Www-Authenticate"));
        Assert.Equal(["Digest a", "Basic b"], headers.GetAll("WWW-AUTHENTICATE"));
        Assert.Null(headers.Get("Session"));
        Assert.Equal(3, headers.Count);
    }

    [Fact]
    public void Set_replaces_every_occurrence_in_place_of_the_first()
    {
        var headers = new RtspHeaders { { "A", "1" }, { "B", "2" }, { "a", "3" } };

        headers.Set("a", "9");

        Assert.Equal([new("a", "9"), new KeyValuePair<string, string>("B", "2")], headers);
    }

    [Fact]
    public void Remove_deletes_every_occurrence()
    {
        var headers = new RtspHeaders { { "A", "1" }, { "B", "2" }, { "a", "3" } };

        Assert.True(headers.Remove("A"));
        Assert.False(headers.Remove("A"));
        Assert.Equal(1, headers.Count);
    }

    [Theory]
    [InlineData("Bad Name", "v")]
    [InlineData("", "v")]
    [InlineData("Name:", "v")]
    [InlineData("X-Inject", "v\r\nInjected: 1")]
    [InlineData("X-Inject", "v\nx")]
    public void Refuses_header_names_and_values_that_would_break_the_wire_format(string name, string value)
    {
        var headers = new RtspHeaders();

        Assert.Throws<ArgumentException>(() => headers.Add(name, value));
        Assert.Throws<ArgumentException>(() => headers.Set(name, value));
    }

    [Fact]
    public void Never_echoes_a_refused_value()
    {
        var error = Assert.Throws<ArgumentException>(() => new RtspHeaders().Add("Authorization", "Basic c2VjcmV0\r\n"));

        Assert.DoesNotContain("c2VjcmV0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "rtsp://cam/")]
    [InlineData("DESC RIBE", "rtsp://cam/")]
    [InlineData("DESCRIBE", "")]
    [InlineData("DESCRIBE", "rtsp://cam/ x")]
    public void Refuses_an_invalid_request_line(string method, string uri)
    {
        Assert.Throws<ArgumentException>(() => new RtspRequest(method, uri));
    }

    [Theory]
    [InlineData(99)]
    [InlineData(1000)]
    public void Refuses_a_status_code_without_three_digits(int code)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RtspResponse(code));
    }

    [Fact]
    public void Decodes_an_invalid_utf8_body_leniently()
    {
        var response = new RtspResponse(200) { Body = new byte[] { (byte)'a', 0xFF, (byte)'b' } };

        Assert.Equal("a\uFFFDb", response.BodyText);
    }
}
