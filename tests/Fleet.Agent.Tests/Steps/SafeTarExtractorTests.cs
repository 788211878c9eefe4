using System.Formats.Tar;
using System.IO.Compression;
using Fleet.Agent.Steps;
using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// The extractor against hand-built archives. The target lives two folders deep in a temporary
/// folder of its own, so an entry that climbs one or two levels would land where the test looks.
/// </summary>
public sealed class SafeTarExtractorTests : IDisposable
{
    private const long Cap = 1 << 20;
    private readonly TempDir _archives = new();
    private readonly TempDir _outside = new();

    public SafeTarExtractorTests() => Target = _outside.Combine("stage", "target");

    private string Target { get; }

    public void Dispose()
    {
        _archives.Dispose();
        _outside.Dispose();
    }

    [Fact]
    public async Task Extract_RegularFiles_AreWrittenWithSafeModesAndListed()
    {
        var archive = new Tgz()
            .Directory("./")
            .File("./loopback", Elf.X86_64("loopback"), (UnixFileMode)0x9ED) // 04755: setuid
            .File("./bridge", Elf.X86_64("bridge"), (UnixFileMode)0x1FF) // 0777: world-writable
            .File("./README.md", "# plugins\n", (UnixFileMode)0x1B6) // 0666
            .File("./sub/nested", "deeper\n");

        var files = await Extract(archive);

        Assert.Equal(["loopback", "bridge", "README.md", "sub/nested"], files);
        Assert.Equal(Elf.X86_64("loopback"), File.ReadAllBytes(Path.Join(Target, "loopback")));
        Assert.Equal(Elf.X86_64("bridge"), File.ReadAllBytes(Path.Join(Target, "bridge")));
        Assert.Equal("deeper\n", File.ReadAllText(Path.Join(Target, "sub", "nested")));
        Assert.Equal(Tgz.Rwxr_xr_x, File.GetUnixFileMode(Path.Join(Target, "loopback")));
        Assert.Equal(Tgz.Rwxr_xr_x, File.GetUnixFileMode(Path.Join(Target, "bridge")));
        Assert.Equal(Tgz.Rw_r__r__, File.GetUnixFileMode(Path.Join(Target, "README.md")));
        AssertOutsideUntouched();
    }

