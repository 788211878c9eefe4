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
/// Each test gets its own FLEET_DOUBLE_DIR through a one-line wrapper that sets it and execs the
/// double (environment variables are per process, tests run in parallel); the agent itself would
/// pass them on by inheritance. Also: a fixture root, the agent's log, and the step outbox.
/// </summary>
internal sealed class DoubleHarness : IDisposable
{
    private readonly TempDir _dir = new();

    public DoubleHarness()
    {
        Directory.CreateDirectory(CallsDir);
        Options = Root.Options();
        Options.KubeadmPath = Wrap("kubeadm");
        Options.SystemctlPath = Wrap("systemctl");
        Sink.Attach(Outbox.Writer);
        LoggerFactory = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(Logs).CreateLogger(), dispose: true);
    }

    public FixtureRoot Root { get; } = new();

    public AgentOptions Options { get; }

    /// <summary>FLEET_DOUBLE_DIR of this test's doubles.</summary>
    public string CallsDir => _dir.Combine("calls");

    public LogCollector Logs { get; } = new();

    public ILoggerFactory LoggerFactory { get; }

    public Channel<AgentMessage> Outbox { get; } = Channel.CreateUnbounded<AgentMessage>();

    public StepSink Sink { get; } = new();

    public static string Double(string name) => Path.Join(Repo.Root, "tests", "doubles", name);

    /// <summary>The argument lines the double recorded; empty when it never ran.</summary>
    public string[] Calls(string name) =>
        File.Exists(Path.Join(CallsDir, $"{name}.calls")) ? File.ReadAllLines(Path.Join(CallsDir, $"{name}.calls")) : [];

    /// <summary>Makes the double fail with <paramref name="exit"/> after printing <paramref name="stderr"/>.</summary>
    public void Fail(string name, int exit, string? stderr = null)
    {
        File.WriteAllText(Path.Join(CallsDir, $"{name}.exit"), $"{exit}\n");
        if (stderr is not null)
        {
            File.WriteAllText(Path.Join(CallsDir, $"{name}.stderr"), stderr);
        }
    }

    public void Sleep(string name, int seconds) => File.WriteAllText(Path.Join(CallsDir, $"{name}.sleep"), $"{seconds}\n");

    /// <summary>The pid of the double's latest run, once it has started.</summary>
    public int? Pid(string name) =>
        File.Exists(Path.Join(CallsDir, $"{name}.pid")) && int.TryParse(File.ReadAllText(Path.Join(CallsDir, $"{name}.pid")).Trim(), out var pid) ? pid : null;

    public StepProcess Process() => new(TimeProvider.System, LoggerFactory.CreateLogger<StepProcess>());

    public StepProgress Progress(string stepId = "step-1") => new(stepId, Sink, TimeProvider.System);

    public StepJournal Journal() => new(Root.Paths(Options));

    public string JournalFile => Path.Join(Root.Paths(Options).StateDir, "steps.journal");

    public StepRunner Runner(IStepHandler handler) => new([handler], Journal(), Sink, TimeProvider.System, LoggerFactory.CreateLogger<StepRunner>());

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

    private string Wrap(string name)
    {
        var wrapper = _dir.Combine(name);
        File.WriteAllText(wrapper, $"#!/bin/sh\nFLEET_DOUBLE_DIR='{CallsDir}' FLEET_DOUBLE_ROOT='{Root.Root}' exec '{Double(name)}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, FixtureRoot.Executable);
        return wrapper;
    }
}
