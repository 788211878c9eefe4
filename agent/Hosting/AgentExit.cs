using Microsoft.Extensions.Hosting;

namespace Fleet.Agent.Hosting;

/// <summary>
/// How the agent's run ends when a service decides it must stop (the coordinator refused the node's
/// identity for good): the exit code Program returns once the host has stopped, and the host stopped.
/// </summary>
public sealed class AgentExit(IHostApplicationLifetime lifetime)
{
    /// <summary>The coordinator refuses this node's certificate for good (<see cref="IdentityRefusal"/>); the unit's RestartPreventExitStatus names it (EX_NOPERM in sysexits.h).</summary>
    public const int IdentityRefusedCode = 77;

    private int _code;

    /// <summary>0 unless a service asked the agent to stop with a code.</summary>
    public int Code => Volatile.Read(ref _code);

    public void Stop(int code)
    {
        Volatile.Write(ref _code, code);
        lifetime.StopApplication();
    }
}
