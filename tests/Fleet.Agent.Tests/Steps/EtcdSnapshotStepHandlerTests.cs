using System.Security.Cryptography;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.Testing.Etcd;
using Fleet.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// EtcdSnapshot with the real etcdctl against a real etcd (TLS, client certificates) started by the test: the
/// snapshot, its sha256 and their names, a restore that reads the keys back, keep; and every way it must fail
/// without leaving anything in the snapshot folder. etcdctl is run through a small wrapper that records each call
/// (and, where a test says so, fails `snapshot status`), so "nothing ran" is a fact the test reads.
/// </summary>
public sealed class EtcdSnapshotStepHandlerTests : IAsyncLifetime
{
    private const string CertDir = "/etc/kubernetes/pki/etcd";
    private const string Dir = "/var/lib/fleet-agent/etcd-snapshots";
    private readonly DoubleHarness _h = new();
    private readonly TempDir _tmp = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EtcdPki _pki = null!;
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync()
    {
        _pki = EtcdPki.Create(_tmp.Combine("pki"));
        _pki.WriteClientSet(_h.Root.Resolve(CertDir));
        _etcd = await EtcdServer.StartAsync(_pki);
        _h.Options.EtcdctlPath = Wrapper("");
    }

    public async Task DisposeAsync()
    {
        await _etcd.DisposeAsync();
        _pki.Dispose();
        _h.Dispose();
        _tmp.Dispose();
    }

    private string CallsFile => _tmp.Combine("etcdctl.calls");

    private string[] Calls => File.Exists(CallsFile) ? File.ReadAllLines(CallsFile) : [];

    /// <summary>A wrapper that records its arguments, runs <paramref name="before"/> (shell), then the real etcdctl.</summary>
    private string Wrapper(string before)
    {
        var path = _tmp.Combine($"etcdctl-{Guid.NewGuid():N}");
        File.WriteAllText(path, $"#!/bin/sh\necho \"$*\" >> '{CallsFile}'\n{before}\nexec {EtcdServer.Etcdctl} \"$@\"\n");
        File.SetUnixFileMode(path, FixtureRoot.Executable);
        return path;
    }

    private EtcdSnapshotStepHandler Handler() =>
        new(_h.Process(), _h.Root.Paths(_h.Options), new LeftoverFiles(_h.Root.Paths(_h.Options), _h.LoggerFactory.CreateLogger<LeftoverFiles>()), _h.Options, _time);

    /// <summary>Through the step runner, as the agent runs it: a refusal is a failed result with its reason.</summary>
    private Task<StepResult> Run(EtcdSnapshotStep step, string rolloutId = "r7") =>
        _h.Runner(Handler()).Start(new StepRequest { Id = $"etcd-{Guid.NewGuid():N}", RolloutId = rolloutId, EtcdSnapshot = step }, CancellationToken.None).DefaultTimeout();

    private EtcdSnapshotStep Step(int keep = 0) => new() { Endpoint = _etcd.Endpoint, Keep = keep };

    private string[] Listing() => Directory.Exists(_h.Root.Resolve(Dir))
        ? Directory.GetFileSystemEntries(_h.Root.Resolve(Dir)).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray()
        : [];

