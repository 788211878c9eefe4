using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// CNI plugins: take the tarball from the staging cache (hashed again) or download it (verified),
/// extract it safely into a staging folder beside the destination, check every plugin's ELF machine, then rename each plugin into place (a concurrent
/// reader sees the old file or the new one, never half of one; each plugin it replaces kept and journaled
/// by <see cref="PreviousFiles"/>), and check the required plugins.
/// </summary>
public sealed class InstallCniPluginsStepHandler(Downloader downloader, StagingCache cache, LeftoverFiles leftovers, HostPaths paths, NodeArch arch, AgentOptions options, PreviousFiles previous) : IStepHandler
{
    public const string DefaultDir = "/opt/cni/bin";

    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.InstallCniPlugins;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var step = request.InstallCniPlugins;
        var nodeDir = step.DestDir.Length > 0 ? step.DestDir : DefaultDir;
        if (!nodeDir.StartsWith('/') || nodeDir.Split('/').Contains("..") || nodeDir.TrimEnd('/') == "")
        {
            throw new StepFailedException($"dest_dir \"{step.DestDir}\" is not an absolute folder without \"..\"");
        }

        var dest = paths.Resolve(nodeDir);
        var parent = Path.GetDirectoryName(dest.TrimEnd('/'))!;
        var required = step.Required.Count > 0 ? step.Required.ToArray() : options.RequiredCniPlugins.ToArray();
        var maxBytes = step.MaxBytes > 0 ? step.MaxBytes : options.DownloadMaxBytes;

        var tarball = await cache.TakeAsync(step.Sha256, parent, progress, ct)
            ?? await downloader.DownloadVerifiedAsync(step.Url, step.Sha256, parent, maxBytes, progress, ct);
        var staging = leftovers.NewStagingFolder(parent);
        try
        {
            await progress.StateAsync(StepState.Verifying, ct);
            var files = await SafeTarExtractor.ExtractAsync(tarball, staging, ExpansionCap(maxBytes), SafeTarExtractor.DefaultMaxEntries, ct);
            // Upstream tarballs ship LICENSE and README.md beside the plugins: a file that is not ELF is
            // no plugin, unless it is a required one (then ElfMachine.Require below says what it is).
            var plugins = files.Where(f => !f.Contains('/') && (required.Contains(f) || ElfMachine.Read(Path.Join(staging, f)) is not null)).ToArray();
            foreach (var ignored in files.Except(plugins))
            {
                progress.Log(ignored.Contains('/')
                    ? $"ignoring {ignored}: plugins live at the top level of the archive"
                    : $"ignoring {ignored}: not an ELF executable");
            }

            foreach (var plugin in plugins)
            {
                ElfMachine.Require(Path.Join(staging, plugin), plugin, arch.Value);
            }

            var missingFromArchive = required.Except(plugins).ToArray();
            if (missingFromArchive.Length > 0)
            {
                throw new StepFailedException($"the archive lacks required plugins: {string.Join(", ", missingFromArchive)}");
            }

            if (await AllIdenticalAsync(plugins, staging, dest, ct))
            {
                return Results.AlreadySatisfied(request.Id, $"{plugins.Length} plugins in {nodeDir} already match the archive");
            }

            await progress.StateAsync(StepState.Installing, ct);
            Directory.CreateDirectory(dest);
            foreach (var plugin in plugins)
            {
                var staged = Path.Join(staging, plugin);
                await previous.ReplaceAsync(request, $"{nodeDir.TrimEnd('/')}/{plugin}", staged, await Sha256Hex.OfFileAsync(staged, ct), step.Component, step.Version, ct);
            }

            var absent = required.Where(p => !IsExecutable(Path.Join(dest, p))).ToArray();
            if (absent.Length > 0)
            {
                throw new StepFailedException($"after installing, {nodeDir} still lacks executable {string.Join(", ", absent)}");
            }

            progress.Log($"installed {plugins.Length} plugins into {nodeDir}: {string.Join(" ", plugins.Order(StringComparer.Ordinal))}");
            return Results.Succeeded(request.Id, $"installed {plugins.Length} plugins into {nodeDir}");
        }
        finally
        {
            File.Delete(tarball);
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>What the tarball may expand to: eight times its size cap, saturating (a cap near long.MaxValue must not wrap negative).</summary>
    internal static long ExpansionCap(long maxBytes) => maxBytes > long.MaxValue / 8 ? long.MaxValue : maxBytes * 8;

    private static async Task<bool> AllIdenticalAsync(string[] plugins, string staging, string dest, CancellationToken ct)
    {
        foreach (var plugin in plugins)
        {
            var installed = Path.Join(dest, plugin);
            if (!IsExecutable(installed) || await Sha256Hex.OfFileAsync(installed, ct) != await Sha256Hex.OfFileAsync(Path.Join(staging, plugin), ct))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0;
}
