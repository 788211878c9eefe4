using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// A small tmpfs mounted on a folder of a test's fixture root (the tests run as root): a file system
/// other than the one the fixture root is on (rename(2) then fails with EXDEV), or one of a chosen size.
/// Unmounted when disposed.
/// </summary>
internal sealed class TmpfsMount : IAsyncDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static async Task<TmpfsMount> MountAsync(string path, string size)
    {
        Directory.CreateDirectory(path);
        var result = await ProcessRun.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", path]).DefaultTimeout();
        Assert.True(result.Code == 0, $"mount tmpfs on {path}: {result.Stderr}");
        return new TmpfsMount(path);
    }

    public async ValueTask DisposeAsync()
    {
        var result = await ProcessRun.RunAsync("umount", [Path]).DefaultTimeout();
        Assert.True(result.Code == 0, $"umount {Path}: {result.Stderr}");
    }
}
