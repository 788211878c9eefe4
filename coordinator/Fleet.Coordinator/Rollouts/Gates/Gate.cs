using System.Globalization;

namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>A validated gate of `strategy.gates`, checked after every batch (<see cref="GateChecker"/>).</summary>
public abstract record Gate
{
    /// <summary>The gate's key in a plan ("nodesReady", "soak", "prometheus", "http"): the label of the gate-wait metric.</summary>
    public abstract string Kind { get; }

    /// <summary>How `rollout plan`, the log and the reasons name the gate.</summary>
    public abstract string Describe();
}

public enum GateScope
{
    /// <summary>The rollout's nodes that have started (at the end of the rollout: all of them).</summary>
    Targeted,

    /// <summary>Every node the Kubernetes API lists.</summary>
    Cluster,
}

public sealed record NodesReadyGate(GateScope Scope, TimeSpan Timeout) : Gate
{
    public override string Kind => "nodesReady";

    public override string Describe() => $"nodesReady {(Scope == GateScope.Cluster ? "cluster" : "targeted")} (timeout {DurationText.Format(Timeout)})";
}

public sealed record SoakGate(TimeSpan Duration) : Gate
{
    public override string Kind => "soak";

    public override string Describe() => $"soak {DurationText.Format(Duration)}";
}

/// <param name="Url">the server's base URL (no query string); the query goes to its /api/v1/query</param>
/// <param name="For">how long the query must keep returning no series; zero: one evaluation</param>
public sealed record PrometheusGate(Uri Url, string Query, TimeSpan For) : Gate
{
    public override string Kind => "prometheus";

    public override string Describe() => $"prometheus {Url.GetLeftPart(UriPartial.Path).TrimEnd('/')}: `{Query}` returns no series{(For > TimeSpan.Zero ? $" for {DurationText.Format(For)}" : "")}";
}

public sealed record HttpGate(Uri Url, int ExpectStatus) : Gate
{
    public override string Kind => "http";

    public override string Describe() => $"http GET {Url} answers {ExpectStatus.ToString(CultureInfo.InvariantCulture)}";
}
