using Fleet.Agent.Hosting;
using Fleet.CommandDocs;
using Fleet.Testing;

namespace Fleet.Agent.Tests.Hosting;

/// <summary>fleet-agent's completion scripts are generated from its command tree (`fleet-agent completion SHELL`); the package installs the checked-in copies.</summary>
public sealed class AgentCompletionTests
{
    [Theory]
    [InlineData("bash", "fleet-agent.bash")]
    [InlineData("zsh", "_fleet-agent")]
    [InlineData("fish", "fleet-agent.fish")]
    public async Task PackagedScript_IsWhatTheCommandTreeGenerates(string shell, string file)
    {
        var script = await Completions.GenerateAsync(Program.Root(), shell);

        Assert.Null(await ManPages.StalenessAsync(script, $"packaging/debian/fleet-agent/completion/{file}", $"fleet-agent completion {shell}"));
    }

    [Fact]
    public async Task Bash_CompletesCommandsOptionsShellsAndFiles_InARealBash()
    {
        var script = await Completions.GenerateAsync(Program.Root(), "bash");
        using var dir = new TempDir();
        await File.WriteAllTextAsync(Path.Join(dir.Path, "agent.json"), "{}");

        Assert.Equal("enroll", await Completions.BashCompleteAsync(script, "fleet-agent", "fleet-agent en"));
        Assert.Equal("--token --token-file", await Completions.BashCompleteAsync(script, "fleet-agent", "fleet-agent enroll --tok"));
        Assert.Equal("--config", await Completions.BashCompleteAsync(script, "fleet-agent", "fleet-agent enroll --conf")); // recursive
        Assert.Equal("--config bash fish zsh", await Completions.BashCompleteAsync(script, "fleet-agent", "fleet-agent completion "));
        Assert.Equal("--state-dir", await Completions.BashCompleteAsync(script, "fleet-agent", "fleet-agent --state"));
        Assert.Equal(Path.Join(dir.Path, "agent.json"), await Completions.BashCompleteAsync(script, "fleet-agent", $"fleet-agent --config {dir.Path}/ag"));
        Assert.Equal(Path.Join(dir.Path, "agent.json"), await Completions.BashCompleteAsync(script, "fleet-agent", $"fleet-agent enroll --token-file {dir.Path}/a"));
    }

    [Fact]
    public async Task BashAndZshScripts_Parse_AndFishCoversEveryCommandAndOption()
    {
        var root = Program.Root();

        Assert.Equal("", await Completions.BashSyntaxErrorsAsync(await Completions.GenerateAsync(root, "bash")));
        var zsh = await Completions.GenerateAsync(root, "zsh");
        Assert.StartsWith("#compdef fleet-agent\n", zsh, StringComparison.Ordinal);
        Assert.EndsWith("then _bash_complete -F _fleet_agent; fi\n", zsh, StringComparison.Ordinal); // completes the Tab that autoloads it
        Assert.Equal("", await Completions.BashSyntaxErrorsAsync(zsh));
        var fish = await Completions.GenerateAsync(root, "fish");
        Assert.Contains("complete -c fleet-agent -n '__fish_use_subcommand' -a enroll", fish, StringComparison.Ordinal);
        Assert.Contains("complete -c fleet-agent -n '__fish_use_subcommand' -l coordinator -r", fish, StringComparison.Ordinal); // the root's own options
        Assert.Contains("complete -c fleet-agent -n '__fish_seen_subcommand_from enroll' -l token-file -r", fish, StringComparison.Ordinal);
        Assert.Contains("complete -c fleet-agent -n '__fish_seen_subcommand_from completion' -a 'bash fish zsh'", fish, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("powershell", "Argument 'powershell' not recognized. Must be one of:")]
    [InlineData("BASH", "Argument 'BASH' not recognized. Must be one of:")]
    [InlineData("", "Argument '' not recognized. Must be one of:")]
    public async Task Completion_OfAnUnknownShell_FailsNamingIt_AndPrintsNoScript(string shell, string message)
    {
        var (code, stdout, stderr) = await Completions.RunAsync(Program.Root(), "completion", shell);

        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains("'fish'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("complete ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Completion_WithoutAShell_FailsAndPrintsNoScript()
    {
        var (code, stdout, stderr) = await Completions.RunAsync(Program.Root(), "completion");

        Assert.NotEqual(0, code);
        Assert.Contains("Required argument missing for command: 'completion'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("complete ", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--no-such-option")]
    [InlineData("--help")] // an option, but not one that takes a path
    [InlineData("config")] // a name without its dashes
    public void Generation_FailsNamingIt_WhenAFileOptionIsNotAValuedOptionOfTheTree(string option)
    {
        var info = AgentManPage.Info with { FileOptions = ["--config", option] };

        var error = Assert.Throws<InvalidOperationException>(() => CompletionScripts.For("bash", Program.Root(), info));

        Assert.Contains($"file option(s) {option} are not options", error.Message, StringComparison.Ordinal);
    }
}
