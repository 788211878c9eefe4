using System.Text.Json.Serialization;
using Fleet.V1;

namespace Fleet.Ctl.Rollouts;

/// <summary>A rollout as fleetctl shows it (-o json, docs/output.md): the names the tables use, never protobuf enum spellings.</summary>
public sealed record RolloutView(
    string Id,
    string Name,
    string State,
    string Reason,
    string Recipe,
    int BatchCount,
    int CurrentBatch,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<RolloutNodeView> Nodes,
    StrategyView? Strategy = null,
    IReadOnlyList<string>? SkippedDisconnected = null,
    IReadOnlyList<PhaseView>? Phases = null,
    int CurrentPhase = 0,
    string Gate = "")
{
    /// <summary>strategy.windows: "waiting for window (next: Sat 2026-12-05 02:00 Europe/Berlin)" while no node may start; null otherwise.</summary>
    public string? WindowWait { get; init; }

    /// <summary>With <see cref="WindowWait"/>: when the next window opens.</summary>
    public DateTimeOffset? WindowOpensAt { get; init; }

    /// <summary>"phase 2 of 2 (v1.14.10)" for a multi-hop upgrade, else null.</summary>
    public string? PhaseLine => Phases is { Count: > 1 } p && p.FirstOrDefault(x => x.Number == CurrentPhase) is { } current
        ? $"phase {current.Number} of {p.Count} ({current.Version})"
        : null;

    /// <summary>"skipped, not connected (target.skipDisconnected): pi3, pi4", or null when none was skipped.</summary>
    public string? SkippedLine => SkippedDisconnected is { Count: > 0 } s ? $"skipped, not connected (target.skipDisconnected): {string.Join(", ", s)}" : null;

    public static RolloutView From(Rollout r) => new(
        r.Id,
        r.Name,
        r.State.ToName(),
        r.Reason,
        r.Recipe,
        r.BatchCount,
        r.CurrentBatch,
        r.CreatedAt?.ToDateTimeOffset(),
        r.UpdatedAt?.ToDateTimeOffset(),
        r.FinishedAt?.ToDateTimeOffset(),
        r.Nodes.Select(RolloutNodeView.From).ToArray(),
        r.Strategy is { } s ? StrategyView.From(s) : null,
        [.. r.SkippedDisconnected],
        r.Phases.Select(PhaseView.From).ToArray(),
        r.CurrentPhase,
        r.Gate)
    {
        WindowWait = r.WindowWait.Length > 0 ? r.WindowWait : null,
        WindowOpensAt = r.WindowWait.Length > 0 ? r.WindowOpensAt?.ToDateTimeOffset() : null,
    };
}

/// <summary>One phase of a multi-hop upgrade: its version and its batches (inclusive).</summary>
public sealed record PhaseView(int Number, string Version, int FirstBatch, int LastBatch, string Note)
{
    public static PhaseView From(RolloutPhase p) => new(p.Number, p.Version, p.FirstBatch, p.LastBatch, p.Note);
}

/// <summary>The effective strategy `rollout plan` shows: defaults filled in.</summary>
public sealed record StrategyView(
    string? BatchSize, string? MaxUnavailable, int Canary, string PauseBetweenBatches, string FailureThreshold, string OnFailure, bool KeepCordoned,
    IReadOnlyDictionary<string, string> Timeouts,
    IReadOnlyList<string> Gates)
{
    /// <summary>strategy.windows as written; empty: nodes start at any time.</summary>
    public IReadOnlyList<string> Windows { get; init; } = [];

    /// <summary>strategy.prefetch: a prefetch step first on each node with artifacts.</summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>The plan's webhooks: origin, secret name, events (never a secret's value).</summary>
    public IReadOnlyList<string> Webhooks { get; init; } = [];

    /// <summary>strategy.onNodeFailure: fail or rollback (a worker that fails after a replace is put back).</summary>
    public string OnNodeFailure { get; init; } = "fail";

    public static StrategyView From(RolloutStrategySummary s) => new(
        s.BatchSize.Length > 0 ? s.BatchSize : null,
        s.MaxUnavailable.Length > 0 ? s.MaxUnavailable : null,
        s.Canary,
        s.PauseBetweenBatches,
        s.FailureThreshold,
        s.OnFailure,
        s.KeepCordoned,
        new SortedDictionary<string, string>(s.Timeouts, StringComparer.Ordinal),
        [.. s.Gates])
    {
        Windows = [.. s.Windows],
        Prefetch = s.Prefetch,
        Webhooks = [.. s.Webhooks],
        OnNodeFailure = s.OnNodeFailure.Length > 0 ? s.OnNodeFailure : "fail",
    };

    /// <summary>"batchSize 2, canary 1, pauseBetweenBatches 30s, failureThreshold 1, onFailure pause".</summary>
    public override string ToString() =>
        string.Join(", ", new[]
        {
            BatchSize is null ? $"maxUnavailable {MaxUnavailable}" : $"batchSize {BatchSize}",
            $"canary {Canary}",
            $"pauseBetweenBatches {PauseBetweenBatches}",
            $"failureThreshold {FailureThreshold}",
            $"onFailure {OnFailure}",
            KeepCordoned ? "keepCordoned" : null,
            OnNodeFailure == "fail" ? null : $"onNodeFailure {OnNodeFailure}",
            Prefetch ? null : "prefetch off",
        }.Where(p => p is not null));
}