    [Fact]
    public async Task Snapshot_OfARealEtcd_IsSavedWithItsSha256_AndRestoresTheKeys()
    {
        await _etcd.PutAsync("/registry/fleet/a", "alpha");
        await _etcd.PutAsync("/registry/fleet/b", "beta");

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        var name = $"etcd-snapshot-{_time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-r7.db";
        Assert.Equal([name, name + ".sha256"], Listing());
        var snapshot = _h.Root.Resolve($"{Dir}/{name}");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(snapshot)));
        Assert.Equal($"{sha256}  {name}\n", File.ReadAllText(snapshot + ".sha256"));
        Assert.StartsWith($"etcd snapshot {Dir}/{name}: {new FileInfo(snapshot).Length} bytes, sha256 {sha256}, revision ", result.Reason, StringComparison.Ordinal);
        Assert.Equal(EtcdSnapshotFolder.Private, File.GetUnixFileMode(_h.Root.Resolve(Dir)));
        var sum = await ProcessRun.RunAsync("/bin/sh", ["-c", "cd \"$0\" && sha256sum --check \"$1\"", _h.Root.Resolve(Dir), name + ".sha256"]);
        Assert.True(sum.Code == 0, sum.Output);

        await using var restored = await EtcdServer.RestoreAsync(_pki, snapshot);
        Assert.Equal("alpha", await restored.GetAsync("/registry/fleet/a"));
        Assert.Equal("beta", await restored.GetAsync("/registry/fleet/b"));
        Assert.Contains(Calls, c => c.Contains("snapshot save", StringComparison.Ordinal));
        Assert.Contains(_h.LogLines(), l => l.StartsWith("running ", StringComparison.Ordinal) && l.Contains("snapshot status", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keep2_AfterThreeSnapshots_LeavesTheNewestTwo()
    {
        await _etcd.PutAsync("k", "v");
        var names = new List<string>();
        foreach (var rollout in new[] { "r1", "r2", "r3" })
        {
            var result = await Run(Step(keep: 2), rollout);
            Assert.Equal(StepOutcome.Succeeded, result.Outcome);
            names.Add($"etcd-snapshot-{_time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{rollout}.db");
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal([names[1], names[1] + ".sha256", names[2], names[2] + ".sha256"], Listing());
    }

    [Fact]
    public async Task EtcdDown_FailsNamingItUnreachable_AndLeavesNothing()
    {
        await _etcd.StopAsync();

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal($"etcd unreachable at {_etcd.Endpoint}: connection refused (is etcd running?)", result.Reason);
        Assert.Empty(Listing());
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task ClientCertificateOfAnotherCa_FailsNamingTheCertificate_BeforeEtcdctlRuns()
    {
        using var other = EtcdPki.Create(_tmp.Combine("other"), "another-ca");
        File.Copy(other.ClientCertFile, _h.Root.Resolve($"{CertDir}/healthcheck-client.crt"), overwrite: true);
        File.Copy(other.ClientKeyFile, _h.Root.Resolve($"{CertDir}/healthcheck-client.key"), overwrite: true);

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith($"etcd client certificate {CertDir}/healthcheck-client.crt (CN=kube-etcd-healthcheck-client) is not issued by the etcd CA in {CertDir}/ca.crt (CN=etcd-ca): etcd would refuse it in the TLS handshake", result.Reason, StringComparison.Ordinal);
        Assert.Empty(Listing());
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task ACertificateSetEtcdDoesNotTrust_FailsInTheTlsHandshake_NamingTheCertificate()
    {
        // A consistent set (CA and client of another CA): it passes the agent's own check; etcd refuses it.
        using var other = EtcdPki.Create(_tmp.Combine("other"), "another-ca");
        other.WriteClientSet(_h.Root.Resolve(CertDir));

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith($"etcd at {_etcd.Endpoint} is not healthy, or refused the client certificate {CertDir}/healthcheck-client.crt in the TLS handshake: etcdctl endpoint health exited with code 1", result.Reason, StringComparison.Ordinal);
        Assert.Empty(Listing());
        Assert.DoesNotContain(Calls, c => c.Contains("snapshot", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ca.crt")]
    [InlineData("healthcheck-client.crt")]
    [InlineData("healthcheck-client.key")]
    public async Task ACertificateFileMissing_FailsNamingIt_BeforeEtcdctlRuns(string file)
    {
        File.Delete(_h.Root.Resolve($"{CertDir}/{file}"));

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith($"etcd client certificate missing: {CertDir}/{file}: no such file", result.Reason, StringComparison.Ordinal);
        Assert.Empty(Listing());
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task SnapshotStatusFails_FailsTheStep_AndLeavesNothingInTheFolder()
    {
        _h.Options.EtcdctlPath = Wrapper("""[ "$1 $2" = "snapshot status" ] && { echo "Error: snapshot file has no integrity" >&2; exit 1; }""");
        await _etcd.PutAsync("k", "v");

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal("etcdctl snapshot status of the saved snapshot failed: etcdctl snapshot status exited with code 1: Error: snapshot file has no integrity", result.Reason);
        Assert.Contains(Calls, c => c.Contains("snapshot save", StringComparison.Ordinal));
        Assert.Empty(Listing()); // the staging folder with the saved snapshot is gone
    }

    [Fact]
    public async Task ImplausibleSnapshotStatus_FailsTheStep_AndLeavesNothing()
    {
        _h.Options.EtcdctlPath = Wrapper("""[ "$1 $2" = "snapshot status" ] && { echo '{"hash":0,"revision":0,"totalKey":0,"totalSize":0}'; exit 0; }""");

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal("etcdctl snapshot status shows an implausible snapshot (hash 0, revision 0, 0 keys): not kept", result.Reason);
        Assert.Empty(Listing());
    }

    [Theory]
    [InlineData("http://127.0.0.1:2379", "", "", 0, "", "endpoint: \"http://127.0.0.1:2379\" is not https://host:port")]
    [InlineData("https://root:secret@127.0.0.1:2379", "", "", 0, "", "endpoint: \"https://root:secret@127.0.0.1:2379\" is not https://host:port")]
    [InlineData("https://127.0.0.1:2379/v3/kv", "", "", 0, "", "is not https://host:port")]
    [InlineData("https://127.0.0.1", "", "", 0, "", "is not https://host:port")]
    [InlineData("https://127.0.0.1:99999", "", "", 0, "", "is not https://host:port")]
    [InlineData("https://127.0.0.1:2379,https://10.0.0.1:2379", "", "", 0, "", "is not https://host:port")]
    [InlineData("--endpoints=https://evil:2379", "", "", 0, "", "is not https://host:port")]
    [InlineData("", "snapshots", "", 0, "", "dir: \"snapshots\" must be an absolute path without \"..\"")]
    [InlineData("", "/var/lib/../../tmp", "", 0, "", "dir: \"/var/lib/../../tmp\" must be an absolute path without \"..\"")]
    [InlineData("", "", "etc/kubernetes/pki/etcd", 0, "", "certDir: \"etc/kubernetes/pki/etcd\" must be an absolute path")]
    [InlineData("", "", "/etc/kubernetes/../../root", 0, "", "certDir: \"/etc/kubernetes/../../root\" must be an absolute path without \"..\"")]
    [InlineData("", "/tmp/a,b", "", 0, "", "dir: \"/tmp/a,b\" holds a control character or a comma")]
    [InlineData("", "", "", -1, "", "keep: -1 is not from 1 to 100")]
    [InlineData("", "", "", 101, "", "keep: 101 is not from 1 to 100")]
    [InlineData("", "", "", 0, "../../etc", "rollout_id: \"../../etc\" is not a rollout id")]
    public async Task HostileInput_IsRefusedBeforeAnythingRuns(string endpoint, string dir, string certDir, int keep, string rolloutId, string problem)
    {
        var result = await Run(new EtcdSnapshotStep { Endpoint = endpoint, Dir = dir, CertDir = certDir, Keep = keep }, rolloutId);

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith("refusing to take an etcd snapshot: ", result.Reason, StringComparison.Ordinal);
        Assert.Contains(problem, result.Reason, StringComparison.Ordinal);
        Assert.Empty(Calls);
        Assert.Empty(Listing());
    }

    [Fact]
    public async Task DirIsASymbolicLink_IsRefused_AndNothingIsWrittenWhereItPoints()
    {
        var elsewhere = _h.Root.CreateDirectory("/tmp/elsewhere");
        Directory.CreateDirectory(Path.GetDirectoryName(_h.Root.Resolve(Dir))!);
        File.CreateSymbolicLink(_h.Root.Resolve(Dir), elsewhere);

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith($"refusing to take an etcd snapshot: dir: {_h.Root.Resolve(Dir)} is a symbolic link", result.Reason, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task DirIsAFile_IsRefused()
    {
        _h.Root.Write(Dir, "not a folder");

        var result = await Run(Step());

        Assert.Equal($"refusing to take an etcd snapshot: dir: {_h.Root.Resolve(Dir)} is a file, not a folder", result.Reason);
        Assert.Empty(Calls);
    }

    [Fact]
    public async Task DirOwnedByAnotherUser_IsRefused()
    {
        var dir = _h.Root.CreateDirectory(Dir);
        var chown = await ProcessRun.RunAsync("chown", ["65534", dir]);
        Assert.True(chown.Code == 0, $"the test chowns the folder (it runs as root, as test.sh does): {chown.Output}");

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.StartsWith($"refusing to take an etcd snapshot: dir: {dir} is owned by uid 65534, not by the agent's user (uid ", result.Reason, StringComparison.Ordinal);
        Assert.Empty(Calls);
        Assert.Empty(Listing());
    }

    [Fact]
    public async Task ExistingFolderOthersMayEnter_IsRefused_AndLeftAsItIs()
    {
        var dir = _h.Root.CreateDirectory(Dir);
        File.SetUnixFileMode(dir, FixtureRoot.Executable); // 0755, like /etc

        var result = await Run(Step());

        Assert.Equal($"refusing to take an etcd snapshot: dir: {dir} is mode 0755: group or others may enter it, and a snapshot holds every Secret of the cluster (chmod 700 it, or name a folder of its own)", result.Reason);
        Assert.Equal(FixtureRoot.Executable, File.GetUnixFileMode(dir));
        Assert.Empty(Calls);
        Assert.Empty(Listing());
    }

    [Fact]
    public async Task ExistingPrivateFolder_IsUsed()
    {
        var dir = _h.Root.CreateDirectory(Dir);
        File.SetUnixFileMode(dir, EtcdSnapshotFolder.Private);
        await _etcd.PutAsync("k", "v");

        var result = await Run(Step());

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(2, Listing().Length);
    }
}
