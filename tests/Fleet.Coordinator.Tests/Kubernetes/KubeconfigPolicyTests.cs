using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>Finding 5: a kubeconfig that would run a command or read another file is refused before KubernetesClient sees it.</summary>
public sealed class KubeconfigPolicyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Marker => _dir.Combine("marker");

    private static string Config(string user, string cluster = "certificate-authority-data: Zm9v") => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster:
            server: https://127.0.0.1:6443
            {cluster}
        contexts:
        - name: ctx
          context: {"{"} cluster: c, user: evil {"}"}
        current-context: ctx
        users:
        - name: fine
          user: {"{"} token: abc {"}"}
        - name: evil
          user:
        {user}
        """;

    /// <summary>A program that leaves the marker behind and prints an ExecCredential, as a credential plugin would.</summary>
    private string Evil
    {
        get
        {
            var path = _dir.Combine("evil.sh");
            File.WriteAllText(path, $"#!/bin/sh\ntouch '{Marker}'\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"t\"}}}}'\n");
            File.SetUnixFileMode(path, (UnixFileMode)0b111_000_000);
            return path;
        }
    }

    private string Exec => $"""
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: {Evil}
              interactiveMode: Never

        """;

    private string AuthProvider => $"""
            auth-provider:
              name: gcp
              config:
                cmd-path: {Evil}
                token-key: '{"{"}.token{"}"}'
        """;

    [Fact]
    public void KubernetesClientAlone_RunsAnExecCommandWhileLoading_TheControlForTheTestsBelow()
    {
        // Not Parse: this is what the coordinator did before the policy, shown so the tests below prove something.
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Config(Exec)));
        var raw = k8s.KubernetesClientConfiguration.LoadKubeConfig(stream);
        try
        {
            k8s.KubernetesClientConfiguration.BuildConfigFromConfigObject(raw);
        }
        catch (k8s.Exceptions.KubeConfigException)
        {
            // Whether or not it liked the credential it printed, it ran the command.
        }

        Assert.True(File.Exists(Marker), "KubernetesClient runs exec commands while it loads a kubeconfig: the refusal below is what keeps them from running");
    }

    [Fact]
    public void AnExecUser_IsRefusedNamingTheUserEntry_AndTheCommandNeverRuns()
    {
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse(Config(Exec), "the kubeconfig"));
        Assert.StartsWith("the kubeconfig is refused: user \"evil\" (users[1]) has exec: Fleet never runs a command from a kubeconfig; ", ex.Message);
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public void AnAuthProviderUser_IsRefusedNamingTheUserEntry_AndItsCommandNeverRuns()
    {
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse(Config(AuthProvider), "the kubeconfig"));
        Assert.StartsWith("the kubeconfig is refused: user \"evil\" (users[1]) has auth-provider: Fleet never runs a credential plugin", ex.Message);
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public void AStoredKubeconfigFile_WithExec_IsRefusedWhenLoaded_AndNeverRuns()
    {
        var path = _dir.Combine("kubeconfig");
        File.WriteAllText(path, Config(Exec));
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Load(path));
        Assert.StartsWith($"kubeconfig {path} is refused: user \"evil\" (users[1]) has exec", ex.Message);
        Assert.False(File.Exists(Marker));
    }

    [Theory]
    [InlineData("    tokenFile: /etc/shadow", "user \"evil\" (users[1]) has tokenFile: Fleet reads no file a kubeconfig names")]
    [InlineData("    client-certificate: /var/lib/fleet-coordinator/ca.crt\n    client-key: /var/lib/fleet-coordinator/ca.key", "user \"evil\" (users[1]) has client-certificate: Fleet reads no file a kubeconfig names")]
    [InlineData("    Exec: { command: /bin/true }", "user \"evil\" (users[1]) has \"Exec\", which Fleet does not accept")]
    [InlineData("    <<: { exec: { command: /bin/true } }", "user \"evil\" (users[1]) has a YAML merge key (<<)")]
    [InlineData("    username: u\n    password: p\n    impersonate-me: x", "user \"evil\" (users[1]) has \"impersonate-me\", which Fleet does not accept (allowed: as, as-groups,")]
    public void FilesAndUnknownUserKeys_AreRefusedNamingTheEntry(string user, string expected)
    {
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse(Config(user), "the kubeconfig"));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void ACertificateAuthorityPath_IsRefusedNamingTheClusterEntry()
    {
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse(Config("    token: t", "certificate-authority: /etc/ssl/private/key.pem"), "the kubeconfig"));
        Assert.Contains("cluster \"c\" (clusters[0]) has certificate-authority: Fleet reads no file a kubeconfig names", ex.Message);
    }

    [Fact]
    public void EveryProblem_IsListedAtOnce()
    {
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse(Config(Exec + "    tokenFile: /x", "certificate-authority: /y"), "the kubeconfig"));
        Assert.Contains("has exec", ex.Message);
        Assert.Contains("has tokenFile", ex.Message);
        Assert.Contains("has certificate-authority", ex.Message);
        Assert.False(File.Exists(Marker));
    }

    [Theory]
    [InlineData("users: {}\n", "users is not a list")]
    [InlineData("users:\n- just-a-string\n", "users[0] is not a mapping")]
    [InlineData("users:\n- name: x\n  user: [1]\n", "user \"x\" (users[0]): user is not a mapping")]
    [InlineData("users:\n- name: x\n  exec: {command: /bin/true}\n", "user \"x\" (users[0]) has exec: Fleet never runs a command from a kubeconfig; give it inline credentials (token, or client-certificate-data and client-key-data; certificate-authority-data): kubectl config view --flatten --minify")]
    [InlineData("users:\n- name: x\n  nickname: y\n", "user \"x\" (users[0]) has \"nickname\", which Fleet does not accept (allowed: name, user)")]
    [InlineData("- a\n", "it is not a YAML mapping")]
    [InlineData("clusters:\n- name: c\n  cluster: { server: \"http://10.0.0.1:6443\" }\n", "cluster \"c\" (clusters[0]): server http://10.0.0.1:6443 is not an https:// URL")]
    [InlineData("clusters:\n- name: c\n  cluster: { server: \"hcommandttps://10.0.0.1:6443\" }\n", "cluster \"c\" (clusters[0]): server hcommandttps://10.0.0.1:6443 is not an https:// URL")]
    [InlineData("a: 1\n---\nb: 2\n", "it holds 2 YAML documents; a kubeconfig is one")]
    public void MisshapenKubeconfigs_AreRefusedWithTheirShape(string yaml, string expected)
    {
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse(yaml, "the kubeconfig"));
        Assert.Equal($"the kubeconfig is refused: {expected}", ex.Message);
    }

    [Fact]
    public void YamlThatYamlDotNetsScannerThrowsInvalidOperationOn_IsNotUsable_FoundByTheMutationRun()
    {
        var ex = Assert.Throws<KubernetesActionException>(() => KubeconfigProvider.Parse("  user: { username: admin, password: secret ^\napiVersion: v1\nkind: Config\n", "the kubeconfig"));
        Assert.StartsWith("the kubeconfig is not usable: ", ex.Message);
    }

    [Fact]
    public async Task AKubeconfigWithInlineCredentials_AsKubectlFlattensIt_IsAccepted()
    {
        await using var api = await FakeKubeApiServer.StartAsync(_dir.Combine("api"));
        var config = KubeconfigProvider.Parse(await File.ReadAllTextAsync(api.KubeconfigPath), "the kubeconfig");
        Assert.Equal(api.Url.ToString().TrimEnd('/'), config.Host.TrimEnd('/'));
        Assert.Equal(api.Token, config.AccessToken);
    }
}
