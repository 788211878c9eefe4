using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.AgentUpgrade;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>The confirmation the new agent writes for the watchdog: only for an upgrade to its own version; never a failure of the session.</summary>
public sealed class UpgradeConfirmationTests : IDisposable
{
    private readonly FixtureRoot _root = new();
    private readonly UpgradeFolder _folder;

    public UpgradeConfirmationTests() => _folder = new UpgradeFolder(new HostPaths(_root.Options()));

    public void Dispose() => _root.Dispose();

    [Fact]
    public void ConfirmIfPending_UpgradeToThisVersion_WritesItsVersion_Once()
    {
        Pending("0.9.1");

        Assert.True(Confirmation("0.9.1").ConfirmIfPending());
        var written = File.GetLastWriteTimeUtc(_folder.ConfirmedFile);
        Assert.True(Confirmation("0.9.1").ConfirmIfPending());

        Assert.Equal("0.9.1\n", File.ReadAllText(_folder.ConfirmedFile));
        Assert.Equal(written, File.GetLastWriteTimeUtc(_folder.ConfirmedFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_folder.ConfirmedFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder.Dir));
    }

    [Theory]
    [InlineData("0.9.0")] // the old agent, restarted before dpkg replaced it
    [InlineData("0.9.10")]
    public void ConfirmIfPending_UpgradeToAnotherVersion_WritesNothing(string running)
    {
        Pending("0.9.1");

        Assert.False(Confirmation(running).ConfirmIfPending());

        Assert.False(File.Exists(_folder.ConfirmedFile));
    }

    [Fact]
    public void ConfirmIfPending_NothingPending_WritesNothing()
    {
        Assert.False(Confirmation("0.9.1").ConfirmIfPending());

        Assert.False(Directory.Exists(_folder.Dir));
    }

    [Theory]
    [InlineData("step=r7\nfrom=0.9.0\nto=0.9.1\n")] // torn: keys missing
    [InlineData("to=0.9.1\nto=0.9.1\n")]
    [InlineData("\0\0\0")]
    public void ConfirmIfPending_UnusablePendingRecord_WritesNothing_DoesNotThrow(string text)
    {
        _folder.EnsureDirs();
        File.WriteAllText(_folder.PendingFile, text);

        Assert.False(Confirmation("0.9.1").ConfirmIfPending());

        Assert.False(File.Exists(_folder.ConfirmedFile));
    }

    private UpgradeConfirmation Confirmation(string running) =>
        new(_folder, new AgentUpgradeOptions { RunningVersion = running }, NullLogger<UpgradeConfirmation>.Instance);

    private void Pending(string to) => _folder.WritePending(new PendingUpgrade("r7-abc-node-1-0", "r7", "0.9.0", to,
        _folder.PackageFile(to, "amd64"), _folder.PackageFile("0.9.0", "amd64"), 120, 1_780_000_000));
}
