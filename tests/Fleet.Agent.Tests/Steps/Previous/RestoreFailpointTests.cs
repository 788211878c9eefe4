using Fleet.Agent.Steps.Previous;
using Fleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Steps.Previous;

public sealed class RestoreFailpointTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("restore-after-file:1", 1)]
    [InlineData("restore-after-file:12", 12)]
    [InlineData("restore-after-file:0", null)]
    [InlineData("restore-after-file:-1", null)]
    [InlineData("restore-after-file:1 ", null)]
    [InlineData("restore-after-file:99999", null)]
    [InlineData("download-after-byte:1", null)]
    public void FromEnvironment_OnlyTheOneShapeArmsIt(string? value, int? afterFile)
    {
        var failpoint = RestoreFailpoint.FromEnvironment(name => name == RestoreFailpoint.Variable ? value : null, NullLogger.Instance);

        Assert.Equal(afterFile, failpoint.AfterFile);
    }

    [Fact]
    public async Task Reached_AtItsCount_WritesTheMarkerAndWaitsUntilCancelled_ElsewherePassesThrough()
    {
        using var dir = new TempDir();
        var failpoint = RestoreFailpoint.AfterFiles(2);

        await failpoint.ReachedAsync(1, dir.Path, CancellationToken.None).DefaultTimeout();
        Assert.False(File.Exists(Path.Join(dir.Path, RestoreFailpoint.MarkerFile)));

        using var stop = new CancellationTokenSource();
        var waiting = failpoint.ReachedAsync(2, dir.Path, stop.Token);
        var marker = Path.Join(dir.Path, RestoreFailpoint.MarkerFile);
        for (var i = 0; i < 1000 && !File.Exists(marker); i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal("restore-after-file:2\n", await File.ReadAllTextAsync(marker));
        Assert.False(waiting.IsCompleted);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting).DefaultTimeout();
    }
}
