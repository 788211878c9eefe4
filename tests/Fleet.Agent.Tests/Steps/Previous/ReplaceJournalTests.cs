using System.Text.Json;
using Fleet.Agent.Steps;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps.Previous;

/// <summary>Replace and restore records in the step journal: durable across restarts, torn lines tolerated, invisible to older agents.</summary>
public sealed class ReplaceJournalTests : IDisposable
{
    private static readonly ReplaceRecord Kubelet = new("r3", "/usr/local/bin/kubelet", new string('a', 64), "v1.30.0", new string('b', 64), "kubelet", "v1.31.0", "r3-n1-2");
    private static readonly ReplaceRecord Kubectl = Kubelet with { Path = "/usr/local/bin/kubectl", Component = "kubectl", StepId = "r3-n1-3" };
    private readonly FixtureRoot _root = new();

    private string JournalPath => _root.Resolve("/var/lib/fleet-agent/steps.journal");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Records_ANewJournalFromDisk_HasThemIntact_WithStepResultsBeside()
    {
        var journal = New();
        journal.Record(Kubelet);
        journal.Record(new StepResult { Id = "r3-n1-2", Outcome = StepOutcome.Succeeded, Reason = "installed /usr/local/bin/kubelet" });
        journal.Record(Kubectl);
        journal.Record(new RestoreRecord("r3", "/usr/local/bin/kubectl"));

        var reloaded = New();

        Assert.Equal(new KeptFile(Kubelet, Restored: false), reloaded.Replaces.Find(Kubelet.Path));
        Assert.Equal(new KeptFile(Kubectl, Restored: true), reloaded.Replaces.Find(Kubectl.Path));
        Assert.Equal([Kubectl.Path, Kubelet.Path], reloaded.Replaces.ByRollout("r3").Select(k => k.Replace.Path));
        Assert.True(reloaded.TryGet("r3-n1-2", out var result));
        Assert.Equal("installed /usr/local/bin/kubelet", result.Reason);
        Assert.Equal(["r3-n1-2"], reloaded.RecentIds(10)); // replace lines are no finished steps
    }

    [Fact]
    public void Index_KeepsOnlyTheLatestGenerationPerPath()
    {
        var journal = New();
        journal.Record(Kubelet);
        journal.Record(Kubelet with { Rollout = "r4", StepId = "r4-n1-2" });

        var reloaded = New().Replaces;

        Assert.Equal("r4", reloaded.Find(Kubelet.Path)!.Replace.Rollout);
        Assert.Empty(reloaded.ByRollout("r3"));
        Assert.True(reloaded.EverReplaced("r3"));
        Assert.False(reloaded.EverReplaced("r5"));
    }

    [Fact]
    public void ARestoreOfAnotherRollout_DoesNotMarkTheCurrentGeneration()
    {
        var journal = New();
        journal.Record(Kubelet);
        journal.Record(new RestoreRecord("r2", Kubelet.Path));

        Assert.False(New().Replaces.Find(Kubelet.Path)!.Restored);
    }

    [Fact]
    public void TornLastLine_IsIgnored_TheRecordsBeforeItKept_AndTheNextRecordStartsALineOfItsOwn()
    {
        New().Record(Kubelet);
        File.AppendAllText(JournalPath, "{\"replaced\":{\"rollout\":\"r3\",\"path\":\"/usr/lo"); // power lost mid-write

        var afterCrash = New();
        Assert.Equal(Kubelet, afterCrash.Replaces.Find(Kubelet.Path)!.Replace);
        Assert.Null(afterCrash.Replaces.Find("/usr/local/bin/kubectl"));
        afterCrash.Record(Kubectl);

        var again = New();
        Assert.Equal(Kubectl, again.Replaces.Find(Kubectl.Path)!.Replace);
        Assert.Equal(Kubelet, again.Replaces.Find(Kubelet.Path)!.Replace);
    }

    [Theory]
    [InlineData("{\"replaced\":{\"rollout\":\"r3\",\"path\":\"/usr/local/bin/kubectl\"}}")] // fields missing
    [InlineData("{\"replaced\":null}")]
    [InlineData("{\"restored\":{\"rollout\":\"r3\"}}")]
    [InlineData("{\"replaced\":[1,2]}")]
    [InlineData("not json at all")]
    public void EditedLines_AreNoRecords(string line)
    {
        New().Record(Kubectl);
        File.AppendAllText(JournalPath, line + "\n");

        var reloaded = New();

        Assert.Equal(new KeptFile(Kubectl, Restored: false), reloaded.Replaces.Find(Kubectl.Path));
        Assert.Equal([Kubectl.Path], reloaded.Replaces.ByRollout("r3").Select(k => k.Replace.Path));
    }

    [Fact]
    public void ReplaceAndRestoreLines_HaveNoId_SoAnOlderAgentsReaderSkipsThem_ResultLinesUnchanged()
    {
        var journal = New();
        journal.Record(Kubelet);
        journal.Record(new RestoreRecord("r3", Kubelet.Path));
        journal.Record(new StepResult { Id = "s1", Outcome = StepOutcome.Succeeded, Reason = "ok" });

        var lines = File.ReadAllLines(JournalPath);

        // The reader before issue 15 took a line as a result only when it had a non-empty "id".
        Assert.All(lines[..2], l => Assert.False(JsonDocument.Parse(l).RootElement.TryGetProperty("id", out _), l));
        Assert.Equal("{\"id\":\"s1\",\"outcome\":1,\"reason\":\"ok\"}", lines[2]);
        Assert.StartsWith("{\"replaced\":{\"rollout\":\"r3\",\"path\":\"/usr/local/bin/kubelet\",\"previousSha256\":", lines[0], StringComparison.Ordinal);
        Assert.Equal("{\"restored\":{\"rollout\":\"r3\",\"path\":\"/usr/local/bin/kubelet\"}}", lines[1]);
    }

    private StepJournal New() => new(_root.Paths());
}
