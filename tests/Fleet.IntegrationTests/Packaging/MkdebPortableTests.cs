using Fleet.Testing;

namespace Fleet.IntegrationTests.Packaging;

/// <summary>
/// packaging/debian/mkdeb.sh agent-portable packages only a framework-dependent publish: a folder
/// without fleet-agent.dll and its runtimeconfig, or with any native (ELF) file, is refused and no
/// .deb is written. The happy path is the package test.sh makes (<see cref="PortableAgentTests"/>).
/// </summary>
public sealed class MkdebPortableTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Mkdeb => Path.Join(Fixtures.RepoRoot, "packaging", "debian", "mkdeb.sh");

    /// <summary>A copy of the published portable agent (the .deb's /usr/lib/fleet-agent).</summary>
    private string PublishCopy()
    {
        var publish = _dir.Combine("publish");
        foreach (var file in Directory.EnumerateFiles(Path.Join(Fixtures.Require(Fixtures.PortableDeb), "usr/lib/fleet-agent"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Join(publish, Path.GetRelativePath(Path.Join(Fixtures.PortableDeb, "usr/lib/fleet-agent"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return publish;
    }

    private async Task<ProcessOutput> PackageAsync(string publish)
    {
        var output = _dir.Combine("out");
        Directory.CreateDirectory(output);
        var run = await ProcessRun.RunAsync(Mkdeb, ["agent-portable", "armhf", "0.1.0", publish, output]);
        Assert.Empty(Directory.EnumerateFiles(output));
        return run;
    }

    [Fact]
    public async Task APublishWithANativeFile_IsRefused()
    {
        var publish = PublishCopy();
        File.Copy("/bin/true", Path.Join(publish, "runtimes", "libnative.so"));
        var run = await PackageAsync(publish);
        Assert.Equal(1, run.Code);
        Assert.Contains($"mkdeb.sh: {publish} holds 1 ELF files: not a portable build", run.Stderr);
    }

    [Fact]
    public async Task APublishWithAnApphost_IsRefused()
    {
        var publish = PublishCopy();
        File.Copy("/bin/true", Path.Join(publish, "fleet-agent"));
        var run = await PackageAsync(publish);
        Assert.Equal(1, run.Code);
        Assert.Contains("holds 1 ELF files: not a portable build", run.Stderr);
    }

    [Theory]
    [InlineData("fleet-agent.dll")]
    [InlineData("fleet-agent.runtimeconfig.json")]
    public async Task APublishWithoutTheAgentOrItsRuntimeConfig_IsRefused(string missing)
    {
        var publish = PublishCopy();
        File.Delete(Path.Join(publish, missing));
        var run = await PackageAsync(publish);
        Assert.Equal(1, run.Code);
        Assert.Contains($"mkdeb.sh: {publish} is not a framework-dependent fleet-agent (no fleet-agent.dll and runtimeconfig)", run.Stderr);
    }
}
