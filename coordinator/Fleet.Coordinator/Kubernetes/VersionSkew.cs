namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// Kubernetes' version-skew policy for kubelets: never newer than the API server, and at most three minor
/// versions older (two before v1.28).
/// </summary>
public static class VersionSkew
{
    /// <summary>Null when the kubelet is within the policy; else the problem.</summary>
    public static string? Problem(string serverVersion, string kubeletVersion)
    {
        if (!TryParse(serverVersion, out var server))
        {
            return $"the API server's version \"{serverVersion}\" cannot be read";
        }

        if (!TryParse(kubeletVersion, out var kubelet))
        {
            return $"kubelet version \"{kubeletVersion}\" cannot be read";
        }

        if (kubelet.Major != server.Major)
        {
            return $"kubelet {kubeletVersion} has another major version than the API server {serverVersion}";
        }

        if (kubelet.Minor > server.Minor)
        {
            return $"kubelet {kubeletVersion} is newer than the API server {serverVersion} (a kubelet must not be newer)";
        }

        var allowed = server.Minor >= 28 ? 3 : 2;
        return server.Minor - kubelet.Minor > allowed
            ? $"kubelet {kubeletVersion} is {server.Minor - kubelet.Minor} minor versions older than the API server {serverVersion} (at most {allowed} allowed)"
            : null;
    }

    /// <summary>"v1.28.3", "1.28", "v1.28.3+k3s1" → (1, 28).</summary>
    public static bool TryParse(string version, out (int Major, int Minor) parsed)
    {
        parsed = default;
        var parts = version.TrimStart('v').Split('.', '-', '+');
        if (parts.Length < 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor))
        {
            return false;
        }

        parsed = (major, minor);
        return true;
    }
}
