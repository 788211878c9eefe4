namespace Fleet.Agent.Steps;

/// <summary>A step failed for a reason the operator can act on; the message is that reason, one line.</summary>
public sealed class StepFailedException(string reason) : Exception(reason);

/// <summary>A failure worth retrying: a 5xx, a refused or reset connection, a stalled body.</summary>
public sealed class TransientDownloadException(string reason, Exception? inner = null) : Exception(reason, inner);
