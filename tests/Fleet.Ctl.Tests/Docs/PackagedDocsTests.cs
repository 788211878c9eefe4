namespace Fleet.Ctl.Tests.Docs;

/// <summary>The man page and completion scripts the package installs are the ones the command tree generates: regenerate them when a command changes.</summary>
public sealed class PackagedDocsTests
{
    [Theory]
    [InlineData("fleetctl.1", "man")]
    [InlineData("completion/fleetctl.bash", "completion bash")]
    [InlineData("completion/_fleetctl", "completion zsh")]
    [InlineData("completion/fleetctl.fish", "completion fish")]
    public async Task PackagedFile_IsWhatTheCommandTreeGenerates(string file, string command)
    {
        var path = Path.Join(RepoRoot(), "packaging", "debian", "fleet-coordinator", file);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await FleetCtl.RunAsync(command.Split(' '), stdout, stderr, new Dictionary<string, string?>()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, code);
        Assert.True(
            stdout.ToString() == await File.ReadAllTextAsync(path),
            $"{path} is stale: regenerate it with `fleetctl {command} > {path}`");
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Join(dir.FullName, "Fleet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Fleet.sln above {AppContext.BaseDirectory}");
    }
}
