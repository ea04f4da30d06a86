using System.Collections;

namespace StreamGateway.Protocols.Rtsp;

/// <summary>
/// RTSP header fields in wire order. Names compare case-insensitively (cameras send "Cseq" and "cseq");
/// a name may repeat (WWW-Authenticate often does). Names and values are validated on the way in so a
/// serialised message can never carry an injected line break.
/// </summary>
public sealed class RtspHeaders : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _items = new();

    /// <summary>Number of header fields, repeats included.</summary>
    public int Count => _items.Count;

    /// <summary>Appends a field, keeping any earlier fields of the same name.</summary>
    public void Add(string name, string value)
    {
        ValidateName(name);
        ValidateValue(value);
        _items.Add(new KeyValuePair<string, string>(name, value));
    }

    /// <summary>The first value of <paramref name="name"/>, or null when absent.</summary>
    public string? Get(string name)
    {
        foreach (var item in _items)
        {
            if (string.Equals(item.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return item.Value;
            }
        }

        return null;
    }

    /// <summary>Every value of <paramref name="name"/>, in wire order.</summary>
    public IEnumerable<string> GetAll(string name)
    {
        foreach (var item in _items)
        {
            if (string.Equals(item.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                yield return item.Value;
            }
        }
    }

    /// <summary>Replaces every field of <paramref name="name"/> with one field, at the first one's position.</summary>
    public void Set(string name, string value)
    {
        ValidateName(name);
        ValidateValue(value);
        var index = _items.FindIndex(i => string.Equals(i.Key, name, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            _items.Add(new KeyValuePair<string, string>(name, value));
            return;
        }

        _items[index] = new KeyValuePair<string, string>(name, value);
        for (var i = _items.Count - 1; i > index; i--)
        {
            if (string.Equals(_items[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                _items.RemoveAt(i);
            }
        }
    }

    /// <summary>Removes every field of <paramref name="name"/>; true when at least one was present.</summary>
    public bool Remove(string name)
        => _items.RemoveAll(i => string.Equals(i.Key, name, StringComparison.OrdinalIgnoreCase)) > 0;

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!RtspSyntax.IsTokenChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidName(name))
        {
            throw new ArgumentException("Header name must be a non-empty token.", nameof(name));
        }
    }

    private static void ValidateValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        // The value itself is never echoed: it may be an Authorization header.
        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new ArgumentException("Header value must not contain CR, LF or NUL.", nameof(value));
        }
    }
}
