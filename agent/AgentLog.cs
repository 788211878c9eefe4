using Microsoft.Extensions.Logging;

namespace Fleet.Agent;

/// <summary>The agent's log events, source-generated so their properties stay structured.</summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Connected to the coordinator as node {NodeId}; heartbeat every {IntervalSeconds} s")]
    public static partial void Connected(ILogger logger, string nodeId, double intervalSeconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Session with {Coordinator} failed (attempt {Attempt}): {Reason}; retrying in {DelaySeconds:0.0} s")]
    public static partial void SessionFailed(ILogger logger, string coordinator, int attempt, string reason, double delaySeconds);

    [LoggerMessage(EventId = 20, Level = LogLevel.Critical, Message = "The coordinator {Coordinator} refuses this node's certificate for good ({Refusal}): {Detail}. Retrying cannot help: enroll the node again (fleetctl token create on the coordinator, then fleet-agent enroll here) and start the agent; stopping with exit code {ExitCode}")]
    public static partial void IdentityRefused(ILogger logger, string coordinator, string refusal, string detail, int exitCode);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Ignoring a coordinator message this agent does not know: {Kind}")]
    public static partial void UnknownMessage(ILogger logger, string kind);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Could not read the version of {Path}: {Reason}")]
    public static partial void VersionProbeFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "fleet-agent {Version} starting: coordinator {Coordinator}, root {Root}, state {StateDir}")]
    public static partial void Starting(ILogger logger, string version, string coordinator, string root, string stateDir);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Step {StepId} ({Kind}) started")]
    public static partial void StepStarted(ILogger logger, string stepId, string kind);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Step {StepId} finished: {Outcome} {Reason}")]
    public static partial void StepFinished(ILogger logger, string stepId, string outcome, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Download of {Url} failed (attempt {Attempt}): {Reason}")]
    public static partial void DownloadRetry(ILogger logger, string url, int attempt, string reason);
    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Enrolled as node {Node} (id {NodeId}) with {Coordinator}; certificate valid until {NotAfter:u}")]
    public static partial void Enrolled(ILogger logger, string node, string nodeId, string coordinator, DateTime notAfter);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Could not connect to {Coordinator} to enroll (attempt {Attempt}): {Reason}; retrying in {DelaySeconds:0.0} s")]
    public static partial void EnrollRetrying(ILogger logger, string coordinator, int attempt, string reason, double delaySeconds);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Renewed the node certificate; valid until {NotAfter:u}")]
    public static partial void CertificateRenewed(ILogger logger, DateTime notAfter);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Could not renew the node certificate (valid until {NotAfter:u}): {Reason}; retrying in {RetryMinutes} min")]
    public static partial void RenewalFailed(ILogger logger, string reason, DateTime notAfter, double retryMinutes);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Step {StepId}: running {CommandLine}")]
    public static partial void ProcessStarting(ILogger logger, string stepId, string commandLine);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Step {StepId}: {Program} exited with code {ExitCode}")]
    public static partial void ProcessExited(ILogger logger, string stepId, string program, int exitCode);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Step {StepId}: killed {Program} (pid {Pid}) and every process it started")]
    public static partial void ProcessKilled(ILogger logger, string stepId, string program, int pid);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Step {StepId}: the output of {Program} was still open {GraceSeconds} s after it ended (a process it left behind?); no longer reading it")]
    public static partial void ProcessOutputLeftOpen(ILogger logger, string stepId, string program, double graceSeconds);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "{ConfigFile} still holds a join token, which an enrolled node does not need: remove the \"token\" setting")]
    public static partial void TokenLeftInConfig(ILogger logger, string configFile);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "Removed {Path}, left behind by an earlier run that did not finish")]
    public static partial void LeftoverRemoved(ILogger logger, string path);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "Could not remove {Path}, left behind by an earlier run: {Reason}")]
    public static partial void LeftoverNotRemoved(ILogger logger, string path, string reason);
}
