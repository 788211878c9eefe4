using Fleet.Agent.Steps;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps.Previous;

/// <summary>
/// restore-previous over what real Download steps replaced (a real artifact server, real files under
/// a fixture root): the happy path, idempotence, a restore cut between two files, and the hostile cases.
/// </summary>
public sealed class RestorePreviousStepHandlerTests : IAsyncLifetime
{
    private static readonly string[] Names = ["kubectl", "kubelet"];
    private ArtifactHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await ArtifactHarness.StartAsync();
        foreach (var name in Names)
        {
            foreach (var version in new[] { "v1.30.0", "v1.31.0", "v1.32.0" })
            {
                _h.Serve($"{version}/{name}", Bytes(name, version));
            }
        }
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Restore_AfterAnUpgrade_PutsBackEveryFileAtItsPreviousSha256_NamingVersions()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");

        var result = await Restore("r2");

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("restored /usr/local/bin/kubectl (v1.30.0), /usr/local/bin/kubelet (v1.30.0)", result.Reason);
        foreach (var name in Names)
        {
            Assert.Equal(Bytes(name, "v1.30.0"), await File.ReadAllBytesAsync(Real(name)));
            Assert.Equal(FixtureRoot.Executable, File.GetUnixFileMode(Real(name)));
            Assert.False(File.Exists(Kept(name))); // consumed: renamed into place
        }

