using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.Previous;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The upgrade's files in the agent's state folder, root's only (0700): the package cache
/// STATE_DIR/agent-packages (fleet-agent_VERSION_DEBARCH.deb, each verified before it is used) and
/// STATE_DIR/agent-upgrade (pending, outcome, confirmed, and the watchdog's own copy of its script).
/// Records are written durably: a temporary file flushed to disk, renamed, the folder flushed.
/// </summary>
public sealed class UpgradeFolder(HostPaths paths)
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string StateDir => paths.StateDir;

    public string Dir => Path.Join(paths.StateDir, "agent-upgrade");

    public string CacheDir => Path.Join(paths.StateDir, "agent-packages");

    public string PendingFile => Path.Join(Dir, "pending");

    public string OutcomeFile => Path.Join(Dir, "outcome");

    public string ConfirmedFile => Path.Join(Dir, "confirmed");

    /// <summary>The copy the watchdog runs: dpkg replaces the packaged script while it runs.</summary>
    public string WatchdogCopy => Path.Join(Dir, "watchdog");

    /// <summary>The cache file of a version for a Debian arch.</summary>
    public string PackageFile(string version, string debArch) => Path.Join(CacheDir, $"fleet-agent_{version}_{debArch}.deb");

    public void EnsureDirs()
    {
        foreach (var dir in new[] { Dir, CacheDir })
        {
            Directory.CreateDirectory(dir, Private);
            File.SetUnixFileMode(dir, Private); // also tightens a folder made before
        }
    }

    /// <summary>The pending record, or null when none; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public PendingUpgrade? ReadPending() => Read(PendingFile, "pending upgrade record", text => PendingUpgrade.Parse(text, CacheDir));

    /// <summary>The watchdog's outcome, or null when none; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public UpgradeOutcome? ReadOutcome() => Read(OutcomeFile, "upgrade outcome record", UpgradeOutcome.Parse);

    /// <summary>The version the new agent confirmed, or null.</summary>
    public string? ReadConfirmed() => File.Exists(ConfirmedFile) ? File.ReadAllText(ConfirmedFile).Trim() : null;

    public void WritePending(PendingUpgrade pending) => WriteDurably(PendingFile, pending.Format());

    public void WriteConfirmed(string version) => WriteDurably(ConfirmedFile, version + "\n");

    /// <summary>Copies the packaged watchdog script (0700) for the watchdog to run.</summary>
    public void CopyWatchdog(string script)
    {
        if (!File.Exists(script))
        {
            throw new StepFailedException($"the upgrade watchdog {script} is missing (it comes with the fleet-agent package): nothing was changed");
        }

        WriteDurably(WatchdogCopy, File.ReadAllText(script));
    }

    /// <summary>
    /// The watchdog this agent carries (embedded from packaging/debian/fleet-agent/fleet-agent-upgrade at
    /// build time), for an install without the package, which brings no script of its own.
    /// </summary>
    public void CopyEmbeddedWatchdog()
    {
        using var stream = typeof(UpgradeFolder).Assembly.GetManifestResourceStream("fleet-agent-upgrade")
            ?? throw new StepFailedException("this agent was built without its upgrade watchdog (the embedded fleet-agent-upgrade): nothing was changed");
        using var reader = new StreamReader(stream);
        WriteDurably(WatchdogCopy, reader.ReadToEnd());
    }

    /// <summary>The records of a finished upgrade (the package cache stays: it is the next way back).</summary>
    public void RemoveRecords()
    {
        if (!Directory.Exists(Dir))
        {
            return;
        }

        foreach (var file in new[] { OutcomeFile, PendingFile, ConfirmedFile, WatchdogCopy, Path.Join(Dir, "dpkg.log") })
        {
            File.Delete(file);
        }
    }

    private static T? Read<T>(string file, string what, Func<string, T> parse)
        where T : class
    {
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            if (new FileInfo(file).Length > KeyValueRecord.MaxBytes)
            {
                throw new InvalidDataException($"it is larger than {KeyValueRecord.MaxBytes} bytes");
            }

            return parse(File.ReadAllText(file));
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"the {what} {file} is unusable: {ex.Message}");
        }
    }

    private void WriteDurably(string file, string text)
    {
        EnsureDirs();
        var temp = Path.Join(Path.GetDirectoryName(file)!, "." + Path.GetFileName(file) + ".tmp");
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        DurableFiles.Rename(temp, file);
        DurableFiles.SyncFolder(Path.GetDirectoryName(file)!);
    }
}
