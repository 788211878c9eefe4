using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Fleet.Agent.Configuration;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.Previous;
using Fleet.Coordinator.Steps;
using Fleet.Testing;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.IntegrationTests;

/// <summary>
/// Issue 15: an agent killed with SIGKILL between restoring two files ends with a consistent node
/// after a restart. A real fleet-agent process (enrolled, mTLS) under a real coordinator; Debian's
/// kubectl and CNI plugins from a local artifact server replace older files (rollout r3), then a
/// restore-previous of r3 is stopped after its first file by the agent's test failpoint
/// (FLEET_AGENT_FAILPOINT=restore-after-file:1, <see cref="RestoreFailpoint"/>), the agent is killed
/// there, restarted without the failpoint, and the coordinator sends the same step again (it was never
/// journaled as finished). The steps go to the agent through the coordinator's StepDispatcher, as a
/// rollout's steps do; the rollout-driven variant (a plan with restore-previous) is the coordinator's part.
/// </summary>
public sealed class RestorePreviousKillTests : IAsyncLifetime
{
    private static readonly string[] OldPlugins = ["bridge", "host-local", "loopback", "portmap"];
    private readonly TempDir _dir = new();
    private TestCoordinator _coordinator = null!;
    private ArtifactServer _artifacts = null!;
    private Process? _agent;
    private bool _enrolled;

    private string Root => _dir.Combine("node-1");

    private string AgentLog => _dir.Combine("agent.log");

    private string StateDir => Path.Join(Root, "var/lib/fleet-agent");

    public async Task InitializeAsync()
    {
        _coordinator = await TestCoordinator.StartAsync(TestCoordinator.OptionsIn(_dir.Path));
        _artifacts = await ArtifactServer.StartAsync(Fixtures.Require(Fixtures.Artifacts));
    }

