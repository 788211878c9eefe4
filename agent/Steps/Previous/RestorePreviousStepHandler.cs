using System.Text.RegularExpressions;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Steps.Previous;

/// <summary>
/// restore-previous: puts back every file a rollout replaced on this node, from the agent's own
/// journal (<see cref="ReplaceIndex"/>), not from a list the coordinator sends. First every file is
/// checked and nothing is changed: a journaled path outside the agent's root or with "..", a
/// DIR/.fleet-previous that is a link or a file, a kept copy that is missing, a link, or not at the
/// journaled sha256 fail the step naming every such file. Then file by file: one already at its
/// previous sha256 is left (so a restore killed between two files finishes the rest when run again,
/// and does not touch those done); otherwise its kept copy is renamed into place (the kept copy is
/// consumed) or, where the rollout added a file that was not there before, the file is removed; the
/// folder is flushed and the restore journaled. A rollout that replaced nothing here is already
/// satisfied. No replace runs while a restore does (<see cref="PreviousFiles.ExclusiveAsync"/>).
/// </summary>
public sealed partial class RestorePreviousStepHandler(StepJournal journal, HostPaths paths, PreviousFiles previous, RestoreFailpoint failpoint) : IStepHandler
{
    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.RestorePrevious;

    private enum Action
    {
        Done,
        Rename,
        Remove,
    }

