namespace Fleet.Coordinator.Hosting;

/// <summary>
/// Locks the control socket down (<see cref="ControlSocket.Secure"/>) once Kestrel has created it and
/// before the host reports that it has started: under systemd that report is READY=1, so a member of
/// the `fleet` group can use fleetctl as soon as `systemctl start fleet-coordinator` returns.
/// (An ApplicationStarted callback would run after systemd's READY=1: those callbacks run last-first.)
/// </summary>
internal sealed class ControlSocketSecurer(CoordinatorOptions options) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        ControlSocket.Secure(options.Socket);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
