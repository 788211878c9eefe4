using Microsoft.Extensions.Hosting;

namespace Fleet.Agent.Steps;

/// <summary>At start, before the session can start a step: removes what a crashed run left behind (<see cref="LeftoverFiles"/>).</summary>
public sealed class LeftoverCleanup(LeftoverFiles leftovers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        leftovers.Clean();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
