using System.Net.Sockets;
using System.Text.Json;
using Fleet.Agent.Configuration;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// An etcd snapshot with the real etcdctl (API v3): every input checked first (<see cref="EtcdSnapshotInputs"/>,
/// the folder, the certificates), etcd reached and healthy, then `snapshot save` into a private staging folder
/// in the snapshot folder, `snapshot status` of what was saved (a hash, a revision, keys), its sha256 written
/// to NAME.sha256, and both renamed into place: only then has the step succeeded. The newest `keep` are kept.
/// Any failure removes the staging folder (a crash leaves it to <see cref="LeftoverFiles.Clean"/>), so the
/// folder never holds half a snapshot.
/// </summary>
public sealed class EtcdSnapshotStepHandler(StepProcess process, HostPaths paths, LeftoverFiles leftovers, AgentOptions options, TimeProvider time) : IStepHandler
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.EtcdSnapshot;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var step = request.EtcdSnapshot;
        var problems = EtcdSnapshotInputs.Problems("", step.Endpoint, step.Dir, step.Keep, step.CertDir)
            .Append(EtcdSnapshotFolder.RolloutIdProblem(request.RolloutId))
            .OfType<string>()
            .ToList();
        if (problems.Count > 0)
        {
            throw new StepFailedException($"refusing to take an etcd snapshot: {string.Join("; ", problems)}");
        }

        var endpoint = step.Endpoint.Length > 0 ? step.Endpoint : EtcdSnapshotInputs.DefaultEndpoint;
        var dirNode = step.Dir.Length > 0 ? step.Dir : $"{options.StateDir.TrimEnd('/')}/{EtcdSnapshotInputs.DefaultDirName}";
        var certDirNode = step.CertDir.Length > 0 ? step.CertDir : EtcdSnapshotInputs.DefaultCertDir;
        var keep = step.Keep > 0 ? step.Keep : EtcdSnapshotInputs.DefaultKeep;
        var dir = paths.Resolve(dirNode);

        EtcdSnapshotFolder.Prepare(dir);
        var certs = EtcdClientCertificates.Check(paths.Resolve(certDirNode), certDirNode, time.GetUtcNow());
        await ReachAsync(endpoint, ct);

        string[] connection = [$"--endpoints={endpoint}", $"--cacert={certs.Ca}", $"--cert={certs.Cert}", $"--key={certs.Key}", "--dial-timeout=5s"];
        await EtcdctlAsync("etcdctl endpoint health", [.. connection, "--command-timeout=5s", "endpoint", "health"], progress,
            why => $"etcd at {endpoint} is not healthy, or refused the client certificate {certDirNode.TrimEnd('/')}/{EtcdClientCertificates.CertFile} in the TLS handshake: {why}", ct);

        var staging = leftovers.NewStagingFolder(dir);
        try
        {
            Directory.CreateDirectory(staging, EtcdSnapshotFolder.Private);
            var saved = Path.Join(staging, "snapshot.db");
            var name = EtcdSnapshotFolder.FileName(time.GetUtcNow(), request.RolloutId);
            await EtcdctlAsync("etcdctl snapshot save", [.. connection, "snapshot", "save", saved], progress, why => $"etcdctl snapshot save failed: {why}", ct);
            var status = await EtcdctlAsync("etcdctl snapshot status", ["snapshot", "status", saved, "--write-out=json"], progress, why => $"etcdctl snapshot status of the saved snapshot failed: {why}", ct);
            var (revision, keys) = Plausible(status);

            var sha256 = await Sha256Hex.OfFileAsync(saved, ct);
            var size = new FileInfo(saved).Length;
            var sum = Path.Join(staging, name + ".sha256");
            await using (var file = new FileStream(sum, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"{sha256}  {name}\n"), ct);
                file.Flush(flushToDisk: true);
            }

            if (File.Exists(Path.Join(dir, name)))
            {
                throw new StepFailedException($"a snapshot named {dirNode.TrimEnd('/')}/{name} already exists (taken in the same second for the same rollout); it is left as it is");
            }

            // The .sha256 first: a snapshot in the folder always has its checksum beside it.
            File.Move(sum, Path.Join(dir, name + ".sha256"), overwrite: true);
            try
            {
                File.Move(saved, Path.Join(dir, name), overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(Path.Join(dir, name + ".sha256")); // no checksum without its snapshot
                throw;
            }

            var removed = EtcdSnapshotFolder.Prune(dir, keep);
            var pruned = removed.Count > 0 ? $"; removed the older {string.Join(", ", removed)}" : "";
            return Results.Succeeded(request.Id, $"etcd snapshot {dirNode.TrimEnd('/')}/{name}: {size} bytes, sha256 {sha256}, revision {revision}, {keys} keys; the newest {keep} kept{pruned}");
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>A TCP connection to the endpoint first: "connection refused" said as such (etcdctl only says "context deadline exceeded").</summary>
    private static async Task ReachAsync(string endpoint, CancellationToken ct)
    {
        var uri = new Uri(endpoint);
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await client.ConnectAsync(uri.IdnHost, uri.Port, timeout.Token);
        }
        catch (SocketException ex)
        {
            throw new StepFailedException($"etcd unreachable at {endpoint}: {ex.SocketErrorCode switch { SocketError.ConnectionRefused => "connection refused (is etcd running?)", SocketError.HostNotFound => "host not found", _ => ex.Message }}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"etcd unreachable at {endpoint}: no connection within {ConnectTimeout.TotalSeconds:0} s");
        }
    }

    private async Task<string?> EtcdctlAsync(string what, string[] arguments, StepProgress progress, Func<string, string> reason, CancellationToken ct)
    {
        var command = new ProgramCommand(options.EtcdctlPath, "--etcdctl-path", what, arguments, SecretScrubber.None)
        {
            Environment = new Dictionary<string, string> { ["ETCDCTL_API"] = "3" },
        };
        try
        {
            return await process.RunForLastLineAsync(command, progress, ct);
        }
        catch (StepFailedException ex)
        {
            throw new StepFailedException(reason(ex.Message));
        }
    }

    /// <summary>`snapshot status -w json`: {"hash":N,"revision":N,"totalKey":N,"totalSize":N}; a snapshot of a live etcd has keys and a revision.</summary>
    private static (long Revision, long Keys) Plausible(string? json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json ?? "");
            var root = doc.RootElement;
            var hash = root.GetProperty("hash").GetInt64();
            var revision = root.GetProperty("revision").GetInt64();
            var keys = root.GetProperty("totalKey").GetInt64();
            return revision > 0 && keys > 0
                ? (revision, keys)
                : throw new StepFailedException($"etcdctl snapshot status shows an implausible snapshot (hash {hash}, revision {revision}, {keys} keys): not kept");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new StepFailedException($"etcdctl snapshot status printed no snapshot status (expected JSON with hash, revision and totalKey): {(json is null ? "nothing" : json.Length <= 200 ? json : json[..200] + "…")}");
        }
    }
}
