using System.Text.RegularExpressions;
using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Facts;

/// <summary>Finds kubelet and kubeadm in the configured folders and asks each for its version.</summary>
public sealed partial class KubernetesVersionProbe(AgentOptions options, HostPaths paths, IProcessRunner runner, ILogger<KubernetesVersionProbe> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public Task<string> KubeletAsync(CancellationToken ct) => ProbeAsync("kubelet", ["--version"], ct);

    public Task<string> KubeadmAsync(CancellationToken ct) => ProbeAsync("kubeadm", ["version", "-o", "short"], ct);

    private async Task<string> ProbeAsync(string program, string[] arguments, CancellationToken ct)
    {
        var path = options.BinaryDirs.Select(d => paths.Resolve(Path.Join(d, program))).FirstOrDefault(File.Exists);
        if (path is null)
        {
            return "";
        }

        try
        {
            var result = await runner.RunAsync(path, arguments, Timeout, ct);
            var version = VersionPattern().Match(result.StandardOutput);
            if (result.ExitCode == 0 && version.Success)
            {
                return version.Value;
            }

            AgentLog.VersionProbeFailed(logger, path, $"exit code {result.ExitCode}, output \"{result.StandardOutput.Trim()}\"");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            AgentLog.VersionProbeFailed(logger, path, ex.Message);
        }

        return "";
    }

    [GeneratedRegex(@"v\d+\.\d+\.\d+[0-9A-Za-z.+-]*")]
    private static partial Regex VersionPattern();
}
