namespace Fleet.Testing;

/// <summary>
/// The kubeadm and systemctl test doubles of tests/doubles (their interface is its README), for one
/// node: a FLEET_DOUBLE_DIR of its own, and wrapper scripts that set FLEET_DOUBLE_DIR and
/// FLEET_DOUBLE_ROOT and exec the double. An agent process can instead inherit the variables; agents
/// in one test process share one environment, so each gets its wrappers as its kubeadm and systemctl
/// paths (AgentOptions.KubeadmPath, SystemctlPath).
/// </summary>
public sealed class TestDoubles
{
    /// <param name="folder">Where the calls folder and the wrappers go; created when missing.</param>
    /// <param name="root">The node's --root, where a successful `kubeadm join` leaves etc/kubernetes/kubelet.conf.</param>
    public TestDoubles(string folder, string root)
    {
        Dir = Path.Join(folder, "calls");
        Directory.CreateDirectory(Dir);
        Kubeadm = Wrap(folder, "kubeadm", root);
        Systemctl = Wrap(folder, "systemctl", root);
    }

    /// <summary>FLEET_DOUBLE_DIR: the calls files and what the test tells the doubles.</summary>
    public string Dir { get; }

    /// <summary>A kubeadm path for the agent: the double, with this node's variables.</summary>
    public string Kubeadm { get; }

    /// <summary>A systemctl path for the agent: the double, with this node's variables.</summary>
    public string Systemctl { get; }

    /// <summary>The double itself (kubeadm or systemctl) in tests/doubles.</summary>
    public static string PathOf(string name) => Path.Join(Repo.Root, "tests", "doubles", name);

    /// <summary>The argument lines the double recorded, one per run; empty when it never ran.</summary>
    public string[] Calls(string name) => File.Exists(FileOf(name, "calls")) ? File.ReadAllLines(FileOf(name, "calls")) : [];

    /// <summary>The JoinConfiguration the latest `kubeadm join --config FILE` was given (the double keeps a copy); null when none ran.</summary>
    public string? JoinConfig() => File.Exists(FileOf("kubeadm", "join-config")) ? File.ReadAllText(FileOf("kubeadm", "join-config")) : null;

    /// <summary>Makes the double print <paramref name="stderr"/> and exit with <paramref name="exit"/> from now on.</summary>
    public void Fail(string name, int exit, string? stderr = null)
    {
        File.WriteAllText(FileOf(name, "exit"), $"{exit}\n");
        if (stderr is not null)
        {
            File.WriteAllText(FileOf(name, "stderr"), stderr);
        }
    }

    /// <summary>Makes the double succeed again.</summary>
    public void Succeed(string name)
    {
        File.Delete(FileOf(name, "exit"));
        File.Delete(FileOf(name, "stderr"));
    }

    /// <summary>Makes the double sleep this long (after recording its call) from now on.</summary>
    public void Sleep(string name, int seconds) => File.WriteAllText(FileOf(name, "sleep"), $"{seconds}\n");

    /// <summary>The pid of the double's latest run, once it has started.</summary>
    public int? Pid(string name) =>
        File.Exists(FileOf(name, "pid")) && int.TryParse(File.ReadAllText(FileOf(name, "pid")).Trim(), out var pid) ? pid : null;

    private string FileOf(string name, string kind) => Path.Join(Dir, $"{name}.{kind}");

    private string Wrap(string folder, string name, string root)
    {
        var wrapper = Path.Join(folder, name);
        File.WriteAllText(wrapper, $"#!/bin/sh\nFLEET_DOUBLE_DIR={Quote(Dir)} FLEET_DOUBLE_ROOT={Quote(root)} exec {Quote(PathOf(name))} \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);
        return wrapper;
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