        Assert.All(Reloaded().ByRollout("r2"), k => Assert.True(k.Restored));
        Assert.Contains(_h.Updates().SelectMany(u => u.LogLines), l => l == "restored /usr/local/bin/kubelet (v1.30.0)");
    }

    [Fact]
    public async Task Restore_Twice_TheSecondIsAlreadySatisfied_AndTouchesNothing()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");
        await Restore("r2");
        var written = Names.Select(n => File.GetLastWriteTimeUtc(Real(n))).ToArray();

        var again = await Restore("r2", stepId: "restore-again");

        Assert.Equal(StepOutcome.AlreadySatisfied, again.Outcome);
        Assert.Equal("the files r2 replaced on this node are already back: restored /usr/local/bin/kubectl (v1.30.0), /usr/local/bin/kubelet (v1.30.0)", again.Reason);
        Assert.Equal(written, Names.Select(n => File.GetLastWriteTimeUtc(Real(n))));
    }

    [Fact]
    public async Task Restore_EmptyRolloutIdInTheStep_IsTheRequestsOwn()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");
        var request = new StepRequest { Id = "r2-rollback", RolloutId = "r2", RestorePrevious = new RestorePreviousStep() };

        var result = await Handler().RunAsync(request, _h.Progress(request.Id), CancellationToken.None);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(Bytes("kubelet", "v1.30.0"), await File.ReadAllBytesAsync(Real("kubelet")));
    }

    [Fact]
    public async Task Restore_FilesTheRolloutAdded_AreRemoved_OthersNamedBySha256WhenTheirVersionIsUnknown()
    {
        _h.Root.Write("/usr/local/bin/kubectl", "the distro's kubectl", FixtureRoot.Executable);
        await Upgrade("r1", "v1.30.0"); // kubectl over the distro's, kubelet where there was none

        var result = await Restore("r1");

        var distro = ArtifactHarness.Sha256("the distro's kubectl"u8.ToArray());
        Assert.Equal($"restored /usr/local/bin/kubectl (previous sha256 {distro[..12]}, version unknown); removed /usr/local/bin/kubelet (not there before r1)", result.Reason);
        Assert.Equal("the distro's kubectl", await File.ReadAllTextAsync(Real("kubectl")));
        Assert.False(File.Exists(Real("kubelet")));
    }

    [Fact]
    public async Task Restore_AMultiHopRollout_GoesBackToBeforeTheRollout()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0", stepPrefix: "r2-hop1");
        await Upgrade("r2", "v1.32.0", stepPrefix: "r2-hop2");

        var result = await Restore("r2");

        Assert.Equal("restored /usr/local/bin/kubectl (v1.30.0), /usr/local/bin/kubelet (v1.30.0)", result.Reason);
        Assert.Equal(Bytes("kubectl", "v1.30.0"), await File.ReadAllBytesAsync(Real("kubectl")));
    }

    [Fact]
    public async Task Restore_NothingReplacedByThatRollout_IsAlreadySatisfied()
    {
        await Upgrade("r1", "v1.30.0");

        var result = await Restore("r9");

        Assert.Equal(StepOutcome.AlreadySatisfied, result.Outcome);
        Assert.Equal("nothing replaced by r9 on this node", result.Reason);
        Assert.Equal(Bytes("kubectl", "v1.30.0"), await File.ReadAllBytesAsync(Real("kubectl")));
    }

    [Fact]
    public async Task Restore_ARolloutWhoseFilesWereReplacedAgain_FailsSayingOneGenerationIsKept()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore("r1"));

        Assert.Equal("the files r1 replaced on this node have been replaced again by later rollouts since; Fleet keeps one generation, so nothing of r1's is kept to restore", ex.Message);
        Assert.Equal(Bytes("kubectl", "v1.31.0"), await File.ReadAllBytesAsync(Real("kubectl")));
    }

    [Fact]
    public async Task Restore_OneKeptCopyTampered_FailsNamingIt_AndChangesNoFile()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");
        await File.WriteAllTextAsync(Kept("kubelet"), "a kubelet someone slipped in");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore("r2"));

        var tampered = ArtifactHarness.Sha256("a kubelet someone slipped in"u8.ToArray());
        Assert.Equal($"refusing to restore what r2 replaced, nothing was changed: the kept copy of /usr/local/bin/kubelet (/usr/local/bin/.fleet-previous/kubelet) has sha256 {tampered}, not the {Sha("kubelet", "v1.30.0")} journaled when r2 replaced it", ex.Message);
        foreach (var name in Names)
        {
            Assert.Equal(Bytes(name, "v1.31.0"), await File.ReadAllBytesAsync(Real(name))); // kubectl's copy was fine: not restored either
        }

        Assert.True(File.Exists(Kept("kubectl")));
        Assert.All(Reloaded().ByRollout("r2"), k => Assert.False(k.Restored));
    }

    [Fact]
    public async Task Restore_KeptCopiesMissing_FailsNamingEveryOne()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");
        Names.ToList().ForEach(n => File.Delete(Kept(n)));

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore("r2"));

        Assert.Equal("refusing to restore what r2 replaced, nothing was changed: the kept copy of /usr/local/bin/kubectl (/usr/local/bin/.fleet-previous/kubectl) is missing; the kept copy of /usr/local/bin/kubelet (/usr/local/bin/.fleet-previous/kubelet) is missing", ex.Message);
    }

    [Fact]
    public async Task Restore_KeptCopyIsASymlink_IsRefused_ItsTargetNotInstalled()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");
        // A link to a file with exactly the journaled bytes: the sha256 would match through it.
        var decoy = _h.Root.Write("/tmp/decoy", "x");
        await File.WriteAllBytesAsync(decoy, Bytes("kubectl", "v1.30.0"));
        File.Delete(Kept("kubectl"));
        File.CreateSymbolicLink(Kept("kubectl"), decoy);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore("r2"));

        Assert.Equal("refusing to restore what r2 replaced, nothing was changed: the kept copy of /usr/local/bin/kubectl (/usr/local/bin/.fleet-previous/kubectl) is a symbolic link: refusing it", ex.Message);
        Assert.Equal(Bytes("kubectl", "v1.31.0"), await File.ReadAllBytesAsync(Real("kubectl")));
        Assert.True(File.Exists(decoy));
    }

    [Fact]
    public async Task Restore_FleetPreviousReplacedByASymlink_IsRefused()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");
        var keptDir = Path.GetDirectoryName(Kept("kubectl"))!;
        var elsewhere = _h.Root.Resolve("/elsewhere");
        Directory.Move(keptDir, elsewhere); // the same good copies, now reached through a link
        File.CreateSymbolicLink(keptDir, elsewhere);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore("r2"));

        Assert.StartsWith("refusing to restore what r2 replaced, nothing was changed: /usr/local/bin/.fleet-previous is a symbolic link, not a folder: refusing to keep or restore /usr/local/bin/kubectl through it; ", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["kubectl", "kubelet"], Directory.GetFiles(elsewhere).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal));
        Assert.Equal(Bytes("kubectl", "v1.31.0"), await File.ReadAllBytesAsync(Real("kubectl")));
    }

    [Theory]
    [InlineData("/usr/local/bin/../../../etc/shadow", "the journaled path \"/usr/local/bin/../../../etc/shadow\" is not an absolute node path without \"..\": refusing it (was the journal edited?)")]
    [InlineData("etc/shadow", "the journaled path \"etc/shadow\" is not an absolute node path without \"..\": refusing it (was the journal edited?)")]
    [InlineData("/usr/local/bin/./kubectl", "the journaled path \"/usr/local/bin/./kubectl\" is not an absolute node path without \"..\": refusing it (was the journal edited?)")]
    public async Task Restore_JournalEditedToNameAPathOutsideTheRoot_IsRefusedNamingIt(string path, string problem)
    {
        var outside = _h.Root.Write("/etc/shadow", "root:the real one");
        var line = $"{{\"replaced\":{{\"rollout\":\"r5\",\"path\":\"{path}\",\"previousSha256\":\"{new string('a', 64)}\",\"previousVersion\":\"\",\"sha256\":\"{new string('b', 64)}\",\"component\":\"x\",\"version\":\"v1\",\"stepId\":\"s\"}}}}\n";
        Directory.CreateDirectory(_h.Root.Resolve("/var/lib/fleet-agent"));
        await File.AppendAllTextAsync(_h.Root.Resolve("/var/lib/fleet-agent/steps.journal"), line);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore("r5"));

        Assert.Equal($"refusing to restore what r5 replaced, nothing was changed: {problem}", ex.Message);
        Assert.Equal("root:the real one", await File.ReadAllTextAsync(outside));
    }

    [Theory]
    [InlineData("r3/../../etc", "rollout id \"r3/../../etc\" is not 1 to 64 letters, digits and '-': refusing it")]
    [InlineData("r3\nr4", "rollout id \"r3?r4\" is not 1 to 64 letters, digits and '-': refusing it")]
    [InlineData("r 3", "rollout id \"r 3\" is not 1 to 64 letters, digits and '-': refusing it")]
    [InlineData("r3_x", "rollout id \"r3_x\" is not 1 to 64 letters, digits and '-': refusing it")]
    [InlineData("rü", "rollout id \"rü\" is not 1 to 64 letters, digits and '-': refusing it")]
    public async Task Restore_HostileRolloutId_IsRefusedNamingIt(string rollout, string message)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore(rollout));

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public async Task Restore_RolloutIdOf65Characters_IsRefused_ShownCut()
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Restore(new string('r', 65)));

        Assert.Equal($"rollout id \"{new string('r', 65)}\" is not 1 to 64 letters, digits and '-': refusing it", ex.Message);
        var cut = await Assert.ThrowsAsync<StepFailedException>(() => Restore(new string('r', 200)));
        Assert.Equal($"rollout id \"{new string('r', 80)}…\" is not 1 to 64 letters, digits and '-': refusing it", cut.Message);
    }

    [Fact]
    public async Task Restore_NoRolloutIdAnywhere_IsRefused()
    {
        var request = new StepRequest { Id = "restore-1", RestorePrevious = new RestorePreviousStep() };

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Handler().RunAsync(request, _h.Progress(request.Id), CancellationToken.None));

        Assert.Equal("restore-previous names no rollout (neither rollout_id nor the request's own)", ex.Message);
    }

    [Fact]
    public async Task Restore_StoppedBetweenTwoFiles_RunAgainByARestartedAgent_FinishesTheRest_LeavesTheFirst()
    {
        await Upgrade("r1", "v1.30.0");
        await Upgrade("r2", "v1.31.0");
        using var stop = new CancellationTokenSource();
        var request = RestoreRequest("r2", "restore-1");
        var stopped = Handler(RestoreFailpoint.AfterFiles(1)).RunAsync(request, _h.Progress(request.Id), stop.Token);
        var marker = Path.Join(_h.Root.Paths(_h.Options).StateDir, RestoreFailpoint.MarkerFile);
        await Eventually(() => File.Exists(marker));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopped);
        Assert.Equal(Bytes("kubectl", "v1.30.0"), await File.ReadAllBytesAsync(Real("kubectl")));
        Assert.Equal(Bytes("kubelet", "v1.31.0"), await File.ReadAllBytesAsync(Real("kubelet")));
        var firstWritten = File.GetLastWriteTimeUtc(Real("kubectl"));

        // A new journal and handler, as the agent after a restart; the same step id, sent again.
        var journal = new StepJournal(_h.Root.Paths(_h.Options));
        using var previous = new PreviousFiles(journal, _h.Root.Paths(_h.Options));
        var result = await new RestorePreviousStepHandler(journal, _h.Root.Paths(_h.Options), previous, RestoreFailpoint.None)
            .RunAsync(request, _h.Progress(request.Id), CancellationToken.None);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("restored /usr/local/bin/kubectl (v1.30.0), /usr/local/bin/kubelet (v1.30.0)", result.Reason);
        Assert.Equal(Bytes("kubelet", "v1.30.0"), await File.ReadAllBytesAsync(Real("kubelet")));
        Assert.Equal(firstWritten, File.GetLastWriteTimeUtc(Real("kubectl")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(Kept("kubectl"))!));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 1000, "the failpoint was not reached");
            await Task.Delay(10);
        }
    }

    private static byte[] Bytes(string name, string version) => Elf.X86_64($"{name} {version}");

    private static string Sha(string name, string version) => ArtifactHarness.Sha256(Bytes(name, version));

    private string Real(string name) => _h.Root.Resolve($"/usr/local/bin/{name}");

    private string Kept(string name) => _h.Root.Resolve($"/usr/local/bin/.fleet-previous/{name}");

    private ReplaceIndex Reloaded() => new StepJournal(_h.Root.Paths(_h.Options)).Replaces;

    private RestorePreviousStepHandler Handler(RestoreFailpoint? failpoint = null) =>
        new(_h.Journal, _h.Root.Paths(_h.Options), _h.Previous(), failpoint ?? RestoreFailpoint.None);

    private static StepRequest RestoreRequest(string rollout, string stepId) =>
        new() { Id = stepId, RolloutId = "rollback-of-" + rollout, RestorePrevious = new RestorePreviousStep { RolloutId = rollout } };

    private Task<StepResult> Restore(string rollout, string stepId = "restore-1")
    {
        var request = RestoreRequest(rollout, stepId);
        var handler = Handler();
        Assert.Equal(StepRequest.StepOneofCase.RestorePrevious, handler.Kind);
        return handler.RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
    }

    /// <summary>A rollout's download of kubectl and kubelet at a version, as its steps would run.</summary>
    private async Task Upgrade(string rollout, string version, string? stepPrefix = null)
    {
        foreach (var name in Names)
        {
            var request = new StepRequest
            {
                Id = $"{stepPrefix ?? rollout}-{name}",
                RolloutId = rollout,
                Download = new DownloadStep
                {
                    Url = _h.Server.Url($"/files/{version}/{name}"),
                    Sha256 = Sha(name, version),
                    Dest = $"/usr/local/bin/{name}",
                    Mode = 0x1ED,
                    Executable = true,
                    Component = name,
                    Version = version,
                },
            };
            var result = await new DownloadStepHandler(_h.Downloader(), _h.Cache(), _h.Root.Paths(_h.Options), ArtifactHarness.Arch("x86_64"), _h.Options, _h.Previous())
                .RunAsync(request, _h.Progress(request.Id), CancellationToken.None);
            Assert.NotEqual(StepOutcome.Failed, result.Outcome);
        }
    }
}
