using Fleet.Agent.Configuration;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Hosting;
using Fleet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fleet.Bench.Prefetch;

/// <summary>A real agent host in this process with its own sandbox root, and its kubeadm and systemctl doubles.</summary>
internal sealed class BenchNode : IAsyncDisposable
{
    private IHost? _host;

    public BenchNode(string name, Uri coordinator, string dir)
    {
        Name = name;
        Root = Path.Join(dir, name);
        Doubles = new TestDoubles(Path.Join(dir, name + "-doubles"), Root);
        Options = new AgentOptions
        {
            Coordinator = coordinator,
            Name = name,
            Root = Root,
            ReconnectCap = TimeSpan.FromSeconds(1),
            KubeadmPath = Doubles.Kubeadm,
            SystemctlPath = Doubles.Systemctl,
        };
        foreach (var (path, text) in new[] { ("proc/meminfo", "MemTotal: 2009000 kB\nMemAvailable: 1004500 kB\n"), ("proc/loadavg", "0.50 0.40 0.30 1/200 4242\n"), ("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Join(Root, path))!);
            File.WriteAllText(Path.Join(Root, path), text);
        }
    }

    public string Name { get; }

    public string Root { get; }

    public TestDoubles Doubles { get; }

    public AgentOptions Options { get; }

    public async Task StartAsync(string token, string caPin, CancellationToken ct)
    {
        await using (var enrollment = new ServiceCollection().AddLogging().AddFleetEnrollment(Options).BuildServiceProvider())
        {
            await enrollment.GetRequiredService<EnrollmentClient>().EnrollAsync(Options.Coordinator!, token, caPin, Name, ct);
        }

        _host = AgentHost.Build(Options, logging => logging.MinimumLevel.Warning());
        await _host.StartAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is { } host)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
