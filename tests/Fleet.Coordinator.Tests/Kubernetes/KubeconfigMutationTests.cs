using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Mutation;
using Xunit.Abstractions;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>
/// Bounded random-mutation run of the kubeconfig loader (<see cref="KubeconfigProvider.Parse"/>): every mutated
/// kubeconfig is refused with <see cref="KubernetesActionException"/>, or accepted only when it names an https
/// API server; and whatever the mutation, the exec command in the seeds (it leaves a marker file) never runs.
/// </summary>
public sealed class KubeconfigMutationTests(ITestOutputHelper output) : IDisposable
{
    private const int PerSeed = 500;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] Inputs(string evil) =>
    [
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: https://127.0.0.1:6443
            certificate-authority-data: Zm9v
        contexts:
        - name: fleet@fake
          context:
            cluster: fake
            user: fleet
        current-context: fleet@fake
        preferences: {}
        users:
        - name: fleet
          user:
            token: 0123456789abcdef
        """,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: { server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true, tls-server-name: api.internal }
        contexts:
        - name: ctx
          context: { cluster: c, user: admin, namespace: kube-system }
        current-context: ctx
        users:
        - name: admin
          user: { username: admin, password: secret }
        """,
        $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {"{"} server: "https://127.0.0.1:6443" {"}"}
        contexts:
        - name: ctx
          context: {"{"} cluster: c, user: robot {"}"}
        current-context: ctx
        users:
        - name: robot
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: {evil}
              interactiveMode: Never
        - name: gcp
          user:
            auth-provider: {"{"} name: gcp, config: {"{"} cmd-path: {evil} {"}"} {"}"}
        """,
    ];

    [Fact]
    public async Task MutationRun_EveryMutatedKubeconfig_IsRefusedOrNamesAnApiServer_AndNoCommandEverRuns()
    {
        var marker = _dir.Combine("marker");
        var evil = _dir.Combine("evil.sh");
        File.WriteAllText(evil, $"#!/bin/sh\ntouch '{marker}'\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"t\"}}}}'\n");
        File.SetUnixFileMode(evil, (UnixFileMode)0b111_000_000);
        var inputs = Inputs(evil);
        KubeconfigProvider.Parse(inputs[0], "seed");
        KubeconfigProvider.Parse(inputs[1], "seed");
        Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse(inputs[2], "seed"));

        var run = new MutationRun("kubeconfig loader");
        await run.DriveAsync(PerSeed, (m, i) =>
        {
            var input = m.Text(inputs[m.Random.Next(inputs.Length)]);
            try
            {
                var config = KubeconfigProvider.Parse(input, "the kubeconfig");
                if (!Uri.TryCreate(config.Host, UriKind.Absolute, out var server) || server.Scheme != "https")
                {
                    run.Fail(m.Seed, i, $"accepted, but its API server is \"{config.Host}\"", input);
                }
                else
                {
                    run.Accept();
                }
            }
            catch (KubernetesActionException ex) when (ex.Message.StartsWith("the kubeconfig is ", StringComparison.Ordinal))
            {
                run.Refuse();
            }
            catch (Exception ex)
            {
                run.Fail(m.Seed, i, $"threw {ex.GetType().Name}: {ex.Message} {string.Join(" < ", (ex.StackTrace ?? "").Split('\n').Take(4).Select(l => l.Trim()))}", input);
            }

            if (File.Exists(marker))
            {
                run.Fail(m.Seed, i, "the exec command ran", input);
                File.Delete(marker);
            }

            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(180));

        output.WriteLine(run.Summary);
        Assert.True(run.Failures.Count == 0, run.Report);
    }
}
