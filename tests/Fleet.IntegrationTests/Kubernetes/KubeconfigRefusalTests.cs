using System.Diagnostics;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Kubernetes;

/// <summary>
/// Finding 5, end to end: `fleetctl cluster set` and `fleet-coordinator --kubeconfig` with a kubeconfig whose user
/// runs a command. The command would leave a marker file; it never appears, nothing is stored, and the refusal
/// names the user entry.
/// </summary>
public sealed class KubeconfigRefusalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Marker => _dir.Combine("marker");

    private string WriteKubeconfig()
    {
        var evil = _dir.Combine("evil.sh");
        File.WriteAllText(evil, $"#!/bin/sh\ntouch '{Marker}'\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"t\"}}}}'\n");
        File.SetUnixFileMode(evil, (UnixFileMode)0b111_000_000);
        var path = _dir.Combine("exec.kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {"{"} server: "https://127.0.0.1:6443", certificate-authority-data: Zm9v {"}"}
            contexts:
            - name: ctx
              context: {"{"} cluster: c, user: ci-robot {"}"}
            current-context: ctx
            users:
            - name: ci-robot
              user:
                exec: {"{"} apiVersion: client.authentication.k8s.io/v1, command: "{evil}", interactiveMode: Never {"}"}
            """);
        return path;
    }

    [Fact]
    public async Task ClusterSet_WithAnExecUser_IsRefusedNamingIt_StoresNothing_AndTheCommandNeverRuns()
    {
        var kubeconfig = WriteKubeconfig();
        await using var coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Combine("c")));
        var result = await Fleetctl.RunAsync("cluster", "set", "--kubeconfig", kubeconfig, "--socket", coordinator.Socket);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("fleetctl: the kubeconfig is refused: user \"ci-robot\" (users[0]) has exec: Fleet never runs a command from a kubeconfig; ", result.Stderr);
        Assert.False(File.Exists(Path.Join(coordinator.Options.DataDir, "kubeconfig")));
        Assert.False(File.Exists(Marker));

        // And the coordinator goes on without a cluster, saying so.
        var status = await Fleetctl.RunAsync("cluster", "status", "--socket", coordinator.Socket);
        Assert.Equal(1, status.ExitCode);
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public async Task TheCoordinatorProcess_WithAnExecKubeconfigFlag_RefusesToStartNamingTheUser_AndTheCommandNeverRuns()
    {
        var kubeconfig = WriteKubeconfig();
        var binary = Repo.BuildOutput("coordinator/Fleet.Coordinator", "fleet-coordinator");
        var run = await ProcessRun.RunAsync(binary, ["--kubeconfig", kubeconfig, "--data-dir", _dir.Combine("data"), "--socket", _dir.Combine("c.sock"), "--listen", $"127.0.0.1:{FreePort.Next()}", "--metrics-listen", "off"]);
        Assert.Equal(2, run.Code);
        Assert.StartsWith($"fleet-coordinator: --kubeconfig: kubeconfig {kubeconfig} is refused: user \"ci-robot\" (users[0]) has exec", run.Stderr);
        Assert.False(File.Exists(Marker));
    }
}