    [Theory]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.V7)]
    public async Task Extract_OtherTarFormats_AreRead(TarEntryFormat format)
    {
        var files = await Extract(new Tgz(format).File("./portmap", Elf.X86_64("portmap")).File("host-local", Elf.X86_64("host-local")));

        Assert.Equal(["portmap", "host-local"], files);
        Assert.Equal(Elf.X86_64("host-local"), File.ReadAllBytes(Path.Join(Target, "host-local")));
    }

    [Fact]
    public async Task Extract_SymlinkInside_IsCreatedButNotListed()
    {
        var files = await Extract(new Tgz().File("./bridge", Elf.X86_64("bridge")).Symlink("./br", "bridge").Symlink("sub/up", "../bridge"));

        Assert.Equal(["bridge"], files);
        Assert.Equal("bridge", new FileInfo(Path.Join(Target, "br")).LinkTarget);
        Assert.Equal(Elf.X86_64("bridge"), File.ReadAllBytes(Path.Join(Target, "sub", "up")));
    }

    [Fact]
    public async Task Extract_EmptyTar_IsEmptyList()
    {
        var path = _archives.Combine("empty.tgz");
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(new byte[1024]); // the two zero blocks that end a tar archive
        }

        Assert.Empty(await SafeTarExtractor.ExtractAsync(path, Target, Cap, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Target));
    }

    [Theory]
    [InlineData("../escaped")]
    [InlineData("./../escaped")]
    [InlineData("sub/../../escaped")]
    [InlineData("../../escaped")]
    public async Task Extract_ParentSegment_IsRefusedNamingTheEntry(string name)
    {
        var ex = await Refused(new Tgz().File("./loopback", Elf.X86_64()).File(name, "pwned\n"));

        Assert.Contains($"\"{name}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("climbs out", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extract_AbsolutePath_IsRefusedNamingTheEntry()
    {
        var ex = await Refused(new Tgz().File("/etc/x", "pwned\n"));

        Assert.Equal("archive entry \"/etc/x\" has an absolute path; refusing it", ex.Message);
        Assert.False(File.Exists("/etc/x"));
        Assert.False(File.Exists(Path.Join(Target, "etc", "x")));
    }

    [Fact]
    public async Task Extract_AbsoluteDirectory_IsRefused()
    {
        var ex = await Refused(new Tgz().Directory("/etc/fleet-test-absolute/"));

        Assert.Contains("\"/etc/fleet-test-absolute/\"", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists("/etc/fleet-test-absolute"));
    }

    [Fact]
    public async Task Extract_SymlinkToAbsolutePath_IsRefusedNamingTheEntry()
    {
        var ex = await Refused(new Tgz().File("./loopback", Elf.X86_64()).Symlink("./passwd", "/etc/passwd"));

        Assert.Equal("archive entry \"./passwd\" is a link to \"/etc/passwd\", outside the target; refusing it", ex.Message);
        Assert.False(Path.Exists(Path.Join(Target, "passwd")));
    }

    [Theory]
    [InlineData("etc", "../../etc")]
    [InlineData("sub/up", "../../stage")]
    [InlineData("self", ".")]
    [InlineData("sub/root", "..")]
    public async Task Extract_RelativeSymlinkClimbingOut_IsRefusedNamingTheEntry(string name, string target)
    {
        var ex = await Refused(new Tgz().Symlink(name, target).File($"{name}/escaped", "pwned\n"));

        Assert.Equal($"archive entry \"{name}\" is a link to \"{target}\", outside the target; refusing it", ex.Message);
    }

    [Fact]
    public async Task Extract_LinkThroughALinkClimbingOut_IsRefused()
    {
        // a/b/c -> .. is inside (a); x -> a/b/c/../.. looks like a, but the kernel follows c first and
        // lands two levels above a: outside. A file written under x would escape.
        var ex = await Refused(new Tgz()
            .Symlink("a/b/c", "..")
            .Symlink("x", "a/b/c/../..")
            .File("x/escaped", "pwned\n"));

        Assert.Equal("archive entry \"x\" is a link to \"a/b/c/../..\", with \"..\" after a name; refusing it", ex.Message);
    }

    [Fact]
    public async Task Extract_EntryUnderALinkedFolder_IsRefused()
    {
        // d/e/lnk -> ../../top is inside. But a link created *through* lnk lives in top/, one level up
        // from where its name says, so its ../../.. climbs one level more than it appears to.
        var ex = await Refused(new Tgz()
            .Directory("top/")
            .Symlink("d/e/lnk", "../../top")
            .Symlink("d/e/lnk/l2", "../../../stage")
            .File("top/l2/escaped", "pwned\n"));

        Assert.Equal("archive entry \"d/e/lnk/l2\" goes through the link \"d/e/lnk\"; refusing it", ex.Message);
    }

    [Fact]
    public async Task Extract_FileThroughALinkInside_IsRefused()
    {
        // Harmless here, but where a link leads is only known by following it: no entry goes through one.
        var ex = await Refused(new Tgz().Directory("sub/").Symlink("lnk", "sub").File("lnk/file", "through\n"));

        Assert.Equal("archive entry \"lnk/file\" goes through the link \"lnk\"; refusing it", ex.Message);
        Assert.False(File.Exists(Path.Join(Target, "sub", "file")));
    }

    [Fact]
    public async Task Extract_HardLink_IsRefusedNamingTheEntry()
    {
        var ex = await Refused(new Tgz().File("./loopback", Elf.X86_64()).HardLink("./lo", "./loopback"));

        Assert.Equal("archive entry \"./lo\" is a hard link; refusing it", ex.Message);
        Assert.False(Path.Exists(Path.Join(Target, "lo")));
    }

    [Fact]
    public async Task Extract_CharacterDevice_IsRefusedNamingTheEntry()
    {
        var ex = await Refused(new Tgz().CharacterDevice("./mem", 1, 1));

        Assert.Equal("archive entry \"./mem\" is a device or FIFO (CharacterDevice); refusing it", ex.Message);
        Assert.False(Path.Exists(Path.Join(Target, "mem")));
    }

    [Fact]
    public async Task Extract_Fifo_IsRefusedNamingTheEntry()
    {
        var ex = await Refused(new Tgz().Fifo("./pipe"));

        Assert.Equal("archive entry \"./pipe\" is a device or FIFO (Fifo); refusing it", ex.Message);
        Assert.False(Path.Exists(Path.Join(Target, "pipe")));
    }

    [Fact]
    public async Task Extract_DuplicateEntry_IsRefusedAndTheFirstIsKept()
    {
        var ex = await Refused(new Tgz().File("./loopback", Elf.X86_64("first")).File("loopback", Elf.X86_64("second")));

        Assert.Equal("archive entry \"loopback\" appears twice or replaces a link; refusing it", ex.Message);
        Assert.Equal(Elf.X86_64("first"), File.ReadAllBytes(Path.Join(Target, "loopback")));
    }

    [Fact]
    public async Task Extract_FileReplacingALink_IsRefused()
    {
        var ex = await Refused(new Tgz().File("./bridge", Elf.X86_64()).Symlink("./br", "bridge").File("./br", "replaced\n"));

        Assert.Contains("\"./br\"", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Elf.X86_64(), File.ReadAllBytes(Path.Join(Target, "bridge")));
    }

    [Fact]
    public async Task Extract_OverTheCap_IsRefusedBeforeWritingTheEntry()
    {
        var archive = new Tgz().File("./loopback", new byte[600]).File("./bridge", new byte[600]);

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(Write(archive), Target, 1000, CancellationToken.None));

        Assert.Equal("the archive expands beyond 1000 bytes; refusing it", ex.Message);
        Assert.False(File.Exists(Path.Join(Target, "bridge")));
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Extract_ExactlyTheCap_IsAccepted()
    {
        var archive = new Tgz().File("./loopback", new byte[500]).File("./bridge", new byte[500]);

        var files = await SafeTarExtractor.ExtractAsync(Write(archive), Target, 1000, CancellationToken.None);

        Assert.Equal(["loopback", "bridge"], files);
    }

    [Fact]
    public async Task Extract_NotGzip_IsRefused()
    {
        var path = _archives.Combine("plugins.tgz");
        await File.WriteAllTextAsync(path, "<html>403 Forbidden</html>\n");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(path, Target, Cap, CancellationToken.None));

        Assert.StartsWith("not a gzip-compressed tar archive", ex.Message, StringComparison.Ordinal);
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Extract_GzipOfNotATar_IsRefused()
    {
        var path = _archives.Combine("plugins.tgz");
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(Enumerable.Range(0, 2048).Select(i => (byte)(i * 7 % 251 + 1)).ToArray());
        }

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(path, Target, Cap, CancellationToken.None));

        Assert.StartsWith("not a gzip-compressed tar archive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extract_TruncatedArchive_FailsWithAnErrorTheRunnerReports()
    {
        var whole = new Tgz().File("./loopback", Elf.X86_64(new string('l', 40_000))).File("./bridge", Elf.X86_64(new string('b', 40_000))).ToBytes();
        var path = _archives.Combine("plugins.tgz");
        await File.WriteAllBytesAsync(path, whole[..(whole.Length / 2)]);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SafeTarExtractor.ExtractAsync(path, Target, Cap, CancellationToken.None));

        // StepRunner turns these into a Failed result; anything else would escape it.
        Assert.True(ex is StepFailedException or IOException or InvalidDataException, $"{ex.GetType()}: {ex.Message}");
        AssertOutsideUntouched();
    }

    [Fact]
    public async Task Extract_MoreEntriesThanTheCap_IsRefused()
    {
        var archive = new Tgz();
        for (var i = 0; i < 11; i++)
        {
            archive.File($"f{i}", "");
        }

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(Write(archive), Target, Cap, maxEntries: 10, CancellationToken.None));

        Assert.Equal("the archive holds more than 10 entries; refusing it", ex.Message);
    }

    [Fact]
    public async Task Extract_ExactlyTheCapOfEntries_IsExtracted()
    {
        var archive = new Tgz().Directory("d");
        for (var i = 0; i < 9; i++)
        {
            archive.File($"d/f{i}", "");
        }

        Assert.Equal(9, (await SafeTarExtractor.ExtractAsync(Write(archive), Target, Cap, maxEntries: 10, CancellationToken.None)).Count);
    }

    private Task<IReadOnlyList<string>> Extract(Tgz archive) => SafeTarExtractor.ExtractAsync(Write(archive), Target, Cap, CancellationToken.None);

    private async Task<StepFailedException> Refused(Tgz archive)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Extract(archive));
        AssertOutsideUntouched();
        return ex;
    }

    private string Write(Tgz archive) => archive.WriteTo(_archives.Combine($"{Guid.NewGuid():N}.tgz"));

    /// <summary>Everything outside the target: only the folders leading to it.</summary>
    private void AssertOutsideUntouched() => Assert.Equal(["stage"], Listing.Of(_outside.Path).Where(p => p != "stage/target" && !p.StartsWith("stage/target/", StringComparison.Ordinal)));
}
