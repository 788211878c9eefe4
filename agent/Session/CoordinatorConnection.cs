using System.Security.Cryptography.X509Certificates;
using Fleet.Agent.Configuration;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Hosting;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Session;

/// <summary>
/// Keeps a session with the coordinator open: connect, run, and after any failure wait with jittered
/// exponential backoff (capped) and connect again. One log line per attempt. The one failure it does
/// not retry is the coordinator's definitive refusal of the certificate the node holds now (revoked,
/// node removed, or not issued by it: <see cref="IdentityRefusal"/>): retrying cannot succeed, so the
/// agent says what to do and stops with <see cref="AgentExit.IdentityRefusedCode"/>, which the systemd unit
/// does not restart.
/// </summary>
public sealed class CoordinatorConnection(
    AgentOptions options,
    AgentSession session,
    Backoff backoff,
    SystemdStatus systemd,
    NodeCredentials credentials,
    AgentExit exit,
    TimeProvider time,
    ILogger<CoordinatorConnection> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await LoopAsync(stoppingToken);
        }
        finally
        {
            systemd.Stopping();
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var coordinator = options.Coordinator!.ToString();
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var established = false;
            try
            {
                // The main loop: systemd's watchdog is pinged while the session runs.
                await systemd.WatchdogWhile(session.RunAsync(() =>
                {
                    established = true;
                    systemd.Connected(coordinator, $"{credentials.Certificate.GetNameInfo(X509NameType.SimpleName, false)} ({credentials.NodeId})");
                }, stoppingToken), time);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (IdentityRefusal.DefinitiveReason(ex, credentials.Certificate.SerialNumber) is { } refusal)
            {
                AgentLog.IdentityRefused(logger, coordinator, refusal, ex.Status.Detail, AgentExit.IdentityRefusedCode);
                exit.Stop(AgentExit.IdentityRefusedCode);
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
                var reason = Describe(ex);
                AgentLog.SessionFailed(logger, coordinator, attempt, reason, delay.TotalSeconds);
                systemd.Retrying(coordinator, attempt, reason, delay);
                try
                {
                    await systemd.WatchdogWhile(Task.Delay(delay, time, stoppingToken), time);
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
