using System.Diagnostics;

namespace Fleet.Testing.NetNamespaces;

/// <summary>
/// A network namespace of its own (`ip netns add`), named uniquely for this test run, with its
/// loopback up; programs run in it with `ip netns exec`. Addresses other than loopback exist only
/// inside namespaces (ENVIRONMENT.md): nothing in the host namespace ever connects to them. Deleted
/// on dispose (the test stops the processes it started in it first).
/// </summary>
public sealed class NetNamespace : IAsyncDisposable
{
    private NetNamespace(string name) => Name = name;

    public string Name { get; }

    /// <param name="role">A short word for the name (s, a): fleet-ROLE-PID-RANDOM, at most 32 characters.</param>
    public static async Task<NetNamespace> CreateAsync(string role)
    {
        var name = $"fleet-{role}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";
        await Ip.RunAsync("netns", "add", name);
        var ns = new NetNamespace(name);
        try
        {
            await Ip.RunAsync("-n", name, "link", "set", "lo", "up");
            return ns;
        }
        catch
        {
            await ns.DisposeAsync();
            throw;
        }
    }

    /// <summary>A start info for <paramref name="program"/> inside this namespace (through `ip netns exec`).</summary>
    public ProcessStartInfo StartInfo(string program, params IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("ip") { UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Name, program, .. args])
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    /// <summary>Runs a program inside this namespace to its end.</summary>
    public Task<ProcessOutput> RunAsync(string program, params string[] args) =>
        ProcessRun.RunAsync("ip", ["netns", "exec", Name, program, .. args]);

    public async ValueTask DisposeAsync() => await Ip.RunAsync("netns", "delete", Name);
}

/// <summary>`ip`, failing with its output when it fails.</summary>
internal static class Ip
{
    public static async Task RunAsync(params string[] args)
    {
        var run = await ProcessRun.RunAsync("ip", args);
        if (run.Code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({run.Code}): {run.Output.Trim()}");
        }
    }
}