public sealed record RolloutNodeView(
    string Name,
    string Arch,
    int Batch,
    string State,
    string Error,
    string LastLog,
    long BytesDone,
    long BytesTotal,
    bool CordonedByFleet,
    IReadOnlyList<RolloutStepView> Steps)
{
    /// <summary>The node's version when the rollout was planned (its kubelet's; upgrade-agent: its agent's); empty when unknown.</summary>
    public string FromVersion { get; init; } = "";

    /// <summary>The version the rollout moves the node to (upgrade-agent: the fleet-agent version; upgrade-kubernetes: its
    /// last phase's); empty when there is none. From a coordinator that sends none (before issue 16), for a node with a
    /// from-version: the version its last wait-ready step (not a rollback step) waits for, as fleetctl showed it then.</summary>
    public string ToVersion { get; init; } = "";

    /// <summary>"v1.11.3 → v1.12.5", "0.9.0 → 0.9.1"; "-" for a side that is unknown ("- → v1.12.5"); null when both are.</summary>
    public string? VersionChange =>
        FromVersion.Length == 0 && ToVersion.Length == 0 ? null : $"{Or(FromVersion)} → {Or(ToVersion)}";

    private static string Or(string version) => version.Length > 0 ? version : "-";

    /// <summary>A coordinator before issue 16 sends no to_version: the version its last wait-ready step of a normal pass waits for.</summary>
    private static string WaitReadyVersion(RolloutNode n) =>
        n.Steps.LastOrDefault(s => s.Kind == "wait-ready" && !s.OnFailure) is { } wait && wait.Description.LastIndexOf(" at ", StringComparison.Ordinal) is var at and >= 0
            ? wait.Description[(at + 4)..]
            : "";

    public static RolloutNodeView From(RolloutNode n) => new(
        n.Name,
        n.Arch.IsKnown() ? n.Arch.ToName() : "unknown",
        n.Batch,
        n.State.ToName(),
        n.Error,
        n.LastLog,
        n.BytesDone,
        n.BytesTotal,
        n.CordonedByFleet,
        n.Steps.Select(s => new RolloutStepView(s.Index + 1, s.Kind, s.Description, s.Url, s.Sha256, s.State.ToName(), s.Reason, s.StepId, Math.Max(1, s.Phase), s.OnFailure)).ToArray())
    {
        FromVersion = n.FromVersion,
        ToVersion = n.ToVersion.Length > 0 ? n.ToVersion : n.FromVersion.Length > 0 ? WaitReadyVersion(n) : "",
    };
}

/// <param name="Number">1-based, as the tables show it</param>
/// <param name="Phase">1-based: the phase (hop of a multi-hop upgrade) the step belongs to</param>
/// <param name="OnFailure">part of the node's automatic rollback: runs only if the node fails after a replace</param>
public sealed record RolloutStepView(int Number, string Kind, string Description, string Url, string Sha256, string State, string Reason, string StepId, int Phase = 1, bool OnFailure = false)
{
    /// <summary>The description, with "(on failure)" for a rollback step.</summary>
    public string Shown => OnFailure ? $"{Description} (on failure)" : Description;
}

public sealed record RolloutLogLineView(DateTimeOffset? At, string Node, string Level, string Message)
{
    public static RolloutLogLineView From(RolloutLogLine l) => new(l.At?.ToDateTimeOffset(), l.Node, l.Level, l.Message);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(Fleet.Ctl.Output.Rfc3339Converter)])]
[JsonSerializable(typeof(RolloutView))]
[JsonSerializable(typeof(List<RolloutView>))]
[JsonSerializable(typeof(List<RolloutLogLineView>))]
internal sealed partial class RolloutJson : JsonSerializerContext;
