using Fleet.Security;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;

namespace Fleet.Bench.Load;

/// <summary>N simulated agents against one coordinator: enrolled once, then connected until stopped.</summary>
internal sealed class SimFleet : IAsyncDisposable
{
    private readonly List<SimAgent> _agents;
    private CancellationTokenSource? _running;
    private List<Task> _tasks = [];

    private SimFleet(SimFleetContext context, int count)
    {
        Context = context;
        _agents = Enumerable.Range(0, count).Select(i => new SimAgent(context, i)).ToList();
    }

    public SimFleetContext Context { get; }

    public IReadOnlyList<SimAgent> Agents => _agents;

    public int ConnectedCount => _agents.Count(a => a.Connected);

    /// <summary>
    /// Makes a join token for <paramref name="count"/> nodes over the control API, fetches the
    /// coordinator's CA and checks it against the token's pin, as `fleet-agent enroll` does.
    /// </summary>
    public static async Task<SimFleet> CreateAsync(CoordinatorUnderTest coordinator, int count, TimeSpan stepDuration, CancellationToken ct)
    {
        var token = await coordinator.Control.CreateTokenAsync(
            new CreateTokenRequest { Uses = count, Ttl = Duration.FromTimeSpan(TimeSpan.FromHours(2)) }, cancellationToken: ct);
        // As `fleet-agent enroll`: the presented certificate is kept, and checked once the pin has vouched for the CA.
        System.Security.Cryptography.X509Certificates.X509Certificate2? presented = null;
        using var plain = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    presented = certificate is null ? null : System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return presented is not null;
                },
            },
        };
        using var channel = GrpcChannel.ForAddress(coordinator.AgentUri, new GrpcChannelOptions { HttpHandler = plain, DisposeHttpClient = false });
        var der = (await new AgentService.AgentServiceClient(channel).GetCaCertificateAsync(new GetCaCertificateRequest(), cancellationToken: ct)).Der.ToByteArray();
        var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
        if (!CaPin.TryParse(token.CaPin, out var pin) || !CaPin.Matches(ca, pin) || presented is null || FleetCaTrust.ServerProblem(presented, ca, coordinator.AgentUri.IdnHost) is not null)
        {
            throw new InvalidOperationException($"the coordinator's CA is not the pinned {token.CaPin}, or its TLS certificate is not from that CA");
        }

        var fleet = new SimFleet(new SimFleetContext(coordinator.AgentUri, ca, stepDuration), count);
        fleet.Token = token.SecretToken;
        return fleet;
    }

    private string Token { get; set; } = "";

    /// <summary>Enrolls every agent, <paramref name="parallel"/> at a time; returns how long it took.</summary>
    public async Task<TimeSpan> EnrollAllAsync(int parallel, CancellationToken ct)
    {
        var start = Clock.NowMs;
        await Parallel.ForEachAsync(_agents, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (agent, t) => await agent.EnrollAsync(Token, t));
        return TimeSpan.FromMilliseconds(Clock.NowMs - start);
    }

    /// <summary>Starts every agent's connection loop at once, as a fleet of nodes booting together would.</summary>
    public void StartAll()
    {
        _running = new CancellationTokenSource();
        var ct = _running.Token;
        _tasks = _agents.Select(a => Task.Run(() => a.RunAsync(ct), CancellationToken.None)).ToList();
    }

    /// <summary>Waits until every agent's session is accepted, or the time is up (then returns false).</summary>
    public async Task<bool> WaitAllConnectedAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Clock.NowMs + timeout.TotalMilliseconds;
        while (ConnectedCount < _agents.Count)
        {
            if (Clock.NowMs > deadline)
            {
                return false;
            }

            await Task.Delay(50, ct);
        }

        return true;
    }

    public async Task StopAllAsync()
    {
        if (_running is { } running)
        {
            await running.CancelAsync();
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            running.Dispose();
            _running = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        foreach (var agent in _agents)
        {
            agent.Dispose();
        }
    }
}
