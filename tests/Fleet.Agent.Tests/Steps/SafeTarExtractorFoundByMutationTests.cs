using System.IO.Compression;
using Fleet.Agent.Steps;
using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps;

/// <summary>The archives <see cref="SafeTarExtractorMutationTests"/> found answered with an unexpected exception, kept as plain cases.</summary>
public sealed class SafeTarExtractorFoundByMutationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(512 + 512 + 148)] // the second entry's header checksum
    [InlineData(512 + 512 + 124)] // the second entry's size field
    public async Task ACorruptHeaderAfterTheFirstEntry_IsAStepFailure(int offset)
    {
        var tar = GzipBytes.Decompress(new Tgz(System.Formats.Tar.TarEntryFormat.Ustar).File("./a", "first\n").File("./b", "second\n").ToBytes());
        tar[offset] = (byte)'x';
        var archive = _dir.Combine("corrupt.tgz");
        await File.WriteAllBytesAsync(archive, GzipBytes.Compress(tar));
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(archive, _dir.Combine("stage", "target"), 1 << 20, CancellationToken.None));
        Assert.StartsWith("not a gzip-compressed tar archive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGzipStreamThatBreaksInsideAnEntry_IsAStepFailure()
    {
        var tgz = new Tgz().File("./a", new byte[4096]).File("./b", "second\n").ToBytes();
        var archive = _dir.Combine("truncated.tgz");
        await File.WriteAllBytesAsync(archive, tgz[..(tgz.Length / 2)]);
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(archive, _dir.Combine("stage2", "target"), 1 << 20, CancellationToken.None));
        Assert.StartsWith("not a gzip-compressed tar archive", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A PAX header whose mtime is too large for a date (System.Formats.Tar throws OverflowException): found by
    /// seed 31337 #58, whose PAX seed archive carries the time it was made, so it shows only on some runs.</summary>
    [Fact]
    public async Task APaxTimestampTooLargeForADate_IsAStepFailure()
    {
        const string Hex =
            "1F8B0800000000000403D2D30F48ACF0484D4C492D2AD63334343030D7D763A032303030303033316100D1060606E8B4818189398A8D0606E6E62666"
            + "0C0A1528A234E29416972416311818D0C8F8C10E0C0D150A124B326CF5F4B98C2C14724B3273536D0DCD2D4D2D2D8CCC0C4C75CC2D4C8D0C2D0DB906"
            + "BB3746DD4726D0D327532309DA40F9DEDCD4143DDFC3F820690643536303634303231343903A3343636306055312EC205BE908CFFF83A2FC37C552FE"
            + "9B8F96FFF4008696B0F23F273FBF202931391B673D60646C3A5A0F0C37E0A70F8B77DAF90C54C0E32BFF0D0D0DD0CA7F733313630605BAB4C94678F9"
            + "5FEFEA06ED530F31AE1855432E1814F5BFB9198AF341FD3F5383D1FA9F1EC0D01851FFE3AEF94D0CB98C0C157232F3";
        var archive = _dir.Combine("overflow.tgz");
        await File.WriteAllBytesAsync(archive, Convert.FromHexString(Hex));
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(archive, _dir.Combine("stage3", "target"), 1 << 20, CancellationToken.None));
        Assert.StartsWith("not a gzip-compressed tar archive", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A symbolic link whose target holds a NUL (a PAX linkpath can): Path.GetFullPath threw ArgumentException.
    /// Found by seed 31337 #314, whose seed archive carries the time it was made, so it shows only on some runs.</summary>
    [Fact]
    public async Task ALinkTargetWithANul_IsRefusedNamingTheEntry()
    {
        var archive = _dir.Combine("nul-link.tgz");
        await File.WriteAllBytesAsync(archive, new Tgz(System.Formats.Tar.TarEntryFormat.Pax).File("./a", "first\n").Symlink("./l", "a\0b").ToBytes());

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => SafeTarExtractor.ExtractAsync(archive, _dir.Combine("stage4", "target"), 1 << 20, CancellationToken.None));

        Assert.Equal("archive entry \"./l\" is a link to a name with a NUL character; refusing it", ex.Message);
        Assert.False(Path.Exists(_dir.Combine("stage4", "target", "l")));
    }
}
