using System.Text;
using Fleet.Coordinator.Hosting;

namespace Fleet.Coordinator.Notifications;

/// <summary>
/// The webhook secrets the coordinator holds: one file per name in its secrets folder (DATA_DIR/webhook-secrets,
/// created 0700 by the coordinator), written by root for the coordinator's user
/// (`install -m 0600 -o fleet-coordinator /dev/stdin DIR/NAME`). A plan names a secret; its value never appears
/// in a plan, a log or a payload. A secret file must be a regular file (not a link, FIFO or device), readable
/// by its owner only, 1 to 4096 bytes (a final newline is not part of it).
/// </summary>
public sealed class WebhookSecrets
{
    public const int MaxBytes = 4096;

    /// <summary>The user the packaged coordinator runs as (packaging/systemd/fleet-coordinator.service).</summary>
    public const string CoordinatorUser = "fleet-coordinator";

    private const UnixFileMode OthersOrGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public WebhookSecrets(string dir)
    {
        Dir = dir;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Dir { get; }

    /// <summary>Every webhook whose secret the coordinator cannot use, by path (preflight: `rollout plan` and `apply`).</summary>
    public IEnumerable<string> Problems(RolloutNotifications notifications)
    {
        for (var i = 0; i < notifications.Webhooks.Count; i++)
        {
            if (Read(notifications.Webhooks[i].Secret, out _) is { } problem)
            {
                yield return $"notifications.webhooks[{i}].secret: {problem}";
            }
        }
    }

    /// <summary>The secret's bytes, or null and the problem (a name the parser checked: no '/', no "..").</summary>
    public string? Read(string name, out byte[] secret)
    {
        secret = [];
        if (!NodeNames.IsValid(name))
        {
            return $"\"{name}\" is not a secret name ({NodeNames.Rule})";
        }

        var path = Path.Join(Dir, name);
        var type = UnixFileType.Of(path); // not following a link
        if (type == UnixFileType.None)
        {
            return $"the coordinator holds no secret \"{name}\" (create it as root: install -m 0600 -o {CoordinatorUser} /dev/stdin {path}, then type the secret and Ctrl-D)";
        }

        if (type != UnixFileType.Regular)
        {
            return $"{path} is a {UnixFileType.Describe(type)}; a secret must be a regular file (a link, FIFO or device is refused)";
        }

        var info = new FileInfo(path);
        if ((info.UnixFileMode & OthersOrGroup) != 0)
        {
            return $"{path} can be read or written by group or others (mode {Convert.ToString((int)info.UnixFileMode, 8)}); chmod 600 it";
        }

        if (info.Length > MaxBytes + 2)
        {
            return $"{path} holds {info.Length} bytes; a secret is 1 to {MaxBytes} bytes";
        }

        byte[] text;
        try
        {
            text = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{path} cannot be read by the coordinator ({ex.Message}); it must belong to the user the coordinator runs as ({CoordinatorUser} in the package)";
        }
        var length = text.Length;
        while (length > 0 && text[length - 1] is (byte)'\n' or (byte)'\r')
        {
            length--;
        }

        if (length == 0 || length > MaxBytes)
        {
            return $"{path} holds {length} bytes; a secret is 1 to {MaxBytes} bytes";
        }

        secret = text[..length];
        return null;
    }

    /// <summary>For tests and the documentation's recipe: the secret as text.</summary>
    public static byte[] Bytes(string secret) => Encoding.UTF8.GetBytes(secret);
}
