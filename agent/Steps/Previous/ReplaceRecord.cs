namespace Fleet.Agent.Steps.Previous;

/// <summary>
/// One file Fleet replaced on the node, journaled (flushed) before the new file is renamed over it.
/// <see cref="PreviousSha256"/> is what the kept copy (DIR/.fleet-previous/NAME) holds, "" when there
/// was no file (restoring then removes the one Fleet added); for a later hop of the same rollout it is
/// still the first hop's (the rollout's first replace keeps, <see cref="PreviousFiles"/>).
/// <see cref="PreviousVersion"/> is the version Fleet recorded when it installed that previous file, ""
/// when unknown. <see cref="Path"/> is a node path (/usr/local/bin/kubelet), not a --root one.
/// </summary>
public sealed record ReplaceRecord(
    string Rollout,
    string Path,
    string PreviousSha256,
    string PreviousVersion,
    string Sha256,
    string Component,
    string Version,
    string StepId);

/// <summary>The file a rollout replaced at <see cref="Path"/> is back (renamed from its kept copy, or removed).</summary>
public sealed record RestoreRecord(string Rollout, string Path);

/// <summary>The latest generation kept for one path: the rollout that replaced it last, and whether it was put back since.</summary>
public sealed record KeptFile(ReplaceRecord Replace, bool Restored);
