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
}