    public async Task DisposeAsync()
    {
        await StopAgentAsync();
        await _artifacts.DisposeAsync();
        await _coordinator.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Restore_AgentKilledBetweenTwoFiles_AfterARestartTheSameStepFinishes_EveryFileAtItsPreviousSha256()
    {
        var before = PlaceOlderFiles();
        var nodeId = await StartAgentAsync(failpoint: "restore-after-file:2");
        await RunOkAsync(nodeId, Step("r3-download", new StepRequest
        {
            Download = new DownloadStep
            {
                Url = _artifacts.Url("/files/" + Fixtures.Kubectl("amd64")),
                Sha256 = Fixtures.Sha256(Fixtures.Kubectl("amd64")),
                Dest = "/usr/local/bin/kubectl",
                Mode = 0x1ED,
                Executable = true,
                Component = "kubectl",
                Version = Fixtures.KubectlVersion,
            },
        }));
        await RunOkAsync(nodeId, Step("r3-cni", new StepRequest
        {
            InstallCniPlugins = new InstallCniPluginsStep
            {
                Url = _artifacts.Url("/files/" + Fixtures.CniTarball("amd64")),
                Sha256 = Fixtures.Sha256(Fixtures.CniTarball("amd64")),
                Component = "cni-plugins",
                Version = Fixtures.CniVersion,
            },
        }));
        Assert.All(before, f => Assert.NotEqual(f.Value, Sha(f.Key))); // every older file was replaced
        var added = Directory.GetFiles(Path.Join(Root, "opt/cni/bin")).Select(p => "/opt/cni/bin/" + Path.GetFileName(p)).Except(before.Keys).ToArray();
        Assert.NotEmpty(added); // Debian's plugins that were not there before (dhcp, tuning, ...)

        // restore-previous of r3, as the rollback rollout r4 sends it; the agent stops after one file.
        var restore = new StepRequest { Id = "r4-restore", RolloutId = "r4", Timeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(5)), RestorePrevious = new RestorePreviousStep { RolloutId = "r3" } };
        var updates = new ConcurrentQueue<StepUpdate>();
        var running = _coordinator.Service<StepDispatcher>().RunAsync(nodeId, restore, u => { updates.Enqueue(u); return ValueTask.CompletedTask; }, TimeSpan.FromMinutes(5), CancellationToken.None);
        var marker = Path.Join(StateDir, RestoreFailpoint.MarkerFile);
        await Eventually.Until(() => Task.FromResult(File.Exists(marker) || _agent!.HasExited), ok => ok, "the agent reaches the failpoint after two restored files");
        Assert.Equal("restore-after-file:2\n", await File.ReadAllTextAsync(marker));
        _agent!.Kill(); // SIGKILL: no shutdown, no flush, nothing of the agent's own runs after this
        await _agent.WaitForExitAsync().DefaultTimeout();
        Assert.Equal(128 + 9, _agent.ExitCode); // killed by SIGKILL
        Assert.False(running.IsCompleted);

        // The node as the kill left it: two files back (by path: bandwidth, which r3 added, is removed;
        // bridge is renamed back from its kept copy), every other file as r3 left it.
        Assert.Equal(["/opt/cni/bin/bandwidth", "/opt/cni/bin/bridge"], before.Keys.Concat(added).Order(StringComparer.Ordinal).Take(2));
        Assert.False(File.Exists(Real("/opt/cni/bin/bandwidth")));
        Assert.Equal(before["/opt/cni/bin/bridge"], Sha("/opt/cni/bin/bridge"));
        Assert.False(File.Exists(Path.Join(Root, "opt/cni/bin", PreviousFiles.FolderName, "bridge")));
        Assert.All(before.Where(f => f.Key != "/opt/cni/bin/bridge"), f => Assert.NotEqual(f.Value, Sha(f.Key)));
        Assert.All(added.Where(p => p != "/opt/cni/bin/bandwidth"), p => Assert.True(File.Exists(Real(p)), p));
        var bridgeWritten = File.GetLastWriteTimeUtc(Real("/opt/cni/bin/bridge"));
        File.Delete(marker);

        await StartAgentAsync(failpoint: null); // the coordinator re-sends r4-restore when it attaches
        var result = await running.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(result.Outcome == StepOutcome.Succeeded, $"{result}\nagent log:\n{Log()}");
        Assert.False(result.FromJournal); // it had not finished: run again, not answered from the journal
        Assert.StartsWith("restored /opt/cni/bin/bridge (previous sha256 ", result.Reason, StringComparison.Ordinal);
        Assert.Contains("/usr/local/bin/kubectl (previous sha256 ", result.Reason, StringComparison.Ordinal);
        Assert.EndsWith(" (not there before r3)", result.Reason, StringComparison.Ordinal);
        foreach (var (path, sha) in before)
        {
            Assert.Equal(sha, Sha(path));
            Assert.False(File.Exists(Path.Join(Path.GetDirectoryName(Real(path))!, PreviousFiles.FolderName, Path.GetFileName(path)))); // consumed
        }

        Assert.All(added, p => Assert.False(File.Exists(Real(p)), p));
        Assert.Equal(bridgeWritten, File.GetLastWriteTimeUtc(Real("/opt/cni/bin/bridge"))); // done before the kill: not touched again
        Assert.Empty(Directory.GetFileSystemEntries(Path.Join(Root, "opt/cni/bin", PreviousFiles.FolderName)));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Join(Root, "usr/local/bin", PreviousFiles.FolderName)));
        Assert.False(File.Exists(marker)); // the restarted agent has no failpoint

        // Once more, a new step id: nothing left to do, and no file touched.
        var again = await RunAsync(nodeId, Step("r4-restore-again", new StepRequest { RestorePrevious = new RestorePreviousStep { RolloutId = "r3" } }));
        Assert.Equal(StepOutcome.AlreadySatisfied, again.Outcome);
        Assert.StartsWith("the files r3 replaced on this node are already back: ", again.Reason, StringComparison.Ordinal);
    }

    private static StepRequest Step(string id, StepRequest step)
    {
        step.Id = id;
        step.RolloutId = id.Split('-')[0];
        step.Timeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(2));
        return step;
    }

    /// <summary>Older kubectl and CNI plugins, as a node has them before r3; returns node path → sha256.</summary>
    private Dictionary<string, string> PlaceOlderFiles()
    {
        var files = OldPlugins.Select(p => $"/opt/cni/bin/{p}").Append("/usr/local/bin/kubectl").ToArray();
        foreach (var file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Real(file))!);
            File.WriteAllText(Real(file), $"#!/bin/sh\necho an older {Path.GetFileName(file)}\n");
            File.SetUnixFileMode(Real(file), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        return files.ToDictionary(f => f, Sha);
    }

    private string Real(string nodePath) => Path.Join(Root, nodePath);

    private string Sha(string nodePath) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Real(nodePath))));

    private async Task RunOkAsync(string nodeId, StepRequest request)
    {
        var result = await RunAsync(nodeId, request);
        Assert.True(result.Outcome == StepOutcome.Succeeded, $"{result}\nagent log:\n{Log()}");
    }

    private Task<StepResult> RunAsync(string nodeId, StepRequest request) =>
        _coordinator.Service<StepDispatcher>().RunAsync(nodeId, request, _ => ValueTask.CompletedTask, TimeSpan.FromMinutes(2), CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(3));

    private string Log() => File.Exists(AgentLog) ? File.ReadAllText(AgentLog) : "(no log)";

    private static string AgentDll() => Repo.BuildOutput("agent", "fleet-agent.dll");

    /// <summary>Enrolls (once) and starts fleet-agent as its own process, its output appended to <see cref="AgentLog"/>; returns the node id.</summary>
    private async Task<string> StartAgentAsync(string? failpoint)
    {
        if (!_enrolled)
        {
            _enrolled = true;
            var enroll = await ProcessRun.RunAsync(
                "dotnet",
                [AgentDll(), "enroll", "--coordinator", _coordinator.AgentUri.ToString(), "--token", await _coordinator.CreateTokenAsync(uses: 1), "--ca-pin", _coordinator.CaPin, "--name", "node-1", "--root", Root],
                unset: "FLEET_COORDINATOR");
            Assert.True(enroll.Code == 0, enroll.Output);
        }

        // The shell sends the agent's output to a file, so no pipe needs draining; exec keeps one PID.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "exec dotnet \"$@\" >>\"$FLEET_TEST_LOG\" 2>&1", "sh", AgentDll(), "--coordinator", _coordinator.AgentUri.ToString(), "--name", "node-1", "--root", Root })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["FLEET_TEST_LOG"] = AgentLog;
        start.Environment.Remove("FLEET_COORDINATOR");
        start.Environment.Remove(RestoreFailpoint.Variable);
        if (failpoint is not null)
        {
            start.Environment[RestoreFailpoint.Variable] = failpoint;
        }

        _agent?.Dispose();
        _agent = Process.Start(start)!;
        await Eventually.Until(
            () => Fleetctl.NodesAsync(_coordinator.Socket),
            n => n.Any(x => x.Str("name") == "node-1" && x.GetProperty("connected").GetBoolean()) || _agent.HasExited,
            "the agent process connects");
        Assert.False(_agent.HasExited, $"the agent exited: {Log()}");
        var credentials = new NodeCredentials(new HostPaths(new AgentOptions { Root = Root }));
        credentials.Load();
        return credentials.NodeId;
    }

    private async Task StopAgentAsync()
    {
        if (_agent is { HasExited: false })
        {
            _agent.Kill(entireProcessTree: true);
            await _agent.WaitForExitAsync().DefaultTimeout();
        }

        _agent?.Dispose();
        _agent = null;
    }
}
