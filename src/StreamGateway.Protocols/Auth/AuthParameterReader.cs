using System.Text;

namespace StreamGateway.Protocols.Auth;

/// <summary>
/// Tokenizer for RFC 7235 challenge/credential syntax: <c>scheme name=value, name="quoted, value"</c>.
/// Lenient about what cameras get wrong: missing or doubled spaces, unquoted values, empty quoted values.
/// </summary>
internal ref struct AuthParameterReader
{
    private readonly ReadOnlySpan<char> _text;
    private int _position;

    public AuthParameterReader(ReadOnlySpan<char> text)
    {
        _text = text;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _text.Length;

    /// <summary>Skips spaces, tabs and commas.</summary>
    public void SkipSeparators()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or ',')
        {
            _position++;
        }
    }

    /// <summary>Reads a token (scheme or parameter name) without consuming what follows.</summary>
    public string ReadToken()
    {
        var start = _position;
        while (_position < _text.Length && _text[_position] is not (' ' or '\t' or ',' or '='))
        {
            _position++;
        }

        return _text[start.._position].ToString();
    }

    /// <summary>True when, after optional whitespace, the next character is '=' (so the token was a parameter name).</summary>
    public readonly bool NextIsEquals()
    {
        var p = _position;
        while (p < _text.Length && _text[p] is ' ' or '\t')
        {
            p++;
        }

        return p < _text.Length && _text[p] == '=';
    }

    /// <summary>
    /// After a scheme: true when the next item is a name=value parameter rather than a new scheme.
    /// Looks ahead over one token without consuming it.
    /// </summary>
    public readonly bool NextIsParameter()
    {
        var copy = this;
        copy.SkipSeparators();
        if (copy.AtEnd)
        {
            return false;
        }

        var token = copy.ReadToken();
        return token.Length > 0 && copy.NextIsEquals() && !IsToken68Padding(copy);
    }

    /// <summary>
    /// Right after a scheme: true when a token68 follows on the same item, i.e. a token whose only trailing
    /// characters before a comma or the end are '=' padding ("Basic YWRtaW46YWRtaW4=", "Negotiate abc").
    /// </summary>
    public readonly bool NextIsToken68()
    {
        var p = _position;
        while (p < _text.Length && _text[p] is ' ' or '\t')
        {
            p++;
        }

        var start = p;
        while (p < _text.Length && _text[p] is not (' ' or '\t' or ',' or '=' or '"'))
        {
            p++;
        }

        if (p == start)
        {
            return false;
        }

        while (p < _text.Length && _text[p] == '=')
        {
            p++;
        }

        while (p < _text.Length && _text[p] is ' ' or '\t')
        {
            p++;
        }

        return p == _text.Length || _text[p] == ',';
    }

    /// <summary>Consumes '=' and the value (quoted string with backslash escapes, or token up to a comma).</summary>
    public string ReadValue()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t')
        {
            _position++;
        }

        if (_position < _text.Length && _text[_position] == '=')
        {
            _position++;
        }

        while (_position < _text.Length && _text[_position] is ' ' or '\t')
        {
            _position++;
        }

        if (_position < _text.Length && _text[_position] == '"')
        {
            _position++;
            var value = new StringBuilder();
            while (_position < _text.Length && _text[_position] != '"')
            {
                if (_text[_position] == '\\' && _position + 1 < _text.Length)
                {
                    _position++;
                }

                value.Append(_text[_position]);
                _position++;
            }

            _position++; // closing quote; a missing one simply ends the value
            return value.ToString();
        }

        var start = _position;
        while (_position < _text.Length && _text[_position] != ',')
        {
            _position++;
        }

        return _text[start.._position].TrimEnd(" \t").ToString();
    }

    /// <summary>Reads a token68 (Basic credentials): everything up to a comma or whitespace.</summary>
    public string ReadToken68()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t')
        {
            _position++;
        }

        var start = _position;
        while (_position < _text.Length && _text[_position] is not (' ' or '\t' or ','))
        {
            _position++;
        }

        return _text[start.._position].ToString();
    }

    // "abc==" is a token68 with padding, not a parameter named "abc" with an empty value.
    private static bool IsToken68Padding(AuthParameterReader afterToken)
    {
        var p = afterToken._position;
        while (p < afterToken._text.Length && afterToken._text[p] is ' ' or '\t')
        {
            p++;
        }

        return p + 1 < afterToken._text.Length && afterToken._text[p] == '=' && afterToken._text[p + 1] == '=';
    }
}
