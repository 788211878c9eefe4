namespace Fleet.Agent.Hosting;

/// <summary>
/// The environment a program the agent runs (kubeadm, systemctl) gets: only what a program needs to
/// run as root on a node, never the agent's own. The agent's environment can hold secrets
/// (FLEET_TOKEN, anything a unit's Environment= sets), and a child's environment is readable in
/// /proc/PID/environ by whoever can read that process. An allowlist, not a denylist: a secret under
/// a name nobody thought of is not passed on either.
/// </summary>
public static class ChildEnvironment
{
    /// <summary>Variables passed on by name. The proxy variables are kept on purpose: kubeadm reaches
    /// the API server and image registries through them where a site needs a proxy.</summary>
    public static readonly IReadOnlySet<string> Passed = new HashSet<string>(StringComparer.Ordinal)
    {
        "PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "USER", "LOGNAME",
        "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    };

    public static bool IsPassed(string name) => Passed.Contains(name) || name.StartsWith("LC_", StringComparison.Ordinal);

    /// <summary>Removes every variable that is not passed on from a process's start environment.</summary>
    public static void Scrub(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.Where(n => !IsPassed(n)).ToArray())
        {
            environment.Remove(name);
        }
    }
}
