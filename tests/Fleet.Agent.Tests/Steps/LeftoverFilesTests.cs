using Fleet.Agent.Steps;
using Fleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Steps;

/// <summary>What a crash leaves of the agent's temporary files, cleaned at start: only its own, only where it wrote them.</summary>
public sealed class LeftoverFilesTests : IDisposable
{
    private static readonly string Hex = new('a', 32);
    private readonly FixtureRoot _root = new();
    private readonly TempDir _elsewhere = new();

    public void Dispose()
    {
        _root.Dispose();
        _elsewhere.Dispose();
    }

    private LeftoverFiles Files() => new(_root.Paths(), NullLogger<LeftoverFiles>.Instance);

    [Fact]
    public void Clean_AfterACrash_RemovesThePartFileTheStagingFolderAndKubeadmsFolder()
    {
        var bin = _root.CreateDirectory("/usr/local/bin");
        var cni = _root.CreateDirectory("/opt/cni");
        var files = Files();
        var part = files.NewPartFile(bin);
        File.WriteAllText(part, "half a kubectl");
        var staging = files.NewStagingFolder(cni);
        Directory.CreateDirectory(Path.Join(staging, "sub"));
        File.WriteAllText(Path.Join(staging, "sub", "loopback"), "half a plugin");
        var kubeadm = LeftoverFiles.NewKubeadmFolder(_root.Paths().StateDir);
        File.WriteAllText(Path.Join(kubeadm, "join.yaml"), "token: \"abcdef.0123456789abcdef\"\n");

        var removed = Files().Clean(); // a new instance: what the next start sees

        Assert.Equal(new[] { part, staging, kubeadm }.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFileSystemEntries(bin));
        Assert.Empty(Directory.GetFileSystemEntries(cni));
        Assert.Equal([LeftoverFiles.RecordFile], Directory.GetFileSystemEntries(_root.Paths().StateDir).Select(Path.GetFileName));
    }

    [Fact]
    public void NewKubeadmFolder_IsPrivate()
    {
        var folder = LeftoverFiles.NewKubeadmFolder(_root.Paths().StateDir);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
    }

    [Fact]
    public void Clean_KeepsEverythingThatIsNotExactlyItsOwnName()
    {
        var bin = _root.CreateDirectory("/usr/local/bin");
        Files().NewPartFile(bin);
        string[] kept =
        [
            "kubectl", ".fleet-x.part", $".fleet-{Hex}.part.bak", $".fleet-{Hex}", $".fleet-{Hex.ToUpperInvariant()}.part", $".fleet-{Hex[..31]}.part",
            $"fleet-{Hex}.part", $".fleet-staging-{Hex}x", $".fleet-kubeadm-{Hex}", // kubeadm's folders live in the state folder only
        ];
        foreach (var name in kept)
        {
            File.WriteAllText(Path.Join(bin, name), "an operator's file");
        }

        Assert.Empty(Files().Clean());
        Assert.Equal(kept.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(bin).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Clean_LooksOnlyInFoldersItWroteTo()
    {
        var never = _root.CreateDirectory("/etc/never-used");
        var part = Path.Join(never, $".fleet-{Hex}.part");
        File.WriteAllText(part, "not the agent's to remove: it never wrote here");

        Assert.Empty(Files().Clean());
        Assert.True(File.Exists(part));
    }

    [Fact]
    public void Clean_AStagingNameThatIsALink_RemovesTheLinkNotWhatItPointsTo()
    {
        var cni = _root.CreateDirectory("/opt/cni");
        Files().NewStagingFolder(cni);
        File.WriteAllText(_elsewhere.Combine("precious"), "kept");
        var link = Path.Join(cni, $".fleet-staging-{Hex}");
        Directory.CreateSymbolicLink(link, _elsewhere.Path);
        var inside = _root.CreateDirectory($"/opt/cni/.fleet-staging-{new string('b', 32)}");
        File.CreateSymbolicLink(Path.Join(inside, "escape"), _elsewhere.Path);

        var removed = Files().Clean();

        Assert.Equal(2, removed.Count);
        Assert.False(Path.Exists(link));
        Assert.False(Path.Exists(inside));
        Assert.Equal("kept", File.ReadAllText(_elsewhere.Combine("precious")));
    }

    [Fact]
    public void Clean_ARecordThatIsTornOrRelative_NamesNothing()
    {
        var stateDir = _root.Paths().StateDir;
        Directory.CreateDirectory(stateDir);
        File.WriteAllText(Path.Join(stateDir, LeftoverFiles.RecordFile), "relative/dir\n/usr/loc");
        var cwdPart = Path.Join(Environment.CurrentDirectory, "relative", "dir", $".fleet-{Hex}.part");

        Assert.Empty(Files().Clean());
        Assert.False(File.Exists(cwdPart));
    }

    [Fact]
    public void Record_EachFolderOnce()
    {
        var bin = _root.CreateDirectory("/usr/local/bin");
        var files = Files();
        files.NewPartFile(bin);
        files.NewPartFile(bin);
        files.NewStagingFolder(bin);
        Files().NewPartFile(bin);

        Assert.Equal([bin], File.ReadAllLines(Path.Join(_root.Paths().StateDir, LeftoverFiles.RecordFile)));
    }
}
