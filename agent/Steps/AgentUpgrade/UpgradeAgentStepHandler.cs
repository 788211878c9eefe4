using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.V1;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// UpgradeAgent: the agent upgrades itself from its Debian package through the local watchdog
/// (docs/agent-upgrades.md, "What happens on the node"). In this order, every check before anything
/// changes: (a) the watchdog's outcome for this step is reported; (b) an upgrade of this step still
/// pending is waited for; (c) an agent that runs the version, installed by dpkg at that version, is
/// already satisfied; (d) otherwise, after every refusal that applies, the new package and the way
/// back are put in the cache and verified, the pending record written, and the watchdog started
/// outside the agent's service. dpkg then normally restarts this agent, and the next one answers
/// the re-sent step from the outcome. A package of kind BINARY is for an agent installed side by side
/// ("Agents installed without the package"): the new version goes to BASE/versions/T, the way back is
/// the running version's folder, and the watchdog switches BASE/current.
/// </summary>
public sealed class UpgradeAgentStepHandler(
    AgentOptions agentOptions,
    AgentUpgradeOptions options,
    UpgradeFolder folder,
    AgentPackageCache cache,
    BinaryAgentVersions binaries,
    InstalledAgentPackage installed,
    UpgradeWatchdog watchdog,
    UpgradeConfirmation confirmation,
    NodeArch arch,
    HostPaths paths,
    TimeProvider time,
    ILogger<UpgradeAgentStepHandler> logger) : IStepHandler
{
    /// <summary>The deadline when the step gives none.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMinutes(2);

    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.UpgradeAgent;

    private string Running => options.RunningVersion;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var id = request.Id;
        if (!AgentVersionText.IsValidId(id))
        {
            throw Refuse($"the step id {AgentVersionText.Show(id)} is not an id (letters, digits and ._:- only)");
        }

        var step = request.UpgradeAgent;
        if (step.Package is null)
        {
            throw Refuse("package: missing");
        }

        // (a) The watchdog finished this step: its outcome is the answer.
        if (folder.ReadOutcome() is { } outcome)
        {
            if (outcome.Step == id)
            {
                return Report(id, outcome);
            }
        }

        // (b) The watchdog runs for this step: wait for it.
        var pending = folder.ReadPending();
        if (pending is not null && pending.Step == id)
        {
            return await WaitAsync(pending, progress, ct);
        }

        var binary = step.Package.Kind switch
        {
            AgentPackageKind.Unspecified or AgentPackageKind.Deb => false,
            AgentPackageKind.Binary => true,
            _ => throw Refuse($"package.kind: {(int)step.Package.Kind} is not deb or binary"),
        };

        // (c) Already there: dpkg agrees, or BASE/current is the running version's folder.
        var to = step.Package.Version;
        var install = binary ? AgentInstall.Detect(paths, options.ProgramPath, Running) : null;
        if (to == Running && (binary ? install!.Kind == AgentInstallation.Binary : await installed.ProblemAsync(Running, ct) is null))
        {
            return Results.AlreadySatisfied(id, binary
                ? $"fleet-agent {Running} runs from {install!.Base}/versions/{Running}, and {install.Base}/current points there"
                : $"fleet-agent {Running} runs, installed from its package");
        }

        // (d) A new upgrade: every refusal before anything changes.
        var deadline = await CheckAsync(request, step, pending, install, ct);
        ClearFinished(id, progress);

        await progress.StateAsync(StepState.Downloading, ct);
        string package, wayBack;
        if (install is not null)
        {
            package = await binaries.DownloadAsync(step.Package, install.Base, progress, ct);
            wayBack = PendingUpgrade.BinaryPath(install.Base, Running);
            progress.Log($"the way back: {wayBack}, the running version");
        }
        else
        {
            var debArch = DebianArch.Of(arch.Value);
            package = await cache.DownloadAsync(step.Package, debArch, progress, ct);
            try
            {
                wayBack = await cache.WayBackAsync(step.Previous, Running, debArch, progress, ct);
            }
            catch
            {
                File.Delete(package); // no way back: no upgrade, and nothing of it left
                throw;
            }
        }

        var record = new PendingUpgrade(id, request.RolloutId, Running, to, package, wayBack, (int)deadline.TotalSeconds, time.GetUtcNow().ToUnixTimeSeconds(), install?.Base ?? "");
        if (install is null)
        {
            folder.CopyWatchdog(options.WatchdogScript);
        }
        else
        {
            folder.CopyEmbeddedWatchdog(); // a bare install has no packaged script
        }

        folder.WritePending(record);
        await progress.StateAsync(StepState.Installing, ct);
        try
        {
            await watchdog.StartAsync(record, progress, ct);
        }
        catch (StepFailedException ex)
        {
            folder.RemoveRecords();
            throw new StepFailedException($"cannot start the upgrade watchdog {UpgradeWatchdog.Unit}: {ex.Message}; nothing was installed");
        }

        AgentUpgradeLog.WatchdogStarted(logger, id, UpgradeWatchdog.Unit, Running, to, record.DeadlineSeconds);
        progress.Log(install is null
            ? $"the watchdog {UpgradeWatchdog.Unit} installs fleet-agent {to} and waits {DurationText.Format(deadline)} for it to connect (journalctl -u {UpgradeWatchdog.Unit}); this agent is restarted by the installation"
            : $"the watchdog {UpgradeWatchdog.Unit} switches {install.Base}/current to versions/{to}, restarts fleet-agent.service and waits {DurationText.Format(deadline)} for it to connect (journalctl -u {UpgradeWatchdog.Unit})");
        return await WaitAsync(record, progress, ct);
    }

    /// <summary>The refusals of a new upgrade, each naming what is wrong; returns the deadline.</summary>
    /// <param name="install">For a BINARY package, how this agent is installed now; null for the package.</param>
    private async Task<TimeSpan> CheckAsync(StepRequest request, UpgradeAgentStep step, PendingUpgrade? pending, AgentInstallation? install, CancellationToken ct)
    {
        CheckPackage("package", step.Package);
        if (install is not null && step.Previous is not null)
        {
            throw Refuse("previous: a binary upgrade names no previous package (the way back is the running version's folder)");
        }

        if (step.Previous is not null)
        {
            CheckPackage("previous", step.Previous);
            if (step.Previous.Version != Running)
            {
                throw Refuse($"previous.version is {step.Previous.Version}, but this agent runs {Running}");
            }
        }

        if (request.RolloutId.Length > 0 && !AgentVersionText.IsValidId(request.RolloutId))
        {
            throw Refuse($"the rollout id {AgentVersionText.Show(request.RolloutId)} is not an id");
        }

        var deadline = step.Deadline is { } d && d.ToTimeSpan() != TimeSpan.Zero ? d.ToTimeSpan() : DefaultDeadline;
        if (deadline < TimeSpan.FromSeconds(1) || deadline > TimeSpan.FromHours(1) || deadline.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw Refuse($"deadline: {deadline} is not whole seconds from 1s to 1h");
        }

        if (Path.GetFullPath(agentOptions.Root) != "/")
        {
            throw Refuse($"this agent runs with --root {agentOptions.Root}: dpkg installs onto the real /, so an agent in a sandbox does not upgrade itself");
        }

        if (!AgentPackageVersion.IsValid(Running))
        {
            throw Refuse($"this agent's own version {AgentVersionText.Show(Running)} is not X.Y.Z: it was not built as a fleet-agent package");
        }

        if (install is not null)
        {
            CheckSideBySide(install, step.Package.Version);
        }
        else if (await installed.ProblemAsync(Running, ct) is { } problem)
        {
            throw Refuse($"this agent was not installed from the fleet-agent package ({problem}, not \"install ok installed {Running}\"): a deb upgrade needs the package; an agent installed side by side takes fleet-agent-binary");
        }

        if (await watchdog.StateAsync(ct) is var state && UpgradeWatchdog.IsRunning(state))
        {
            throw Refuse(pending is null
                ? $"{UpgradeWatchdog.Unit} is already {state}"
                : $"{UpgradeWatchdog.Unit} is already {state}, upgrading fleet-agent {pending.From} to {pending.To} for step {pending.Step}");
        }

        if (install is null && !File.Exists(options.WatchdogScript))
        {
            throw Refuse($"the upgrade watchdog {options.WatchdogScript} is missing (the fleet-agent package brings it)");
        }

        return deadline;
    }

    /// <summary>A bare install's refusals: the layout, BASE, T's folder, the way back.</summary>
    private void CheckSideBySide(AgentInstallation install, string to)
    {
        if (install.Kind != AgentInstallation.Binary)
        {
            throw Refuse(install.Kind == AgentInstallation.Deb
                ? "the package is a bare binary, but this agent was installed from the fleet-agent package"
                : $"the package is a bare binary, but this agent is not installed side by side ({install.Why})");
        }

        if (!AgentVersionText.IsSafeBase(install.Base))
        {
            throw Refuse($"the install folder {AgentVersionText.Show(install.Base)} is not an absolute path of letters, digits and /._- only (the watchdog would refuse it)");
        }

        if (to == Running)
        {
            throw Refuse($"fleet-agent {to} is the running version; {install.Base}/current does not point at it");
        }

        var wayBack = PendingUpgrade.BinaryPath(install.Base, Running);
        if (new FileInfo(wayBack) is not { Exists: true, LinkTarget: null })
        {
            throw Refuse($"no way back: {wayBack} is not a file of its own");
        }

        if (BinaryAgentVersions.FolderProblem(install.Base, to) is { } problem)
        {
            throw Refuse(problem);
        }
    }

    private void CheckPackage(string name, AgentPackage package)
    {
        if (!AgentPackageVersion.IsValid(package.Version))
        {
            throw Refuse($"{name}.version: {AgentVersionText.Show(package.Version)} is not a version X.Y.Z");
        }

        if (package.Arch != arch.Value)
        {
            throw Refuse(package.Arch switch
            {
                Arch.Unspecified => $"{name}.arch: missing",
                Arch.Amd64 or Arch.Arm64 or Arch.Arm => $"{name}.arch: resolved for {package.Arch.ToName()}, but this node is {arch.Value.ToName()}",
                _ => $"{name}.arch: {(int)package.Arch} is not a known architecture",
            });
        }

        if (!Sha256Text.IsValid(package.Sha256))
        {
            throw Refuse($"{name}.sha256: {AgentVersionText.Show(package.Sha256)} is not 64 lowercase hex characters");
        }

        if (!Uri.TryCreate(package.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Refuse($"{name}.url: {AgentVersionText.Show(package.Url)} is not an http:// or https:// URL");
        }

        if (package.MaxBytes < 0)
        {
            throw Refuse($"{name}.max_bytes: {package.MaxBytes} is negative");
        }
    }

    /// <summary>Records of an upgrade that is over (another step's outcome, a pending record its watchdog left behind): removed.</summary>
    private void ClearFinished(string id, StepProgress progress)
    {
        if (folder.ReadOutcome() is { } stale)
        {
            AgentUpgradeLog.StaleOutcome(logger, stale.Step, stale.From, stale.To, stale.Result.ToString(), id);
        }

        if (File.Exists(folder.PendingFile) || File.Exists(folder.OutcomeFile) || File.Exists(folder.ConfirmedFile))
        {
            progress.Log($"removing the records of an earlier upgrade in {folder.Dir} (no watchdog runs)");
        }

        folder.RemoveRecords();
    }

    /// <summary>Until the watchdog's outcome for this step: a restart of this agent by dpkg ends it first.</summary>
    private async Task<StepResult> WaitAsync(PendingUpgrade pending, StepProgress progress, CancellationToken ct)
    {
        progress.Log($"waiting for the outcome of the upgrade to fleet-agent {pending.To} ({UpgradeWatchdog.Unit})");
        while (true)
        {
            if (pending.To == Running)
            {
                confirmation.ConfirmIfPending();
            }

            if (OutcomeFor(pending.Step) is { } outcome)
            {
                return outcome;
            }

            var gone = folder.ReadPending() is null;
            var state = gone ? "finished" : await watchdog.StateAsync(ct);
            if (gone || !UpgradeWatchdog.IsRunning(state))
            {
                if (OutcomeFor(pending.Step) is { } last)
                {
                    return last; // written just before it ended
                }

                folder.RemoveRecords();
                throw new StepFailedException($"the upgrade watchdog {UpgradeWatchdog.Unit} is {state} and left no outcome for fleet-agent {pending.From} → {pending.To} (journalctl -u {UpgradeWatchdog.Unit}); this agent runs {Running}");
            }

            await Task.Delay(options.PollInterval, time, ct);
        }
    }

    private StepResult? OutcomeFor(string id) => folder.ReadOutcome() is { } outcome && outcome.Step == id ? Report(id, outcome) : null;

    private StepResult Report(string id, UpgradeOutcome outcome)
    {
        var result = outcome.Result switch
        {
            UpgradeResult.Confirmed when outcome.To == Running => Results.Succeeded(id, $"fleet-agent {outcome.From} → {outcome.To}, confirmed after {outcome.Seconds ?? 0} s"),
            UpgradeResult.Confirmed => Results.Failed(id, $"the watchdog confirmed fleet-agent {outcome.To}, but this agent runs {Running}"),
            UpgradeResult.RolledBack => Results.RolledBack(id, $"rolled back to fleet-agent {outcome.From}: {outcome.Reason}"),
            _ => Results.Failed(id, outcome.Reason),
        };

        // The records stay until the next upgrade clears them (ClearFinished): the step runner journals
        // this result only after it returns, and a step re-sent after a crash in between must get the
        // same answer, not start the upgrade again.
        return result;
    }

    private static StepFailedException Refuse(string problem) => new($"refusing to upgrade the agent: {problem}; nothing was changed");
}
