namespace Fleet.Coordinator.Agents;

/// <summary>
/// What one node may cost the coordinator (docs/security.md): how long it may wait before its Hello,
/// how large its facts and messages may be, and how often it may say Hello, send a heartbeat or
/// renew its certificate. A node past a rate is answered ResourceExhausted (its stream ends), and
/// <c>fleet_agent_messages_refused_total{reason}</c> counts it.
/// </summary>
public sealed class AgentLimits
{
    /// <summary>A Connect stream that has not sent its Hello by then is ended (DeadlineExceeded).</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest message the agent port reads (gRPC's default is 4 MiB).</summary>
    public int MaxReceiveMessageBytes { get; set; } = 256 * 1024;

    /// <summary>The largest NodeFacts (serialized) a Hello or a heartbeat may carry; larger is refused before any write.</summary>
    public int MaxFactsBytes { get; set; } = 64 * 1024;

    /// <summary>The largest HealthSample (serialized) a heartbeat may carry.</summary>
    public int MaxHealthBytes { get; set; } = 16 * 1024;

    /// <summary>At most this many labels, CNI plugins, and finished step ids in a Hello.</summary>
    public int MaxLabels { get; set; } = 64;

    public int MaxCniPlugins { get; set; } = 256;

    public int MaxFinishedStepIds { get; set; } = 1024;

    /// <summary>Any one string of the facts (a label key or value, a plugin name, the OS release, ...) and any finished step id.</summary>
    public int MaxFieldLength { get; set; } = 1024;

    /// <summary>Hellos (new sessions) a node may send at once, then one per <see cref="HelloRefill"/>.</summary>
    public int HelloBurst { get; set; } = 10;

    public TimeSpan HelloRefill { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Heartbeats a node may send at once beyond those it queued behind a dead link (<see cref="HeartbeatCapacity"/>);
    /// then two per heartbeat interval the coordinator asks for.</summary>
    public int HeartbeatBurst { get; set; } = 10;

    /// <summary>
    /// The heartbeat budget of a node: <see cref="HeartbeatBurst"/>, plus the heartbeats an agent queues while its
    /// connection outlives a dead link (<see cref="AgentKeepAlive.SilenceHorizon"/>), which arrive at once when the
    /// link returns. A partition must not end the session it survived.
    /// </summary>
    public int HeartbeatCapacity(TimeSpan interval) => HeartbeatBurst + (int)Math.Ceiling(AgentKeepAlive.SilenceHorizon / interval);

    /// <summary>RenewCertificate calls a node may make at once, then one per <see cref="RenewalRefill"/>.</summary>
    public int RenewalBurst { get; set; } = 3;

    public TimeSpan RenewalRefill { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Log lines in one StepUpdate; more ends the stream (the agent sends one at a time).</summary>
    public int MaxLogLinesPerMessage { get; set; } = 100;

    /// <summary>A longer log line is cut to this many characters.</summary>
    public int MaxLogLineLength { get; set; } = 1000;

    /// <summary>Log lines kept per step; later ones are dropped (counted in fleet_step_log_lines_dropped_total).</summary>
    public int MaxLogLinesPerStep { get; set; } = 1000;
}
