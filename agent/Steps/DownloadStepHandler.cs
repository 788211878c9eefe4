using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// Download: taken from the staging cache when a prefetch staged it (hashed again), else downloaded
/// and verified in one pass; checked for this node's ELF machine, renamed into place, the file it
/// replaces kept and journaled (<see cref="PreviousFiles"/>).
/// </summary>
public sealed class DownloadStepHandler(Downloader downloader, StagingCache cache, HostPaths paths, NodeArch arch, AgentOptions options, PreviousFiles previous) : IStepHandler
{
    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.Download;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var step = request.Download;
        if (!step.Dest.StartsWith('/') || step.Dest.Split('/').Contains(".."))
        {
            throw new StepFailedException($"dest \"{step.Dest}\" is not an absolute path without \"..\"");
        }

        var dest = paths.Resolve(step.Dest);
        var mode = Mode(step.Mode);
        if (File.Exists(dest) && await Sha256Hex.OfFileAsync(dest, ct) == step.Sha256)
        {
            File.SetUnixFileMode(dest, mode);
            cache.Remove(step.Sha256);
            return Results.AlreadySatisfied(request.Id, $"{step.Dest} already has sha256 {step.Sha256}");
        }

        var destDir = Path.GetDirectoryName(dest)!;
        var temp = await cache.TakeAsync(step.Sha256, destDir, progress, ct)
            ?? await downloader.DownloadVerifiedAsync(step.Url, step.Sha256, destDir, MaxBytes(step.MaxBytes), progress, ct);
        try
        {
            await progress.StateAsync(StepState.Verifying, ct);
            if (step.Executable)
            {
                ElfMachine.Require(temp, Path.GetFileName(step.Dest), arch.Value);
            }

            File.SetUnixFileMode(temp, mode);
            await progress.StateAsync(StepState.Installing, ct);
            await previous.ReplaceAsync(request, step.Dest, temp, step.Sha256, step.Component, step.Version, ct);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        progress.Log($"installed {step.Dest} (sha256 {step.Sha256})");
        return Results.Succeeded(request.Id, $"installed {step.Dest}");
    }

    /// <summary>The mode asked for (0644 when none), or a failure naming it (<see cref="DownloadMode"/>).</summary>
    internal static UnixFileMode Mode(uint requested) =>
        DownloadMode.Problem(requested) is { } problem ? throw new StepFailedException(problem)
        : (UnixFileMode)(requested == 0 ? DownloadMode.Default : requested);

    private long MaxBytes(long requested) => requested > 0 ? requested : options.DownloadMaxBytes;
}
