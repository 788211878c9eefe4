using Fleet.Agent.Configuration;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The versions of a bare install side by side (docs/agent-upgrades.md, "Agents installed without the
/// package"): BASE/versions/X.Y.Z/fleet-agent, root's, 0755. A new version arrives through a temporary
/// file in its own folder (sha256 and size cap while downloading, then the ELF machine = this node's),
/// flushed, 0755, renamed to fleet-agent: a file there under that name is always one the agent checked.
/// A failed download or check leaves nothing, not even the folder when it made it.
/// </summary>
public sealed class BinaryAgentVersions(Downloader downloader, AgentOptions options, NodeArch arch)
{
    private const UnixFileMode Public = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Why BASE/versions/<paramref name="version"/> cannot receive the new version, or null.</summary>
    public static string? FolderProblem(string baseDir, string version)
    {
        var versions = Path.Join(baseDir, "versions");
        if (FileOwner.Of(versions) is var versionsOwner && versionsOwner != 0)
        {
            return $"{versions} is owned by uid {versionsOwner}, not root";
        }

        var folder = Path.Join(versions, version);
        var info = new DirectoryInfo(folder);
        if (info.LinkTarget is { } target)
        {
            return $"{folder} is a link (to {target}), not a version's own folder";
        }

        if (File.Exists(folder))
        {
            return $"{folder} is a file, not a folder";
        }

        if (info.Exists && FileOwner.Of(folder) is var owner && owner != 0)
        {
            return $"{folder} is owned by uid {owner}, not root";
        }

        return null;
    }

    /// <summary>Downloads <paramref name="package"/> into BASE/versions/VERSION/fleet-agent; returns that path.</summary>
    public async Task<string> DownloadAsync(AgentPackage package, string baseDir, StepProgress progress, CancellationToken ct)
    {
        var folder = Path.Join(baseDir, "versions", package.Version);
        var made = !Directory.Exists(folder);
        Directory.CreateDirectory(folder, Public);
        File.SetUnixFileMode(folder, Public);
        string? temp = null;
        try
        {
            var maxBytes = package.MaxBytes > 0 ? package.MaxBytes : options.DownloadMaxBytes;
            temp = await downloader.DownloadVerifiedAsync(package.Url, package.Sha256, folder, maxBytes, progress, ct);
            await progress.StateAsync(StepState.Verifying, ct);
            ElfMachine.Require(temp, $"fleet-agent {package.Version}", arch.Value);
            File.SetUnixFileMode(temp, Public);
            var dest = PendingUpgrade.BinaryPath(baseDir, package.Version);
            DurableFiles.Rename(temp, dest);
            temp = null;
            DurableFiles.SyncFolder(folder);
            DurableFiles.SyncFolder(Path.GetDirectoryName(folder)!);
            progress.Log($"fleet-agent {package.Version} ({arch.Value.ToName()}) verified: sha256 {package.Sha256}, an ELF executable for {ElfMachine.Name(ElfMachine.For(arch.Value))}; in {dest}");
            return dest;
        }
        catch
        {
            if (temp is not null)
            {
                File.Delete(temp);
            }

            if (made)
            {
                Directory.Delete(folder, recursive: true);
            }

            throw;
        }
    }
}
