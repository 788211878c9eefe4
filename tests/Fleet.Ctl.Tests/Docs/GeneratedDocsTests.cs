using System.Diagnostics;

namespace Fleet.Ctl.Tests.Docs;

/// <summary>Completion scripts and the man page are generated from the command tree: every command is in them, and the shells accept them.</summary>
public sealed class GeneratedDocsTests
{
    private static readonly string[] Commands =
    [
        "nodes list", "nodes get", "nodes remove", "nodes approve", "catalog apply", "catalog get", "run install-cni", "run download",
        "rollout plan", "rollout apply", "rollout list", "rollout get", "rollout watch", "rollout pause", "rollout resume", "rollout abort", "rollout logs",
        "token create", "token list", "token revoke", "admin-cert create", "admin-cert list", "admin-cert revoke", "cluster set", "cluster status", "cluster audit",
    ];

    private static async Task<string> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await FleetCtl.RunAsync(args, stdout, stderr, new Dictionary<string, string?>()).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == 0, stderr.ToString());
        return stdout.ToString();
    }

    [Fact]
    public async Task Man_HasEveryCommand_AndTheExitStatus()
    {
        var man = await RunAsync("man");

        Assert.StartsWith(".TH FLEETCTL 1", man, StringComparison.Ordinal);
        foreach (var command in Commands)
        {
            Assert.Contains($".SS fleetctl {command.Replace("-", "\\-", StringComparison.Ordinal)}", man, StringComparison.Ordinal);
        }

        Assert.Contains(".SH EXIT STATUS", man, StringComparison.Ordinal);
        Assert.Contains("\\-o, \\-\\-output\\fR \\fItable|wide|json", man, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompletionBash_CompletesSubcommandsOptionsAndOutputFormats_InARealBash()
    {
        var script = await RunAsync("completion", "bash");

        Assert.Equal("rollout", await Complete(script, "fleetctl roll"));
        Assert.Equal("list logs", await Complete(script, "fleetctl rollout l"));
        Assert.Equal("json table wide", await Complete(script, "fleetctl nodes list -o "));
        Assert.Equal("--arch", await Complete(script, "fleetctl nodes list --ar"));
        Assert.Equal("--ca --cert --key --server --socket bash fish zsh", await Complete(script, "fleetctl completion "));
        Assert.Equal("zsh", await Complete(script, "fleetctl completion z"));
    }

    [Theory]
    [InlineData("zsh", "#compdef fleetctl")]
    [InlineData("fish", "complete -c fleetctl -n '__fish_use_subcommand' -a rollout")]
    [InlineData("fish", "complete -c fleetctl -n '__fish_use_subcommand' -l socket -r")]
    [InlineData("fish", "complete -c fleetctl -n '__fish_seen_subcommand_from completion' -a 'bash fish zsh'")]
    public async Task Completion_OtherShells_AreGenerated(string shell, string expected)
    {
        var script = await RunAsync("completion", shell);

        Assert.Contains(expected, script, StringComparison.Ordinal);
        Assert.Contains("admin-cert", script, StringComparison.Ordinal);
    }

    /// <summary>Sources the script in bash and asks its function for the completions of a command line.</summary>
    private static async Task<string> Complete(string script, string line)
    {
        var words = line.Split(' ');
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, script + $"\nCOMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}; _fleetctl; printf '%s\\n' \"${{COMPREPLY[@]}}\" | sort\n");
        try
        {
            var psi = new ProcessStartInfo("bash", ["--norc", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var bash = Process.Start(psi)!;
            var output = await bash.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var error = await bash.StandardError.ReadToEndAsync();
            await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(bash.ExitCode == 0 && error.Length == 0, error);
            return string.Join(' ', output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
