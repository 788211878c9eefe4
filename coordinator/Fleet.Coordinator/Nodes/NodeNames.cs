namespace Fleet.Coordinator.Nodes;

/// <summary>Node names follow Kubernetes node names: lowercase letters, digits, '-' and '.', at most 63.</summary>
public static class NodeNames
{
    /// <summary>What is wrong with a name, or null when it is a valid node name.</summary>
    public static string? Problem(string name) =>
        string.IsNullOrWhiteSpace(name) ? "missing"
        : name.Length > 63 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            || !char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1])
            ? $"\"{name}\" is not a valid node name (lowercase letters, digits, '-' and '.', at most 63, as Kubernetes node names)"
            : null;
}
