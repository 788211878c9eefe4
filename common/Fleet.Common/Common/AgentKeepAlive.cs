namespace Fleet;

/// <summary>
/// The agent's HTTP/2 keepalive towards the coordinator: a ping after <see cref="PingDelay"/> of silence, answered
/// within <see cref="PingTimeout"/>, or the connection is dropped. So a connection outlives a dead link by up to
/// <see cref="SilenceHorizon"/>; what the agent writes meanwhile (heartbeats) is queued and arrives at once when the
/// link returns. The coordinator's heartbeat budget makes room for that queue.
/// </summary>
public static class AgentKeepAlive
{
    public static readonly TimeSpan PingDelay = TimeSpan.FromSeconds(20);

    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(10);

    public static TimeSpan SilenceHorizon => PingDelay + PingTimeout;
}
