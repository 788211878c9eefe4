namespace Fleet.Coordinator.Kubernetes;

/// <summary>The labels and annotations Fleet reads or writes on Kubernetes nodes.</summary>
public static class KubeLabels
{
    /// <summary>Set (value "fleet") on every node Fleet cordons; Fleet uncordons only nodes that carry it, and removes it then.</summary>
    public const string CordonedBy = "fleet.io/cordoned-by";

    public const string CordonedByValue = "fleet";

    /// <summary>The board model the agent reports (e.g. Raspberry-Pi-4-Model-B-Rev-1.4), applied by Fleet.</summary>
    public const string Board = "fleet.io/board";

    /// <summary>Set by the kubelet; Fleet compares it with the agent's arch and never writes it.</summary>
    public const string Arch = "kubernetes.io/arch";

    public const string BetaArch = "beta.kubernetes.io/arch";

    public const string ControlPlane = "node-role.kubernetes.io/control-plane";

    public const string Master = "node-role.kubernetes.io/master";

    /// <summary>Present on mirror pods (static pods the kubelet reflects into the API): the API cannot evict them.</summary>
    public const string MirrorPod = "kubernetes.io/config.mirror";

    /// <summary>A node's label, or "" when it has none.</summary>
    public static string LabelOf(k8s.Models.V1Node node, string key) =>
        node.Metadata?.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : "";

    /// <summary>
    /// A label value from free text: at most 63 characters, alphanumerics with '-', '_' or '.' inside,
    /// starting and ending alphanumeric. Other characters become '-', runs of '-' collapse. Empty when nothing is left.
    /// </summary>
    public static string SanitizeValue(string text)
    {
        var chars = new System.Text.StringBuilder(text.Length);
        foreach (var c in text.Trim())
        {
            var keep = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
            var next = keep ? c : '-';
            if (next == '-' && chars.Length > 0 && chars[^1] == '-')
            {
                continue;
            }

            chars.Append(next);
        }

        var value = chars.ToString();
        if (value.Length > 63)
        {
            value = value[..63];
        }

        return value.Trim('-', '_', '.');
    }
}
