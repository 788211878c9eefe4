using Fleet.Agent.Hosting;
using System.Threading.Channels;
using Fleet.Agent.Configuration;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// The kubeadm and systemctl doubles of tests/doubles, run as real processes by the real step code.
/// Each test gets its own FLEET_DOUBLE_DIR through the wrappers of <see cref="TestDoubles"/> (tests run
/// in parallel in one process, with one environment). Also: a fixture root, the agent's log, and the
/// step outbox.
/// </summary>
internal sealed class DoubleHarness : IDisposable
{
    private readonly TempDir _dir = new();

    public DoubleHarness()
    {
        Doubles = new TestDoubles(_dir.Path, Root.Root);
        Options = Root.Options();
        Options.KubeadmPath = Doubles.Kubeadm;
        Options.SystemctlPath = Doubles.Systemctl;
        Sink.Attach(Outbox.Writer);
        LoggerFactory = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(Logs).CreateLogger(), dispose: true);
    }

    public FixtureRoot Root { get; } = new();

    public AgentOptions Options { get; }

    public TestDoubles Doubles { get; }

    public LogCollector Logs { get; } = new();

    public ILoggerFactory LoggerFactory { get; }

    public Channel<AgentMessage> Outbox { get; } = Channel.CreateUnbounded<AgentMessage>();

    public StepSink Sink { get; } = new();

    public string[] Calls(string name) => Doubles.Calls(name);

    public void Fail(string name, int exit, string? stderr = null) => Doubles.Fail(name, exit, stderr);

    public void Sleep(string name, int seconds) => Doubles.Sleep(name, seconds);

    public int? Pid(string name) => Doubles.Pid(name);

    public StepProcess Process() => new(TimeProvider.System, LoggerFactory.CreateLogger<StepProcess>());

    public StepProgress Progress(string stepId = "step-1") => new(stepId, Sink, TimeProvider.System);

    public StepJournal Journal() => new(Root.Paths(Options));

    public string JournalFile => Path.Join(Root.Paths(Options).StateDir, "steps.journal");

    public StepRunner Runner(IStepHandler handler) =>
        new([handler], Journal(), Sink, new SystemdStatus(new SystemdNotifySocket(null), null, LoggerFactory.CreateLogger<SystemdStatus>()), TimeProvider.System, LoggerFactory.CreateLogger<StepRunner>());

    /// <summary>Every message sent so far.</summary>
    public List<AgentMessage> Messages()
    {
        var messages = new List<AgentMessage>();
        while (Outbox.Reader.TryRead(out var message))
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>Every log line of the step updates sent so far.</summary>
    public List<string> LogLines() => Messages().Where(m => m.StepUpdate is not null).SelectMany(m => m.StepUpdate.LogLines).ToList();

    /// <summary>The agent's log as text: every rendered message and every property value.</summary>
    public string AgentLogText() =>
        string.Join('\n', Logs.Events.Select(e => $"{e.RenderMessage()} {string.Join(' ', e.Properties.Values)} {e.Exception}"));

    public void Dispose()
    {
        LoggerFactory.Dispose();
        Root.Dispose();
        _dir.Dispose();
    }
}
