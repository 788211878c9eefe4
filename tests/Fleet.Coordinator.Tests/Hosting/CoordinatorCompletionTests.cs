using Fleet.CommandDocs;
using Fleet.Coordinator.Hosting;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Hosting;

/// <summary>fleet-coordinator's completion scripts are generated from its command tree (`fleet-coordinator completion SHELL`); the package installs the checked-in copies.</summary>
public sealed class CoordinatorCompletionTests
{
    [Theory]
    [InlineData("bash", "fleet-coordinator.bash")]
    [InlineData("zsh", "_fleet-coordinator")]
    [InlineData("fish", "fleet-coordinator.fish")]
    public async Task PackagedScript_IsWhatTheCommandTreeGenerates(string shell, string file)
    {
        var script = await Completions.GenerateAsync(Program.Root(), shell);

        Assert.Null(await ManPages.StalenessAsync(script, $"packaging/debian/fleet-coordinator/completion/{file}", $"fleet-coordinator completion {shell}"));
    }

    [Fact]
    public async Task Bash_CompletesCommandsOptionsShellsAndFiles_InARealBash()
    {
        var script = await Completions.GenerateAsync(Program.Root(), "bash");
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Join(dir.Path, "data"));

        Assert.Equal("completion", await Completions.BashCompleteAsync(script, "fleet-coordinator", "fleet-coordinator comp"));
        Assert.Equal("--require-approval", await Completions.BashCompleteAsync(script, "fleet-coordinator", "fleet-coordinator --req"));
        Assert.Equal("--tls-san", await Completions.BashCompleteAsync(script, "fleet-coordinator", "fleet-coordinator --listen 127.0.0.1:7443 --tls"));
        Assert.Equal("bash fish zsh", await Completions.BashCompleteAsync(script, "fleet-coordinator", "fleet-coordinator completion "));
        Assert.Equal(Path.Join(dir.Path, "data"), await Completions.BashCompleteAsync(script, "fleet-coordinator", $"fleet-coordinator --data-dir {dir.Path}/d"));
        Assert.Equal("", await Completions.BashCompleteAsync(script, "fleet-coordinator", "fleet-coordinator man --")); // man takes no option
    }

    [Fact]
    public async Task BashAndZshScripts_Parse_AndFishCoversTheRootsOptions()
    {
        var root = Program.Root();

        Assert.Equal("", await Completions.BashSyntaxErrorsAsync(await Completions.GenerateAsync(root, "bash")));
        var zsh = await Completions.GenerateAsync(root, "zsh");
        Assert.StartsWith("#compdef fleet-coordinator\n", zsh, StringComparison.Ordinal);
        Assert.EndsWith("then _bash_complete -F _fleet_coordinator; fi\n", zsh, StringComparison.Ordinal); // completes the Tab that autoloads it
        Assert.Equal("", await Completions.BashSyntaxErrorsAsync(zsh));
        var fish = await Completions.GenerateAsync(root, "fish");
        Assert.All(root.Options.Where(o => !o.Hidden && o.Name is not ("--help" or "--version")),
            o => Assert.Contains($"complete -c fleet-coordinator -n '__fish_use_subcommand' -l {o.Name.TrimStart('-')}", fish, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("powershell")]
    [InlineData("bash; rm -rf /")]
    public async Task Completion_OfAnUnknownShell_FailsNamingIt_AndPrintsNoScript(string shell)
    {
        var (code, stdout, stderr) = await Completions.RunAsync(Program.Root(), "completion", shell);

        Assert.NotEqual(0, code);
        Assert.Contains($"Argument '{shell}' not recognized. Must be one of:", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("complete ", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--require-approval")] // a flag: it takes no value, let alone a path
    [InlineData("--data_dir")]
    public void Generation_FailsNamingIt_WhenAFileOptionIsNotAValuedOptionOfTheTree(string option)
    {
        var info = CoordinatorManPage.Info with { FileOptions = [option, "--socket"] };

        var error = Assert.Throws<InvalidOperationException>(() => CompletionScripts.For("zsh", Program.Root(), info));

        Assert.Contains($"file option(s) {option} are not options", error.Message, StringComparison.Ordinal);
    }
}
