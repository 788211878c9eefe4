using Fleet.Agent.Configuration;
using Fleet.Agent.Facts;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Hosting;
using Fleet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace Fleet.IntegrationTests;

/// <summary>
/// A real agent (the whole host, its session loop and its health checks) in this process, with its
/// own sandbox --root holding fixture /proc, /sys and /etc files.
/// </summary>
public sealed class TestAgent : IAsyncDisposable
{
    private IHost? _host;

    public TestAgent(string name, Uri coordinator, string root, params string[] cniPlugins)
    {
        Name = name;
        Root = root;
        Options = new AgentOptions
        {
            Coordinator = coordinator,
            Name = name,
            Root = root,
            ReconnectCap = TimeSpan.FromSeconds(1),
            SystemctlPath = Path.Join(root, "usr/bin/systemctl"), // none: the host's systemd is not this node's
        };
        WriteFixture(root, cniPlugins);
    }

    public string Name { get; }

    public string Root { get; }

    public AgentOptions Options { get; }

    public LogCollector Logs { get; } = new();

    /// <summary>Pretend uname(2) says this machine (e.g. aarch64), to exercise arch handling in-process.</summary>
    public string? Machine { get; init; }

    /// <summary>Pretend uname(2) says this node name (the hostname the agent reports), e.g. another node's, for the hostile tests.</summary>
    public string? Hostname { get; init; }

    public string StateDir => Path.Join(Root, Options.StateDir);

    /// <summary>The node id in the agent's certificate.</summary>
    public string NodeId
    {
        get
        {
            var credentials = new NodeCredentials(new HostPaths(Options));
            credentials.Load();
            return credentials.NodeId;
        }
    }

    /// <summary>Replaces the agent's clock (the renewal test fakes it).</summary>
    public TimeProvider? Time { get; set; }

    /// <summary>`fleet-agent enroll`, in this process, logging to <see cref="Logs"/>.</summary>
    public async Task EnrollAsync(string token, string caPin)
    {
        var services = new ServiceCollection()
            .AddLogging(l => l.AddSerilog(new LoggerConfiguration().WriteTo.Sink(Logs).CreateLogger(), dispose: true))
            .AddFleetEnrollment(Options);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<EnrollmentClient>().EnrollAsync(Options.Coordinator!, token, caPin, Name, CancellationToken.None).DefaultTimeout();
    }

    public async Task StartAsync()
    {
        _host = AgentHost.Build(Options, Logs.Configure, services =>
        {
            if (Machine is not null || Hostname is not null)
            {
                services.AddSingleton<IUname>(new FixedUname(Machine, Hostname));
            }

            if (Time is { } time)
            {
                services.AddSingleton(time);
            }
        });
        await _host.StartAsync().DefaultTimeout();
    }

    /// <summary>The exit code a service of the running agent asked for (0: none; it keeps running).</summary>
    public int ExitCode => _host?.Services.GetRequiredService<AgentExit>().Code ?? 0;

    public async Task StopAsync()
    {
        if (_host is { } host)
        {
            _host = null;
            await host.StopAsync().DefaultTimeout();
            host.Dispose();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private static void WriteFixture(string root, string[] cniPlugins)
    {
        void Write(string nodePath, string text)
        {
            var path = Path.Join(root, nodePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }

        Write("/proc/meminfo", "MemTotal:        2009000 kB\nMemFree:          100000 kB\nMemAvailable:    1004500 kB\n");
        Write("/proc/loadavg", "0.50 0.40 0.30 1/200 4242\n");
        Write("/sys/devices/system/cpu/online", "0-3\n");
        Write("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
        Write("/proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\0");
        foreach (var plugin in cniPlugins)
        {
            Write($"/opt/cni/bin/{plugin}", "#!/bin/sh\n");
            File.SetUnixFileMode(Path.Join(root, "opt/cni/bin", plugin), (UnixFileMode)0b111_101_101);
        }
    }
}

/// <summary>uname(2) as a test wants it: the real host's name and kernel, another machine.</summary>
internal sealed class FixedUname(string? machine, string? hostname) : IUname
{
    public UnameInfo Read()
    {
        var real = new LibcUname().Read();
        return real with { Machine = machine ?? real.Machine, NodeName = hostname ?? real.NodeName };
    }
}
