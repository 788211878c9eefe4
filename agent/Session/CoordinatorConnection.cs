using Fleet.Agent.Configuration;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Session;

/// <summary>
/// Keeps a session with the coordinator open forever: connect, run, and after any failure wait
/// with jittered exponential backoff (capped) and connect again. One log line per attempt.
/// </summary>
public sealed class CoordinatorConnection(
    AgentOptions options,
    AgentSession session,
    Backoff backoff,
    TimeProvider time,
    ILogger<CoordinatorConnection> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var established = false;
            try
            {
                await session.RunAsync(() => established = true, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (established)
                {
                    attempt = 0;
                }

                var delay = backoff.Delay(attempt);
                attempt++;
                AgentLog.SessionFailed(logger, options.Coordinator!.ToString(), attempt, Describe(ex), delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One line, no stack trace: the status and detail of an RPC failure, else the innermost message.</summary>
    internal static string Describe(Exception ex)
    {
        if (ex is RpcException rpc)
        {
            var inner = rpc.Status.DebugException?.GetBaseException().Message;
            return inner is null || rpc.Status.Detail.Contains(inner, StringComparison.Ordinal)
                ? $"{rpc.StatusCode}: {rpc.Status.Detail}"
                : $"{rpc.StatusCode}: {rpc.Status.Detail} ({inner})";
        }

        return ex.GetBaseException().Message;
    }
}
