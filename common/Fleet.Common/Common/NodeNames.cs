namespace Fleet;

/// <summary>Node names as Kubernetes accepts them: lowercase letters, digits, '-' and '.', at most 63, alphanumeric at both ends.</summary>
public static class NodeNames
{
    public const string Rule = "lowercase letters, digits, '-' and '.', at most 63, starting and ending with a letter or digit";

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 63
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);

    /// <summary>What is wrong with a name, or null when it is a valid node name.</summary>
    public static string? Problem(string name) =>
        string.IsNullOrWhiteSpace(name) ? "missing"
        : IsValid(name) ? null
        : $"\"{name}\" is not a valid node name ({Rule})";
}
