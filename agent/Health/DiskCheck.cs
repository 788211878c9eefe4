using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Health;

/// <summary>Free space on the file system holding a folder: warning under 10 %, failing under 5 %.</summary>
public sealed class DiskCheck(string name, string nodePath, HostPaths paths) : INodeHealthCheck
{
    public string Name => name;

    public Task<HealthCheck> CheckAsync(CancellationToken ct)
    {
        var path = paths.Resolve(nodePath);
        if (!Directory.Exists(path))
        {
            return Task.FromResult(Check.Unknown(Name, $"{nodePath} does not exist"));
        }

        long free, total;
        try
        {
            var drive = new DriveInfo(path);
            (free, total) = (drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(Check.Unknown(Name, $"{nodePath}: {ex.Message}"));
        }

        if (total <= 0)
        {
            return Task.FromResult(Check.Unknown(Name, $"{nodePath}: file system reports no size"));
        }

        var fraction = (double)free / total;
        var reason = $"{Bytes.Human(free)} free of {Bytes.Human(total)} ({fraction * 100:0}%) on {nodePath}";
        return Task.FromResult(Check.ByFraction(Name, fraction, warnBelow: 0.10, failBelow: 0.05, reason));
    }
}
