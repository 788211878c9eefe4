using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// Prefetch: every artifact of the node's step list downloaded (<see cref="Downloader"/>), verified
/// (sha256; the ELF machine of a binary) and staged in the <see cref="StagingCache"/> before any step
/// disrupts the node. Every artifact is checked before anything is fetched (one message naming every
/// problem), and the total size against the cache's free space, so a prefetch that cannot finish fails
/// before the first byte. An artifact already staged (verified again) or already installed at its
/// destination is not fetched again.
/// </summary>
public sealed class PrefetchStepHandler(Downloader downloader, StagingCache cache, HttpClient http, HostPaths paths, NodeArch arch, AgentOptions options) : IStepHandler
{
    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.Prefetch;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var artifacts = request.Prefetch.Artifacts;
        Check(artifacts, arch.Value);
        var unique = artifacts.DistinctBy(a => a.Sha256, StringComparer.Ordinal).ToArray();
        cache.EnsureDir();

        var pending = new List<PrefetchArtifact>();
        foreach (var artifact in unique)
        {
            if (await InstalledAsync(artifact, ct))
            {
                progress.Log($"{Name(artifact)}: already installed at {artifact.Dest}");
            }
            else if (await cache.HasVerifiedAsync(artifact.Sha256, progress, ct))
            {
                progress.Log($"{Name(artifact)}: already staged ({artifact.Sha256})");
            }
            else
            {
                pending.Add(artifact);
            }
        }

        if (pending.Count == 0)
        {
            return Results.AlreadySatisfied(request.Id, $"all {unique.Length} artifacts are staged or installed");
        }

        long total = 0;
        foreach (var artifact in pending)
        {
            total += artifact.Size > 0 ? artifact.Size : await SizeFromServerAsync(artifact, progress, ct) ?? 0;
        }

        var free = cache.AvailableBytes();
        if (total > free)
        {
            throw new StepFailedException($"staging {pending.Count} artifacts needs {total} bytes, but {cache.Dir} has {free} bytes free; nothing was downloaded");
        }

        foreach (var artifact in pending)
        {
            var maxBytes = artifact.MaxBytes > 0 ? artifact.MaxBytes : options.DownloadMaxBytes;
            var temp = await downloader.DownloadVerifiedAsync(artifact.Url, artifact.Sha256, cache.Dir, maxBytes, progress, ct);
            try
            {
                await progress.StateAsync(StepState.Verifying, ct);
                if (artifact.Kind == PrefetchKind.Binary)
                {
                    ElfMachine.Require(temp, Name(artifact), arch.Value);
                }

                cache.Commit(temp, artifact.Sha256);
            }
            catch
            {
                File.Delete(temp);
                throw;
            }

            progress.Log($"{Name(artifact)}: staged ({artifact.Sha256})");
        }

        return Results.Succeeded(request.Id, $"staged {pending.Count} of {unique.Length} artifacts ({total} bytes)");
    }

    /// <summary>Every artifact checked before anything is fetched; every problem named, by index.</summary>
    internal static void Check(IReadOnlyList<PrefetchArtifact> artifacts, Arch own)
    {
        if (artifacts.Count == 0)
        {
            throw new StepFailedException("the prefetch names no artifact");
        }

        var problems = new List<string>();
        for (var i = 0; i < artifacts.Count; i++)
        {
            var a = artifacts[i];
            var at = $"artifacts[{i}]";
            if (!Sha256Text.IsValid(a.Sha256))
            {
                problems.Add($"{at}.sha256: \"{a.Sha256}\" is not 64 lowercase hex characters");
            }

            if (!Uri.TryCreate(a.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"{at}.url: \"{a.Url}\" is not an http:// or https:// URL");
            }

            if (a.Arch != own)
            {
                problems.Add(a.Arch switch
                {
                    Arch.Unspecified => $"{at}.arch: missing",
                    Arch.Amd64 or Arch.Arm64 or Arch.Arm => $"{at}.arch: resolved for {a.Arch.ToName()}, but this node is {own.ToName()}",
                    _ => $"{at}.arch: {(int)a.Arch} is not a known architecture",
                });
            }

            if (a.Kind is not (PrefetchKind.Binary or PrefetchKind.CniArchive))
            {
                problems.Add($"{at}.kind: {(a.Kind == PrefetchKind.Unspecified ? "missing" : $"{(int)a.Kind} is not a known kind")}");
            }

            if (a.Size < 0 || a.MaxBytes < 0)
            {
                problems.Add($"{at}: size and max_bytes cannot be negative");
            }

            if (a.Dest.Length > 0 && (!a.Dest.StartsWith('/') || a.Dest.Split('/').Contains("..")))
            {
                problems.Add($"{at}.dest: \"{a.Dest}\" is not an absolute path without \"..\"");
            }
        }

        if (problems.Count > 0)
        {
            throw new StepFailedException(string.Join("; ", problems));
        }
    }

    /// <summary>A binary by the file it becomes ("kubectl"); an archive, whose destination is a folder, by its own name ("cni-plugins-linux-arm64-v1.1.1.tgz").</summary>
    private static string Name(PrefetchArtifact artifact) =>
        artifact.Kind == PrefetchKind.Binary && artifact.Dest.Length > 0 ? Path.GetFileName(artifact.Dest.TrimEnd('/')) : Path.GetFileName(new Uri(artifact.Url).AbsolutePath);

    /// <summary>A binary whose destination already holds these bytes needs no staging (its Download step says "already satisfied").</summary>
    private async Task<bool> InstalledAsync(PrefetchArtifact artifact, CancellationToken ct)
    {
        if (artifact.Kind != PrefetchKind.Binary || artifact.Dest.Length == 0)
        {
            return false;
        }

        var dest = paths.Resolve(artifact.Dest);
        return File.Exists(dest) && await Sha256Hex.OfFileAsync(dest, ct) == artifact.Sha256;
    }

    /// <summary>
    /// The server's Content-Length for the URL (HEAD, no redirect followed), or null when it does not
    /// say: the size check then counts what it knows, and the size cap still bounds each download.
    /// </summary>
    private async Task<long?> SizeFromServerAsync(PrefetchArtifact artifact, StepProgress progress, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.DownloadStallTimeout);
        try
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, artifact.Url);
            using var response = await http.SendAsync(head, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentLength is { } length)
            {
                return length;
            }

            progress.Log($"{Name(artifact)}: the server gives no size (HTTP {(int)response.StatusCode}); not counted in the space check");
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            progress.Log($"{Name(artifact)}: cannot ask the server for its size ({ex.GetBaseException().Message}); not counted in the space check");
            return null;
        }
    }
}
