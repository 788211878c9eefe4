using Fleet.Coordinator.Notifications;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Notifications;

/// <summary>The coordinator's named webhook secrets: regular files, owner-only, 1 to 4096 bytes; never in a plan.</summary>
public sealed class WebhookSecretsTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly WebhookSecrets _secrets;

    public WebhookSecretsTests() => _secrets = new WebhookSecrets(_dir.Combine("webhook-secrets"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TheFolder_IsCreatedOwnerOnly()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_secrets.Dir));
    }

    [Fact]
    public void Read_AnOwnerOnlyFile_GivesItsBytesWithoutTheFinalNewline()
    {
        Write("ops", "s3cret\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Null(_secrets.Read("ops", out var secret));
        Assert.Equal("s3cret"u8.ToArray(), secret);
    }

    [Fact]
    public void Read_MissingReadableByOthersLinkEmptyOrTooLarge_IsRefusedSayingWhy()
    {
        Write("shared", "s3cret", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Write("empty", "\n", UnixFileMode.UserRead);
        Write("large", new string('x', WebhookSecrets.MaxBytes + 1), UnixFileMode.UserRead);
        Write("target", "s3cret", UnixFileMode.UserRead);
        File.CreateSymbolicLink(Path.Join(_secrets.Dir, "link"), Path.Join(_secrets.Dir, "target"));
        Directory.CreateDirectory(Path.Join(_secrets.Dir, "folder"));
        Assert.Equal(0, mkfifo(Path.Join(_secrets.Dir, "fifo"), Convert.ToUInt32("600", 8)));

        Assert.StartsWith("the coordinator holds no secret \"nope\" (create it as root: install -m 0600 -o fleet-coordinator /dev/stdin", _secrets.Read("nope", out _));
        Assert.Contains("can be read or written by group or others (mode 640); chmod 600 it", _secrets.Read("shared", out _));
        Assert.Contains("holds 0 bytes; a secret is 1 to 4096 bytes", _secrets.Read("empty", out _));
        Assert.Contains("holds 4097 bytes", _secrets.Read("large", out _));
        Assert.Contains("is a symbolic link; a secret must be a regular file", _secrets.Read("link", out _));
        Assert.Contains("is a folder; a secret must be a regular file", _secrets.Read("folder", out _));
        Assert.Contains("is a FIFO; a secret must be a regular file", _secrets.Read("fifo", out _)); // reading it would block the rollout's preflight
        Assert.StartsWith("\"../target\" is not a secret name", _secrets.Read("../target", out _));
    }

    [Fact]
    public void Problems_NameEachWebhookByPath()
    {
        Write("ops", "s3cret", UnixFileMode.UserRead);
        var notifications = new RolloutNotifications([
            new Webhook(new Uri("http://127.0.0.1:1/"), "ops", WebhookEventNames.All.ToHashSet()),
            new Webhook(new Uri("http://127.0.0.1:1/"), "missing", WebhookEventNames.All.ToHashSet()),
        ]);

        var problem = Assert.Single(_secrets.Problems(notifications));
        Assert.StartsWith("notifications.webhooks[1].secret: the coordinator holds no secret \"missing\"", problem);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    private void Write(string name, string text, UnixFileMode mode)
    {
        var path = Path.Join(_secrets.Dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
    }
}