    public Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct) =>
        previous.ExclusiveAsync(() => RestoreAsync(request, progress, ct), ct);

    private async Task<StepResult> RestoreAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var rollout = request.RestorePrevious.RolloutId.Length > 0 ? request.RestorePrevious.RolloutId : request.RolloutId;
        if (!RolloutId().IsMatch(rollout))
        {
            throw new StepFailedException(rollout.Length == 0
                ? "restore-previous names no rollout (neither rollout_id nor the request's own)"
                : $"rollout id \"{Printable(rollout)}\" is not 1 to 64 letters, digits and '-': refusing it");
        }

        var kept = journal.Replaces.ByRollout(rollout);
        if (kept.Count == 0)
        {
            return journal.Replaces.EverReplaced(rollout)
                ? throw new StepFailedException($"the files {rollout} replaced on this node have been replaced again by later rollouts since; Fleet keeps one generation, so nothing of {rollout}'s is kept to restore")
                : Results.AlreadySatisfied(request.Id, $"nothing replaced by {rollout} on this node");
        }

        var plan = await PlanAsync(rollout, kept, ct);
        var changed = 0;
        foreach (var (file, action) in plan)
        {
            ct.ThrowIfCancellationRequested();
            var path = file.Replace.Path;
            var dest = paths.Resolve(path);
            switch (action)
            {
                case Action.Rename:
                    DurableFiles.Rename(PreviousFiles.KeptPath(dest), dest);
                    DurableFiles.SyncFolder(Path.GetDirectoryName(dest)!);
                    DurableFiles.SyncFolder(Path.GetDirectoryName(PreviousFiles.KeptPath(dest))!);
                    break;
                case Action.Remove:
                    File.Delete(dest);
                    DurableFiles.SyncFolder(Path.GetDirectoryName(dest)!);
                    break;
            }

            if (action != Action.Done || !file.Restored)
            {
                journal.Record(new RestoreRecord(rollout, path));
            }

            if (action != Action.Done)
            {
                changed++;
                progress.Log(action == Action.Rename ? $"restored {path} ({VersionText(file.Replace)})" : $"removed {path} (not there before {rollout})");
                await failpoint.ReachedAsync(changed, paths.StateDir, ct);
            }
        }

        var reason = Describe(rollout, kept);
        return changed > 0
            ? Results.Succeeded(request.Id, reason)
            : Results.AlreadySatisfied(request.Id, $"the files {rollout} replaced on this node are already back: {reason}");
    }

    /// <summary>What each file needs, every kept copy verified first; any problem fails the step with nothing changed.</summary>
    private async Task<List<(KeptFile File, Action Action)>> PlanAsync(string rollout, IReadOnlyList<KeptFile> kept, CancellationToken ct)
    {
        var plan = new List<(KeptFile, Action)>();
        var problems = new List<string>();
        foreach (var file in kept)
        {
            var path = file.Replace.Path;
            if (Confined(path) is { } outside)
            {
                problems.Add(outside);
                continue;
            }

            var dest = paths.Resolve(path);
            var keptPath = PreviousFiles.KeptPath(dest);
            var shownKept = PreviousFiles.KeptPath(path);
            try
            {
                PreviousFiles.RequireFolderOrNothing(Path.GetDirectoryName(keptPath)!, path);
            }
            catch (StepFailedException ex)
            {
                problems.Add(ex.Message);
                continue;
            }

            var previousSha = file.Replace.PreviousSha256;
            if (previousSha.Length == 0)
            {
                plan.Add((file, File.Exists(dest) || new FileInfo(dest).LinkTarget is not null ? Action.Remove : Action.Done));
                continue;
            }

            if (File.Exists(dest) && await Sha256Hex.OfFileAsync(dest, ct) == previousSha)
            {
                plan.Add((file, Action.Done));
                continue;
            }

            var info = new FileInfo(keptPath);
            if (info.LinkTarget is not null)
            {
                problems.Add($"the kept copy of {path} ({shownKept}) is a symbolic link: refusing it");
            }
            else if (!info.Exists)
            {
                problems.Add(file.Restored
                    ? $"{path} was restored before and has changed since, and its kept copy is used up: nothing to restore it from"
                    : $"the kept copy of {path} ({shownKept}) is missing");
            }
            else if (await Sha256Hex.OfFileAsync(keptPath, ct) is var actual && actual != previousSha)
            {
                problems.Add($"the kept copy of {path} ({shownKept}) has sha256 {actual}, not the {previousSha} journaled when {rollout} replaced it");
            }
            else
            {
                plan.Add((file, Action.Rename));
            }
        }

        return problems.Count > 0
            ? throw new StepFailedException($"refusing to restore what {rollout} replaced, nothing was changed: {string.Join("; ", problems)}")
            : plan;
    }

    /// <summary>The root confinement of every node path: absolute, no "..", and inside --root once resolved (a journal edited by hand could say anything).</summary>
    private string? Confined(string path)
    {
        if (!path.StartsWith('/') || path.Split('/').Contains("..") || Path.GetFullPath(path) != path)
        {
            return $"the journaled path \"{Printable(path)}\" is not an absolute node path without \"..\": refusing it (was the journal edited?)";
        }

        var real = Path.GetFullPath(paths.Resolve(path));
        return paths.Root == "/" || real.StartsWith(paths.Root.TrimEnd('/') + "/", StringComparison.Ordinal)
            ? null
            : $"the journaled path \"{Printable(path)}\" is outside the agent's root: refusing it";
    }

    private static string Describe(string rollout, IReadOnlyList<KeptFile> kept)
    {
        var restored = kept.Where(k => k.Replace.PreviousSha256.Length > 0).Select(k => $"{k.Replace.Path} ({VersionText(k.Replace)})").ToArray();
        var removed = kept.Where(k => k.Replace.PreviousSha256.Length == 0).Select(k => k.Replace.Path).ToArray();
        var parts = new List<string>();
        if (restored.Length > 0)
        {
            parts.Add("restored " + string.Join(", ", restored));
        }

        if (removed.Length > 0)
        {
            parts.Add($"removed {string.Join(", ", removed)} (not there before {rollout})");
        }

        return string.Join("; ", parts);
    }

    private static string VersionText(ReplaceRecord replace) =>
        replace.PreviousVersion.Length > 0 ? replace.PreviousVersion : $"previous sha256 {replace.PreviousSha256[..12]}, version unknown";

    /// <summary>A hostile id shown without control characters, and not at any length.</summary>
    private static string Printable(string s)
    {
        var shown = new string(s.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return s.Length > 80 ? shown + "…" : shown;
    }

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}\\z")]
    private static partial Regex RolloutId();
}
