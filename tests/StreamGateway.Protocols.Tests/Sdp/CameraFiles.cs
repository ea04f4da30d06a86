using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace StreamGateway.Protocols.Tests.Sdp;

/// <summary>Reads files of tests/testdata/cameras (copied to the output as testdata/cameras) without the RTSP parser.</summary>
internal static partial class CameraFiles
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "testdata", "cameras");

    public static string ReadText(string name) => File.ReadAllText(Path.Combine(Directory, name), Encoding.UTF8);

    /// <summary>
    /// The SDP and Content-Base of the DESCRIBE 200 response in an .rtsp file: the header block that starts with
    /// "RTSP/1.0 200" and has Content-Type application/sdp, and the text after its blank line up to the next
    /// blank line (the full-session capture has more messages after it). Null when the file has no such response.
    /// </summary>
    public static (string Sdp, string? ContentBase)? ExtractDescribeAnswer(string text)
    {
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var blocks = normalized.Split("\n\n");
        for (var i = 0; i < blocks.Length - 1; i++)
        {
            var head = blocks[i];
            if (head.StartsWith("RTSP/1.0 200", StringComparison.Ordinal) && SdpContentType().IsMatch(head))
            {
                var contentBase = ContentBase().Match(head);
                return (blocks[i + 1].Trim('\n') + "\n", contentBase.Success ? contentBase.Groups[1].Value.Trim() : null);
            }
        }

        return null;
    }

    /// <summary>Bytes of a .hex file: '#' lines are comments, others are "offset: hex bytes".</summary>
    public static byte[] ReadHex(string name)
    {
        var bytes = new List<byte>();
        foreach (var line in ReadText(name).Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var colon = trimmed.IndexOf(':');
            foreach (var token in trimmed[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                bytes.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return [.. bytes];
    }

    /// <summary>The demo clip, found by walking up from the test output to the repository root.</summary>
    public static byte[] ReadDemoClip()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        for (var depth = 0; dir is not null && depth < 12; depth++, dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "StreamGateway", "demo", "clip.h264");
            if (File.Exists(candidate))
            {
                return File.ReadAllBytes(candidate);
            }
        }

        throw new FileNotFoundException("src/StreamGateway/demo/clip.h264 not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^Content-Type:\s*application/sdp", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex SdpContentType();

    [GeneratedRegex(@"^Content-Base:\s*(\S+)", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex ContentBase();
}
