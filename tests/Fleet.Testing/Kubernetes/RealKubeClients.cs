using System.Runtime.InteropServices;

namespace Fleet.Testing.Kubernetes;

/// <summary>
/// Clients of the Kubernetes API that nobody here wrote, run as real processes against <see cref="FakeKubeApiServer"/>:
/// Debian's kubectl (package kubernetes-client, 1.20.2; tests/install-deps.sh has it unpacked under
/// .cache/artifacts/kubectl/ARCH/) and Debian's official Python client (python3-kubernetes, run by /usr/bin/python3,
/// the interpreter the package installs into). Every run is bounded; its output goes into the failure message.
/// </summary>
public static class RealKubeClients
{
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Debian's kubectl for this machine's architecture (FLEET_TEST_KUBECTL overrides it).</summary>
    public static string KubectlPath =>
        Environment.GetEnvironmentVariable("FLEET_TEST_KUBECTL") is { Length: > 0 } path
            ? path
            : Path.Join(Repo.Root, ".cache", "artifacts", "kubectl", GoArch, "kubectl");

    public const string PythonPath = "/usr/bin/python3";

    private static string GoArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        var other => throw new PlatformNotSupportedException($"no Debian kubectl fixture for {other}"),
    };

    /// <summary>kubectl ARGS against the double, with its own discovery cache and no KUBECONFIG from outside.</summary>
    public static Task<ProcessOutput> KubectlAsync(FakeKubeApiServer api, string kubeconfig, TimeSpan timeout, params string[] args)
    {
        if (!File.Exists(KubectlPath))
        {
            throw new InvalidOperationException($"Debian's kubectl is not at {KubectlPath}: run tests/install-deps.sh (as root) first");
        }

        string[] all = ["--kubeconfig", kubeconfig, "--cache-dir", Path.Join(api.Directory, "kubectl-cache"), .. args];
        return ProcessRun.RunAsync(KubectlPath, all, timeout, new Dictionary<string, string> { ["HOME"] = api.Directory }, "KUBECONFIG", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy");
    }

    public static Task<ProcessOutput> KubectlAsync(FakeKubeApiServer api, params string[] args) => KubectlAsync(api, api.KubeconfigPath, RunTimeout, args);

    /// <summary>Runs a Python script with the official client importable; the script gets the kubeconfig path as argv[1].</summary>
    public static Task<ProcessOutput> PythonAsync(string kubeconfig, string script, params string[] args)
    {
        if (!File.Exists(PythonPath))
        {
            throw new InvalidOperationException($"{PythonPath} is missing: run tests/install-deps.sh (as root) first");
        }

        return ProcessRun.RunAsync(PythonPath, ["-c", script, kubeconfig, .. args], RunTimeout, null, "KUBECONFIG", "PYTHONPATH", "PYTHONHOME", "HTTPS_PROXY", "https_proxy");
    }

    /// <summary>What a failed assertion shows: the command's exit code and both streams.</summary>
    public static string Describe(ProcessOutput run) => $"exit {run.Code}\n--- stdout ---\n{run.Stdout}\n--- stderr ---\n{run.Stderr}";
}
