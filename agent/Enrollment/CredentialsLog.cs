using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Enrollment;

/// <summary>Log events of the node's credentials and of its trust in the coordinator.</summary>
internal static partial class CredentialsLog
{
    [LoggerMessage(EventId = 60, Level = LogLevel.Warning, Message = "Refused the TLS certificate of {Host}: {Reason}; nothing was sent (not the coordinator, or someone in between)")]
    public static partial void CoordinatorRefused(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "The newest node credentials do not hold together ({Problem}); using {Folder}")]
    public static partial void PassedOver(ILogger logger, string problem, string folder);

    [LoggerMessage(EventId = 62, Level = LogLevel.Error, Message = "Could not store the renewed node credentials ({Reason}); they are in use, and storing is retried in {RetryMinutes} min")]
    public static partial void SaveFailed(ILogger logger, string reason, double retryMinutes);
}
