namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>
/// What Fleet checks of a PromQL query at plan time (Prometheus itself parses it at run time, and a query it
/// refuses fails the gate, never passes it): not empty, at most <see cref="MaxLength"/> characters, no control
/// characters outside strings, every string closed ("...", '...' with backslash escapes; `...` raw), and the
/// brackets ( ) [ ] { } outside strings balanced and properly nested.
/// </summary>
public static class PromQlText
{
    public const int MaxLength = 4096;

    public static string? Problem(string? query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return "missing (a PromQL query whose series mean \"unhealthy\", e.g. up{job=\"node\"} == 0)";
        }

        if (query.Length > MaxLength)
        {
            return $"longer than {MaxLength} characters";
        }

        var open = new Stack<(char Bracket, int At)>();
        for (var i = 0; i < query.Length; i++)
        {
            var c = query[i];
            if (c is '"' or '\'' or '`')
            {
                var end = StringEnd(query, i);
                if (end < 0)
                {
                    return $"the string opened with {c} at character {i + 1} is not closed";
                }

                i = end;
                continue;
            }

            if (char.IsControl(c) && c is not ('\n' or '\t' or '\r'))
            {
                return $"control character U+{(int)c:X4} at character {i + 1}";
            }

            if (c is '(' or '[' or '{')
            {
                open.Push((c, i));
            }
            else if (c is ')' or ']' or '}')
            {
                var expected = c switch { ')' => '(', ']' => '[', _ => '{' };
                if (open.Count == 0)
                {
                    return $"{c} at character {i + 1} closes nothing";
                }

                var (bracket, at) = open.Pop();
                if (bracket != expected)
                {
                    return $"{c} at character {i + 1} does not close the {bracket} at character {at + 1}";
                }
            }
        }

        return open.Count > 0 ? $"the {open.Peek().Bracket} at character {open.Peek().At + 1} is not closed" : null;
    }

    /// <summary>The index of the quote that closes the string opened at <paramref name="start"/>, or -1.</summary>
    private static int StringEnd(string q, int start)
    {
        var quote = q[start];
        for (var i = start + 1; i < q.Length; i++)
        {
            if (quote != '`' && q[i] == '\\')
            {
                i++; // an escaped character, the quote included
                continue;
            }

            if (quote != '`' && q[i] == '\n')
            {
                return -1; // "..." and '...' end on their line
            }

            if (q[i] == quote)
            {
                return i;
            }
        }

        return -1;
    }
}
