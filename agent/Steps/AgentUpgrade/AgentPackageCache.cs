using Fleet.Agent.Configuration;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The agent's package cache, STATE_DIR/agent-packages: fleet-agent_VERSION_DEBARCH.deb, each verified
/// (sha256 while downloading, then its control fields) before it takes that name, so a file in the
/// cache under its name is always a package the agent checked. A failed download or check leaves nothing.
/// </summary>
public sealed class AgentPackageCache(UpgradeFolder folder, Downloader downloader, PackageControlFields fields, AgentOptions options)
{
    /// <summary>Downloads <paramref name="package"/> (sha256, size cap, retries), checks its control fields and stores it; returns its path.</summary>
    public async Task<string> DownloadAsync(AgentPackage package, string debArch, StepProgress progress, CancellationToken ct)
    {
        folder.EnsureDirs();
        var maxBytes = package.MaxBytes > 0 ? package.MaxBytes : options.DownloadMaxBytes;
        var temp = await downloader.DownloadVerifiedAsync(package.Url, package.Sha256, folder.CacheDir, maxBytes, progress, ct);
        try
        {
            await progress.StateAsync(StepState.Verifying, ct);
            await fields.VerifyAsync(temp, package.Version, debArch, progress, ct);
            var dest = folder.PackageFile(package.Version, debArch);
            DurableFiles.Rename(temp, dest);
            DurableFiles.SyncFolder(folder.CacheDir);
            progress.Log($"fleet-agent {package.Version} ({debArch}) verified: sha256 {package.Sha256}, control fields Package, Architecture and Version");
            return dest;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// The package of the version the agent runs now, the way back: the cached one when it verifies
    /// (sha256 = previous.sha256 when the step names one, control fields = <paramref name="version"/>),
    /// else <paramref name="previous"/> downloaded. Neither: "no way back", and nothing changed.
    /// </summary>
    public async Task<string> WayBackAsync(AgentPackage? previous, string version, string debArch, StepProgress progress, CancellationToken ct)
    {
        folder.EnsureDirs();
        var cached = folder.PackageFile(version, debArch);
        string whyNot;
        if (File.Exists(cached))
        {
            whyNot = await CachedProblemAsync(cached, previous, version, debArch, progress, ct) ?? "";
            if (whyNot.Length == 0)
            {
                progress.Log($"the way back: {Path.GetFileName(cached)} in the cache, verified");
                return cached;
            }

            File.Delete(cached); // it is not what its name says
        }
        else
        {
            whyNot = $"{Path.GetFileName(cached)} is not in the cache {folder.CacheDir}";
        }

        if (previous is null)
        {
            throw new StepFailedException($"no way back: {whyNot}, and the step names no previous package; nothing was changed");
        }

        try
        {
            return await DownloadAsync(previous, debArch, progress, ct);
        }
        catch (StepFailedException ex)
        {
            throw new StepFailedException($"no way back: {whyNot}, and the previous package failed: {ex.Message}; nothing was changed");
        }
    }

    private async Task<string?> CachedProblemAsync(string cached, AgentPackage? previous, string version, string debArch, StepProgress progress, CancellationToken ct)
    {
        if (previous is { Sha256.Length: > 0 } && await Sha256Hex.OfFileAsync(cached, ct) is var actual && actual != previous.Sha256)
        {
            return $"the cached {Path.GetFileName(cached)} has sha256 {actual}, not the previous package's {previous.Sha256}";
        }

        try
        {
            await fields.VerifyAsync(cached, version, debArch, progress, ct);
            return null;
        }
        catch (StepFailedException ex)
        {
            return $"the cached {ex.Message}";
        }
    }
}
