using System.Globalization;

namespace StreamGateway.Protocols.Rtsp;

/// <summary>The RTSP <c>Session</c> header: an id and an optional timeout in seconds.</summary>
public readonly record struct SessionHeader(string Id, int? TimeoutSeconds)
{
    /// <summary>Tolerates padding around the id and around <c>;timeout=</c> ("  id;timeout=60", "id; timeout=60").</summary>
    public static bool TryParse(string value, out SessionHeader header)
    {
        header = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var parts = value.Split(';');
        var id = parts[0].Trim(' ', '\t');
        if (id.Length == 0 || !IsValidId(id))
        {
            return false;
        }

        int? timeout = null;
        for (var i = 1; i < parts.Length; i++)
        {
            var part = parts[i].AsSpan().Trim(" \t");
            var equals = part.IndexOf('=');
            if (equals > 0
                && part[..equals].Trim().Equals("timeout", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(part[(equals + 1)..].Trim(" \t\""), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                && seconds > 0)
            {
                timeout = seconds;
            }
        }

        header = new SessionHeader(id, timeout);
        return true;
    }

    // RFC 2326 3.4: an id is printable. Any whitespace or control character is refused, not only SP and HT:
    // fuzzing found "\v;;" accepted as id "\v" whose own header value ("\v") then failed to parse.
    private static bool IsValidId(string id)
    {
        foreach (var c in id)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is ',' or '"')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>"id" or "id;timeout=N".</summary>
    public string ToHeaderValue()
        => TimeoutSeconds is { } t ? $"{Id};timeout={t.ToString(CultureInfo.InvariantCulture)}" : Id;
}
