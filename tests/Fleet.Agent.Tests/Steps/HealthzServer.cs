using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps;

/// <summary>The kubelet healthz double answering 500 "[-]ping failed" (or what the test says) to the first
/// <c>failures</c> requests, then 200 "ok".</summary>
internal static class HealthzServer
{
    public static Task<KubeletHealthzDouble> StartAsync(int failures, int failStatus = 500, string failBody = "[-]ping failed", int? port = null)
    {
        var asked = 0;
        return KubeletHealthzDouble.StartAsync(() => Interlocked.Increment(ref asked) > failures, failStatus, failBody, port);
    }
}
