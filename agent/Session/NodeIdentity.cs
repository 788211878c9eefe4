using Fleet.Agent.Hosting;

namespace Fleet.Agent.Session;

/// <summary>
/// The node's identity until enrollment gives it a certificate: an id generated once and kept in the
/// state folder (written to a temporary file, flushed, then renamed, so it is never half-written).
/// </summary>
public sealed class NodeIdentity(HostPaths paths)
{
    public const string HeaderName = "fleet-node-id";

    private readonly Lazy<string> _id = new(() => LoadOrCreate(Path.Join(paths.StateDir, "node-id")));

    public string NodeId => _id.Value;

    private static string LoadOrCreate(string file)
    {
        if (File.Exists(file))
        {
            var existing = File.ReadAllText(file).Trim();
            if (IsValid(existing))
            {
                return existing;
            }

            throw new InvalidDataException($"{file} does not hold a node id (32 lowercase hex characters); remove it to let the agent make a new one");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var id = Guid.NewGuid().ToString("N");
        var temp = file + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(id + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, file, overwrite: true);
        return id;
    }

    public static bool IsValid(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}
