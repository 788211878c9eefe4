namespace Fleet.Agent.Steps;

/// <summary>A step failed for a reason the operator can act on; the message is that reason, one line.</summary>
public sealed class StepFailedException(string reason) : Exception(reason);

/// <summary>
/// A failure worth retrying: a 5xx, 408, 429, an unreachable host, a refused or reset connection, a
/// stalled body. <paramref name="retryAtOnce"/>: the file starts over (a wrong 206, a 416), no wait needed.
/// </summary>
public sealed class TransientDownloadException(string reason, Exception? inner = null, bool retryAtOnce = false) : Exception(reason, inner)
{
    public bool RetryAtOnce => retryAtOnce;
}
