namespace Fleet;

/// <summary>
/// A path on a node that Fleet writes to (a download's destination, the CNI plugin folder): absolute
/// and without a ".." segment. One rule for rollout plans and `fleetctl run`.
/// </summary>
public static class NodePath
{
    /// <summary>The problem with <paramref name="value"/>, or null when it is such a path.</summary>
    public static string? Problem(string value) =>
        value.StartsWith('/') && !value.Split('/').Contains("..") ? null : $"\"{value}\" must be an absolute path without \"..\"";
}
