using Fleet.Agent.Steps;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

public sealed class StepJournalTests : IDisposable
{
    private readonly FixtureRoot _root = new();

    private string JournalPath => _root.Resolve("/var/lib/fleet-agent/steps.journal");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void TryGet_Unknown_IsFalse() => Assert.False(New().TryGet("never-ran", out _));

    [Fact]
    public void Record_ThenANewJournal_AnswersFromTheJournal()
    {
        New().Record(Result("step-1", StepOutcome.Succeeded, "installed /usr/local/bin/kubectl"));

        Assert.True(New().TryGet("step-1", out var result));

        Assert.Equal("step-1", result.Id);
        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("installed /usr/local/bin/kubectl", result.Reason);
        Assert.True(result.FromJournal);
    }

    [Fact]
    public void Record_RolledBack_KeptThroughARestart()
    {
        New().Record(new StepResult { Id = "upgrade-1", Outcome = StepOutcome.Failed, Reason = "rolled back to fleet-agent 0.9.0: x", RolledBack = true });

        Assert.True(New().TryGet("upgrade-1", out var result));

        Assert.True(result.RolledBack);
        Assert.Equal("rolled back to fleet-agent 0.9.0: x", result.Reason);
        Assert.Contains("\"rolledBack\":true", File.ReadAllText(JournalPath));
    }

    [Fact]
    public void Load_LineOfAnEarlierAgentWithoutTheFlag_IsNotRolledBack()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(JournalPath)!);
        File.WriteAllText(JournalPath, "{\"id\":\"step-1\",\"outcome\":2,\"reason\":\"failed\"}\n");

        Assert.True(New().TryGet("step-1", out var result));

        Assert.False(result.RolledBack);
        New().Record(Result("step-2", StepOutcome.Succeeded, "ok"));
        Assert.DoesNotContain("rolledBack", File.ReadAllText(JournalPath)); // written only when true
    }

    [Fact]
    public void Record_SameInstance_AnswersACopyMarkedFromJournal()
    {
        var journal = New();
        var recorded = Result("step-1", StepOutcome.Failed, "HTTP 404 Not Found from http://x/kubectl");
        journal.Record(recorded);

        Assert.True(journal.TryGet("step-1", out var result));

        Assert.True(result.FromJournal);
        Assert.False(recorded.FromJournal); // the caller's result is not changed
        Assert.Equal(StepOutcome.Failed, result.Outcome);
        Assert.Equal(recorded.Reason, result.Reason);
    }

    [Fact]
    public void Record_IsOneJsonLinePerResult()
    {
        var journal = New();
        journal.Record(Result("a", StepOutcome.Succeeded, "one"));
        journal.Record(Result("b", StepOutcome.AlreadySatisfied, "two"));

        var lines = File.ReadAllLines(JournalPath);

        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("{", l, StringComparison.Ordinal));
        Assert.EndsWith("\n", File.ReadAllText(JournalPath), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TornLastLine_IsIgnored()
    {
        var journal = New();
        journal.Record(Result("a", StepOutcome.Succeeded, "one"));
        journal.Record(Result("b", StepOutcome.Failed, "two"));
        File.AppendAllText(JournalPath, "{\"id\":\"c\",\"outco"); // power lost mid-write

        var reloaded = New();

        Assert.True(reloaded.TryGet("a", out _));
        Assert.True(reloaded.TryGet("b", out var b));
        Assert.Equal("two", b.Reason);
        Assert.False(reloaded.TryGet("c", out _));
        Assert.Equal(["a", "b"], reloaded.RecentIds(10));
    }

    [Fact]
    public void Record_AfterATornLine_IsReadBackAfterTheNextRestart()
    {
        New().Record(Result("a", StepOutcome.Succeeded, "one"));
        File.AppendAllText(JournalPath, "{\"id\":\"torn\",\"outco");

        New().Record(Result("b", StepOutcome.Succeeded, "two"));

        var reloaded = New();
        Assert.True(reloaded.TryGet("b", out var b), File.ReadAllText(JournalPath));
        Assert.Equal("two", b.Reason);
        Assert.True(reloaded.TryGet("a", out _));
        Assert.False(reloaded.TryGet("torn", out _));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{}")]
    [InlineData("{\"id\":\"\",\"outcome\":1}")]
    [InlineData("[1,2,3]")]
    public void Load_GarbageLine_IsSkipped(string garbage)
    {
        New().Record(Result("a", StepOutcome.Succeeded, "one"));
        File.AppendAllText(JournalPath, garbage + "\n");
        New().Record(Result("b", StepOutcome.Succeeded, "two"));

        Assert.Equal(["a", "b"], New().RecentIds(10));
    }

    [Fact]
    public void RecentIds_AreTheLastRecorded()
    {
        var journal = New();
        foreach (var id in new[] { "s1", "s2", "s3", "s4" })
        {
            journal.Record(Result(id, StepOutcome.Succeeded, "ok"));
        }

        Assert.Equal(["s3", "s4"], journal.RecentIds(2));
        Assert.Equal(["s1", "s2", "s3", "s4"], journal.RecentIds(100));
        Assert.Equal(["s2", "s3", "s4"], New().RecentIds(3));
        Assert.Empty(journal.RecentIds(0));
    }

    [Fact]
    public void RecentIds_NoJournal_IsEmpty()
    {
        Assert.Empty(New().RecentIds(10));
        Assert.False(File.Exists(JournalPath)); // reading creates nothing
    }

    private StepJournal New() => new(_root.Paths());

    private static StepResult Result(string id, StepOutcome outcome, string reason) => new() { Id = id, Outcome = outcome, Reason = reason };
}
