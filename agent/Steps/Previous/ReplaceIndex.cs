namespace Fleet.Agent.Steps.Previous;

/// <summary>
/// What the journal says about replaced files, kept small in memory: for each path only its latest
/// generation (Fleet keeps one), and the ids of the rollouts that replaced anything (to tell "replaced,
/// but replaced again since" from "never replaced"). Fed by <see cref="StepJournal"/> as it reads and
/// writes the journal, in journal order.
/// </summary>
public sealed class ReplaceIndex
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, KeptFile> _byPath = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rollouts = new(StringComparer.Ordinal);

    /// <summary>The latest generation kept for a node path, or null.</summary>
    public KeptFile? Find(string path)
    {
        lock (_gate)
        {
            return _byPath.GetValueOrDefault(path);
        }
    }

    /// <summary>Every path whose latest generation is this rollout's, by path.</summary>
    public IReadOnlyList<KeptFile> ByRollout(string rollout)
    {
        lock (_gate)
        {
            return _byPath.Values.Where(k => k.Replace.Rollout == rollout).OrderBy(k => k.Replace.Path, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>Whether this rollout ever replaced a file here (its generation may be gone since).</summary>
    public bool EverReplaced(string rollout)
    {
        lock (_gate)
        {
            return _rollouts.Contains(rollout);
        }
    }

    internal void Apply(ReplaceRecord replace)
    {
        lock (_gate)
        {
            _byPath[replace.Path] = new KeptFile(replace, Restored: false);
            _rollouts.Add(replace.Rollout);
        }
    }

    internal void Apply(RestoreRecord restore)
    {
        lock (_gate)
        {
            if (_byPath.TryGetValue(restore.Path, out var kept) && kept.Replace.Rollout == restore.Rollout)
            {
                _byPath[restore.Path] = kept with { Restored = true };
            }
        }
    }
}
