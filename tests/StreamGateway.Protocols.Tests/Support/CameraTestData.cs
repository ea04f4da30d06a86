using System.Globalization;

namespace StreamGateway.Protocols.Tests.Support;

/// <summary>Access to tests/testdata/cameras (copied next to the test assembly as testdata/cameras).</summary>
public static class CameraTestData
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "testdata", "cameras");

    public static string PathOf(string fileName) => Path.Combine(Directory, fileName);

    public static byte[] ReadBytes(string fileName) => File.ReadAllBytes(PathOf(fileName));

    /// <summary>File names (no directory) with the given extension, e.g. ".rtsp", sorted.</summary>
    public static IReadOnlyList<string> FileNames(string extension)
        => System.IO.Directory.GetFiles(Directory, "*" + extension)
            .Select(p => Path.GetFileName(p))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Non-empty lines that are not '#' comments, as stored (no trimming beyond the line break).</summary>
    public static IReadOnlyList<string> ReadValueLines(string fileName)
        => File.ReadAllLines(PathOf(fileName))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();

    /// <summary>Decodes a hex dump of "offset: hh hh ..." lines; '#' lines are comments.</summary>
    public static byte[] ReadHexDump(string fileName)
    {
        var bytes = new List<byte>();
        foreach (var line in ReadValueLines(fileName))
        {
            var colon = line.IndexOf(':');
            var hex = colon >= 0 ? line[(colon + 1)..] : line;
            foreach (var pair in hex.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                bytes.Add(byte.Parse(pair, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return bytes.ToArray();
    }

    /// <summary>LF to CRLF, leaving existing CRLFs alone: what the sources' tests did before parsing LF-stored text.</summary>
    public static byte[] ToCrlf(byte[] data)
    {
        var result = new List<byte>(data.Length + (data.Length / 16));
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n' && (i == 0 || data[i - 1] != (byte)'\r'))
            {
                result.Add((byte)'\r');
            }

            result.Add(data[i]);
        }

        return result.ToArray();
    }
}
