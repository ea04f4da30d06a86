using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StreamGateway.Protocols.Auth;
using StreamGateway.Protocols.Rtsp;

namespace StreamGateway.Protocols.Tests.Fuzz;

/// <summary>One starting input for a fuzz target.</summary>
internal sealed record FuzzSeed(string Target, string Name, byte[] Data);

/// <summary>
/// Turns tests/testdata/cameras into fuzz seeds: .rtsp captures (as stored and as CRLF) for rtsp-message, .sdp
/// for sdp, the .hex dumps for interleaved/rtp/rtcp, and header values (the misc-*.txt lines, plus the
/// Transport, Session, RTP-Info, WWW-Authenticate and Authorization values inside the captures) for the header
/// targets. Written to a seeds directory by the harness, never committed: the fixtures are the source.
/// </summary>
internal static class FuzzSeeds
{
    public static IReadOnlyList<FuzzSeed> FromCameraData(string cameraDirectory)
    {
        var seeds = new List<FuzzSeed>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string target, string name, byte[] data)
        {
            // One copy per distinct content: duplicates only slow AFL's calibration.
            if (data.Length > 0 && seen.Add(target + ":" + Convert.ToHexString(SHA256.HashData(data))))
            {
                seeds.Add(new FuzzSeed(target, name, data));
            }
        }

        void AddText(string target, string name, string text) => Add(target, name, Encoding.UTF8.GetBytes(text));

        var files = Directory.GetFiles(cameraDirectory).Order(StringComparer.Ordinal).ToList();
        foreach (var path in files)
        {
            var file = Path.GetFileNameWithoutExtension(path);
            switch (Path.GetExtension(path))
            {
                case ".rtsp":
                    var bytes = File.ReadAllBytes(path);
                    Add("rtsp-message", file, bytes);
                    Add("rtsp-message", file + ".crlf", ToCrlf(bytes));
                    var n = 0;
                    foreach (var (name, value) in HeaderValues(ToCrlf(bytes)))
                    {
                        var target = name.ToUpperInvariant() switch
                        {
                            "TRANSPORT" => "transport",
                            "SESSION" or "RTP-INFO" => "session",
                            "WWW-AUTHENTICATE" => "www-authenticate",
                            "AUTHORIZATION" => "authorization",
                            _ => null,
                        };
                        if (target is not null)
                        {
                            AddText(target, $"{file}.{n++}", value);
                        }
                    }

                    break;
                case ".sdp":
                    Add("sdp", file, File.ReadAllBytes(path));
                    break;
                case ".hex":
                    var dump = ReadHexDump(path);
                    if (dump.Length > 0 && dump[0] == InterleavedFrame.Magic)
                    {
                        Add("interleaved", file, dump);
                        Add("rtp", file, dump[InterleavedFrame.HeaderLength..]);
                    }
                    else
                    {
                        Add("rtcp", file, dump);
                        Add("interleaved", file + ".framed", Frame(1, dump));
                    }

                    break;
                case ".txt":
                    var lines = File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
                    for (var i = 0; i < lines.Count; i++)
                    {
                        if (file.Contains("www-authenticate", StringComparison.Ordinal))
                        {
                            AddText("www-authenticate", $"{file}.{i}", lines[i]);
                            foreach (var authorization in AnswersTo(lines[i]))
                            {
                                AddText("authorization", $"{file}.{i}.answer", authorization);
                            }
                        }
                        else
                        {
                            AddText("transport", $"{file}.{i}", lines[i]);
                            AddText("session", $"{file}.{i}", lines[i]);
                        }
                    }

                    break;
            }
        }

        // A message followed by RTP and RTCP frames: what a TCP session carries after PLAY.
        var play = files.FirstOrDefault(f => f.EndsWith("play-200-rtpinfo-ssrc.rtsp", StringComparison.Ordinal));
        var frames = seeds.Where(s => s.Target == "interleaved").Select(s => s.Data).ToList();
        if (play is not null && frames.Count > 0)
        {
            Add("interleaved", "play-then-frames", [.. ToCrlf(File.ReadAllBytes(play)), .. frames.SelectMany(f => f)]);
        }

        return seeds;
    }

    /// <summary>Writes every seed to <paramref name="outputDirectory"/>/&lt;target&gt;/&lt;name&gt;.</summary>
    public static int Write(string cameraDirectory, string outputDirectory)
    {
        var seeds = FromCameraData(cameraDirectory);
        foreach (var seed in seeds)
        {
            var directory = Path.Combine(outputDirectory, seed.Target);
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(Path.Combine(directory, seed.Name), seed.Data);
        }

        return seeds.Count;
    }

    private static List<(string Name, string Value)> HeaderValues(byte[] capture)
    {
        var values = new List<(string Name, string Value)>();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(capture));
        while (RtspParser.TryParseMessage(ref reader, out var message, out _) == OperationStatus.Done)
        {
            values.AddRange(message!.Headers.Select(h => (h.Key, h.Value)));
        }

        return values;
    }

    // The Authorization answers our client would send: realistic server-side input derived from real challenges.
    private static IEnumerable<string> AnswersTo(string challenge)
    {
        var authenticator = new ClientAuthenticator("admin", "12345");
        if (authenticator.TryAccept([challenge]) && authenticator.CreateAuthorization("DESCRIBE", "rtsp://192.0.2.10/stream") is { } value)
        {
            yield return value;
        }
    }

    private static byte[] Frame(byte channel, byte[] payload)
    {
        var frame = new byte[InterleavedFrame.HeaderLength + payload.Length];
        InterleavedFrame.WriteHeader(frame, channel, payload.Length);
        payload.CopyTo(frame.AsSpan(InterleavedFrame.HeaderLength));
        return frame;
    }

    private static byte[] ReadHexDump(string path)
    {
        var bytes = new List<byte>();
        foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var colon = line.IndexOf(':');
            foreach (var pair in line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                bytes.Add(byte.Parse(pair, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return [.. bytes];
    }

    private static byte[] ToCrlf(byte[] data)
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

        return [.. result];
    }
}
