namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>One item of `strategy.gates` as written in YAML: exactly one of the members is set (docs/rollouts.md).</summary>
public sealed class GateDocument
{
    public NodesReadyGateDocument? NodesReady { get; set; }

    /// <summary>A duration: wait, then check every other gate again.</summary>
    public string? Soak { get; set; }

    public PrometheusGateDocument? Prometheus { get; set; }

    public HttpGateDocument? Http { get; set; }
}

public sealed class NodesReadyGateDocument
{
    /// <summary>targeted (default) or cluster.</summary>
    public string? Scope { get; set; }

    public string? Timeout { get; set; }
}

public sealed class PrometheusGateDocument
{
    /// <summary>The Prometheus server's base URL; Fleet asks its /api/v1/query.</summary>
    public string? Url { get; set; }

    public string? Query { get; set; }

    /// <summary>How long the query must keep returning no series ("0s" or absent: one evaluation).</summary>
    public string? For { get; set; }
}

public sealed class HttpGateDocument
{
    public string? Url { get; set; }

    public int? ExpectStatus { get; set; }
}
