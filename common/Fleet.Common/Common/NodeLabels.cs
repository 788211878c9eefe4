namespace Fleet;

/// <summary>
/// Node labels, validated as Kubernetes validates labels, in one place for the agent (its settings), the
/// coordinator (a Hello's facts, join tokens, plan targets) and fleetctl (--label, -l). A key is an
/// optional prefix (a DNS subdomain, at most 253 characters) and '/', then a name of at most 63
/// characters; a value is at most 63 characters and may be empty. Names and values are letters,
/// digits, '-', '_' and '.', starting and ending with a letter or digit.
/// </summary>
public static class NodeLabels
{
    /// <summary>At most this many labels in an agent's settings or Hello, on a join token, in a selector or a plan target (a node holds at most twice this: its own and its token's).</summary>
    public const int MaxCount = 64;

    public const int MaxNameLength = 63;
    public const int MaxPrefixLength = 253;
    public const int MaxValueLength = 63;

    public const string KeyRule = "a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, optionally after a DNS subdomain prefix of at most 253 characters and '/' (e.g. role, fleet.io/zone)";
    public const string ValueRule = "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty";

    /// <summary>What is wrong with a label key, or null when it is valid.</summary>
    public static string? KeyProblem(string key)
    {
        if (key.Length == 0)
        {
            return "the label key is empty";
        }

        var slash = key.IndexOf('/');
        var (prefix, name) = slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
        var ok = (prefix is null || IsDnsSubdomain(prefix)) && IsName(name, MaxNameLength);
        return ok ? null : $"the label key {Quote(key)} is not valid ({KeyRule})";
    }

    /// <summary>What is wrong with a label value, or null when it is valid.</summary>
    public static string? ValueProblem(string key, string value) =>
        value.Length == 0 || IsName(value, MaxValueLength) ? null : $"the value {Quote(value)} of label {Quote(key)} is not valid ({ValueRule})";

    /// <summary>Every problem of a set of labels (each key, each value, the count), each prefixed with <paramref name="where"/>; empty when they are valid.</summary>
    public static List<string> Problems(IEnumerable<KeyValuePair<string, string>> labels, string where)
    {
        var problems = new List<string>();
        var count = 0;
        foreach (var (key, value) in labels)
        {
            count++;
            if (KeyProblem(key) is { } k)
            {
                problems.Add($"{where}: {k}");
            }
            else if (ValueProblem(key, value) is { } v)
            {
                problems.Add($"{where}: {v}");
            }
        }

        if (count > MaxCount)
        {
            problems.Add($"{where}: {count} labels, at most {MaxCount}");
        }

        return problems;
    }

    /// <summary>
    /// Parses comma-separated <c>key=value</c> pairs (a selector, or labels to give): each pair valid,
    /// each key once. <paramref name="problem"/> names the first problem; null when the text is valid.
    /// </summary>
    public static Dictionary<string, string> Parse(IEnumerable<string> texts, out string? problem)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        problem = null;
        foreach (var pair in texts.SelectMany(t => t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length != 2)
            {
                problem = $"{Quote(pair)} is not key=value";
                return labels;
            }

            if ((KeyProblem(kv[0]) ?? ValueProblem(kv[0], kv[1])) is { } p)
            {
                problem = p;
                return labels;
            }

            if (!labels.TryAdd(kv[0], kv[1]))
            {
                problem = $"the label key {Quote(kv[0])} is given twice ({Quote(labels[kv[0]])} and {Quote(kv[1])}); give each key once";
                return labels;
            }
        }

        if (labels.Count > MaxCount)
        {
            problem = $"{labels.Count} labels, at most {MaxCount}";
        }

        return labels;
    }

    /// <summary>True when the node's labels hold every key of the selector with the same value (kubectl -l equality).</summary>
    public static bool Matches(IReadOnlyDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);

    /// <summary>
    /// A node's labels: the agent's own, then its join token's on top (the operator's word at the
    /// coordinator wins a conflict: a node cannot relabel itself out of what its token gave it).
    /// </summary>
    public static Dictionary<string, string> Merge(IEnumerable<KeyValuePair<string, string>> own, IEnumerable<KeyValuePair<string, string>> token)
    {
        var merged = new Dictionary<string, string>(own, StringComparer.Ordinal);
        foreach (var (key, value) in token)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static bool IsName(string s, int max) =>
        s.Length is > 0 && s.Length <= max
        && char.IsAsciiLetterOrDigit(s[0]) && char.IsAsciiLetterOrDigit(s[^1])
        && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>An RFC 1123 subdomain as Kubernetes checks it: at most 253 characters, dot-separated parts of lowercase letters, digits and inner '-'.</summary>
    private static bool IsDnsSubdomain(string s) =>
        s.Length is > 0 and <= MaxPrefixLength
        && s.Split('.').All(part => part.Length > 0
            && IsLowerAlphanumeric(part[0]) && IsLowerAlphanumeric(part[^1])
            && part.All(c => IsLowerAlphanumeric(c) || c == '-'));

    private static bool IsLowerAlphanumeric(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);

    /// <summary>
    /// A label as it was given, quoted for a message: control characters escaped (a hostile label cannot
    /// forge a log line), cut at 80 characters (an oversized one cannot flood a message).
    /// </summary>
    private static string Quote(string s)
    {
        var cut = s.Length <= 80 ? s : s[..80];
        var escaped = string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return s.Length <= 80 ? $"\"{escaped}\"" : $"\"{escaped}…\" ({s.Length} characters)";
    }
}
