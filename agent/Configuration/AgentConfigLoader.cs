using System.Text.Json;
using Fleet.Security;

namespace Fleet.Agent.Configuration;

/// <summary>
/// Builds <see cref="AgentOptions"/> from three layers, later wins: the JSON file, FLEET_* environment
/// variables, command-line flags. Every problem is reported with the layer it came from.
/// </summary>
public static class AgentConfigLoader
{
    private sealed record Setting(string Key, string Env, string Flag, Action<AgentOptions, string> Apply, string Description);

    private static readonly Setting[] Settings =
    [
        new("coordinator", "FLEET_COORDINATOR", "--coordinator", (o, v) => o.Coordinator = ParseUri(v), "Coordinator agent endpoint, e.g. https://10.0.0.1:7443"),
        new("name", "FLEET_NAME", "--name", (o, v) => o.Name = NodeName(v), "Node name (default: the host name, lower-cased)"),
        new("root", "FLEET_ROOT", "--root", (o, v) => o.Root = AbsolutePath(v), "Prefix for every path the agent reads or writes (default /)"),
        new("stateDir", "FLEET_STATE_DIR", "--state-dir", (o, v) => o.StateDir = AbsolutePath(v), "State folder inside --root (default /var/lib/fleet-agent)"),
        new("labels", "FLEET_LABELS", "--labels", (o, v) => o.Labels = Labels(v), "Comma-separated key=value labels for selectors, e.g. role=worker,zone=a (Kubernetes label syntax; at most 64; a join token's labels are added at the coordinator and win a conflict)"),
        new("heartbeatInterval", "FLEET_HEARTBEAT_INTERVAL", "--heartbeat-interval", (o, v) => o.HeartbeatInterval = ParseDuration(v), "Heartbeat interval until the coordinator sets one (default 5s)"),
        new("reconnectCap", "FLEET_RECONNECT_CAP", "--reconnect-cap", (o, v) => o.ReconnectCap = ParseDuration(v), "Longest wait between reconnect attempts (default 30s)"),
        new("requiredCniPlugins", "FLEET_REQUIRED_CNI_PLUGINS", "--required-cni-plugins", (o, v) => o.RequiredCniPlugins = List(v), "Comma-separated CNI plugins a healthy node has (default loopback,portmap,bridge,host-local)"),
        new("systemctlPath", "FLEET_SYSTEMCTL_PATH", "--systemctl-path", (o, v) => o.SystemctlPath = Program(v), "systemctl for Systemd steps and the kubelet check: a name looked up on PATH or an absolute path, not under --root (default systemctl)"),
        new("systemdRunPath", "FLEET_SYSTEMD_RUN_PATH", "--systemd-run-path", (o, v) => o.SystemdRunPath = Program(v), "systemd-run, which starts the upgrade watchdog of UpgradeAgent steps outside the agent's service: a name looked up on PATH or an absolute path, not under --root (default systemd-run)"),
        new("kubeadmPath", "FLEET_KUBEADM_PATH", "--kubeadm-path", (o, v) => o.KubeadmPath = Program(v), "kubeadm for KubeadmJoin and KubeadmUpgrade steps: a name looked up on PATH or an absolute path, not under --root (default kubeadm)"),
        new("etcdctlPath", "FLEET_ETCDCTL_PATH", "--etcdctl-path", (o, v) => o.EtcdctlPath = Program(v), "etcdctl (API v3) for EtcdSnapshot steps: a name looked up on PATH or an absolute path, not under --root (default etcdctl)"),
        new("kubeletHealthzUrl", "FLEET_KUBELET_HEALTHZ_URL", "--kubelet-healthz-url", (o, v) => o.KubeletHealthzUrl = HealthzUrl(v), "The kubelet's healthz for WaitKubeletHealthy steps that name none; loopback http:// only (default http://127.0.0.1:10248/healthz)"),
        new("downloadRetryCap", "FLEET_DOWNLOAD_RETRY_CAP", "--download-retry-cap", (o, v) => o.DownloadRetryCap = RetryCap(v), "Longest wait between download attempts; a download retries a transient failure (unreachable, refused, reset, 5xx, stall) until its step's timeout, resuming with HTTP Range (default 15s)"),
        new("downloadStallTimeout", "FLEET_DOWNLOAD_STALL_TIMEOUT", "--download-stall-timeout", (o, v) => o.DownloadStallTimeout = ParseDuration(v), "Abandon and retry a download that receives nothing this long (default 30s)"),
        new("downloadMaxBytes", "FLEET_DOWNLOAD_MAX_BYTES", "--download-max-bytes", (o, v) => o.DownloadMaxBytes = Whole(v, max: long.MaxValue), "Size cap of a download when the step sets none (default 1073741824)"),
        new("binaryDirs", "FLEET_BINARY_DIRS", "--binary-dirs", (o, v) => o.BinaryDirs = List(v).Select(AbsolutePath).ToArray(), "Comma-separated folders inside --root searched for kubelet and kubeadm (default /usr/bin,/usr/local/bin)"),
        new("token", "FLEET_TOKEN", "--token", (o, v) => o.Token = v == "-" ? TokenFrom(Console.In, "standard input") : NonEmpty(v), "Join token ID.SECRET from `fleetctl token create`, for enroll; `-` reads it from standard input (on the command line it is visible to every local user: prefer --token-file or -)"),
        new("tokenFile", "FLEET_TOKEN_FILE", "--token-file", (o, v) => o.Token = TokenFile(v), "File holding the join token, for enroll; it must not be readable by group or others"),
        new("caPin", "FLEET_CA_PIN", "--ca-pin", (o, v) => o.CaPin = NonEmpty(v), "The coordinator CA's pin sha256:HEX from `fleetctl token create`, for enroll (or FLEET_CA_PIN)"),
    ];

    /// <summary>Settings an older agent knew, each with what replaced it: named, not just "unknown".</summary>
    private static readonly Dictionary<string, string> Retired = new(StringComparer.Ordinal)
    {
        ["downloadRetries"] = "a download now retries until its step's timeout, not for a count; remove it (downloadRetryCap sets the longest wait between attempts)",
    };

    /// <summary>The flags this loader understands, for the command line parser.</summary>
    public static IEnumerable<string> Flags => Settings.Select(s => s.Flag);

    /// <summary>Each flag with its help text.</summary>
    public static IEnumerable<(string Flag, string Description)> FlagHelp => Settings.Select(s => (s.Flag, s.Description));

    /// <summary>Each setting's environment variable and the flag it stands for (fleet-agent(1)'s ENVIRONMENT).</summary>
    public static IEnumerable<(string Variable, string Flag)> EnvironmentHelp => Settings.Select(s => (s.Env, s.Flag));

    /// <param name="configPath">The JSON file; a missing file is fine only when it is the default path.</param>
    /// <param name="configPathGiven">True when the operator named the file, so it must exist.</param>
    /// <param name="environment">Environment variables (FLEET_* are read).</param>
    /// <param name="flags">Flag name (e.g. --root) to value, for the flags given.</param>
    public static AgentOptions Load(string configPath, bool configPathGiven, IReadOnlyDictionary<string, string?> environment, IReadOnlyDictionary<string, string> flags)
    {
        var options = new AgentOptions();
        ApplyFile(options, configPath, configPathGiven);
        foreach (var s in Settings)
        {
            if (environment.TryGetValue(s.Env, out var value) && !string.IsNullOrEmpty(value))
            {
                Apply(options, s, value, $"environment variable {s.Env}");
            }
        }

        foreach (var s in Settings)
        {
            if (flags.TryGetValue(s.Flag, out var value))
            {
                Apply(options, s, value, $"flag {s.Flag}");
            }
        }

        if (options.Coordinator is null)
        {
            throw new ConfigException($"no coordinator configured: set \"coordinator\" in {configPath}, FLEET_COORDINATOR, or --coordinator");
        }

        return options;
    }

    private static void ApplyFile(AgentOptions options, string path, bool mustExist)
    {
        if (!File.Exists(path))
        {
            if (mustExist)
            {
                throw new ConfigException($"{path}: no such file");
            }

            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{path}: not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {FirstSentence(ex.Message)}");
        }
        catch (IOException ex)
        {
            throw new ConfigException($"{path}: cannot read: {ex.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: permission denied");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException($"{path}: expected a JSON object of settings, found {doc.RootElement.ValueKind}");
            }

            if (doc.RootElement.TryGetProperty("token", out _))
            {
                // A join token is a secret: a file holding one is for root's eyes only.
                if (PemFiles.IsLooserThanPrivate(path))
                {
                    throw new ConfigException($"{path}: holds a join token (\"token\") but may be read by others (mode {Mode(path)}); chmod 600 {path}, or remove the token (enroll removes it once the node is enrolled)");
                }

                options.TokenInConfigFile = path;
            }

            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (Retired.TryGetValue(property.Name, out var why))
                {
                    throw new ConfigException($"{path}: the setting \"{property.Name}\" is retired: {why}");
                }

                var setting = Settings.FirstOrDefault(s => s.Key == property.Name)
                    ?? throw new ConfigException($"{path}: unknown setting \"{property.Name}\" (known: {string.Join(", ", Settings.Select(s => s.Key))})");
                Apply(options, setting, JsonValue(property.Value, path, property.Name), $"{path}: \"{property.Name}\"");
            }
        }
    }

    private static string JsonValue(JsonElement value, string path, string key) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            string.Join(',', value.EnumerateArray().Select(e => e.GetString())),
        // Labels as an object ({"role": "worker"}): each pair checked here, so a ',' or '=' inside one is named as it was written.
        JsonValueKind.Object when key == "labels" && value.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.String) =>
            string.Join(',', value.EnumerateObject().Select(p =>
                (NodeLabels.KeyProblem(p.Name) ?? NodeLabels.ValueProblem(p.Name, p.Value.GetString()!)) is { } problem
                    ? throw new ConfigException($"{path}: \"{key}\": {problem}")
                    : $"{p.Name}={p.Value.GetString()}")),
        _ => throw new ConfigException($"{path}: \"{key}\" must be a string, a number or a list of strings{(key == "labels" ? " (or an object of strings)" : "")}, not {value.ValueKind}"),
    };

    private static void Apply(AgentOptions options, Setting setting, string value, string source)
    {
        try
        {
            setting.Apply(options, value);
        }
        catch (FormatException ex)
        {
            throw new ConfigException($"{source}: {ex.Message}");
        }
    }

    private static Uri ParseUri(string v) =>
        Uri.TryCreate(v, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? uri
            : throw new FormatException($"\"{v}\" is not an https:// URL (the agent speaks to the coordinator over mTLS only)");

    private static string TokenFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FormatException($"{path}: no such file");
        }

        if (PemFiles.IsLooserThanPrivate(path))
        {
            throw new FormatException($"{path} holds a join token but may be read by others (mode {Mode(path)}); chmod 600 {path}");
        }

        using var reader = new StreamReader(path);
        return TokenFrom(reader, path);
    }

    /// <summary>The first line, trimmed; a token is one line.</summary>
    private static string TokenFrom(TextReader reader, string what) =>
        reader.ReadLine()?.Trim() is { Length: > 0 } token ? token : throw new FormatException($"no token in {what} (expected ID.SECRET on its first line)");

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');

    private static string NonEmpty(string v) =>
        string.IsNullOrWhiteSpace(v) ? throw new FormatException("must not be empty") : v.Trim();

    private static string NodeName(string v) =>
        NodeNames.IsValid(v) ? v : throw new FormatException($"\"{v}\" is not a valid node name ({NodeNames.Rule})");

    private static string AbsolutePath(string v) =>
        Path.IsPathFullyQualified(v) ? v : throw new FormatException($"\"{v}\" is not an absolute path");

    private static string Program(string v) =>
        Hosting.ProgramPath.Problem(v) is { } problem ? throw new FormatException(problem) : v;

    private static string HealthzUrl(string v) =>
        Steps.LoopbackHttpUrl.Problem(v) is { } problem ? throw new FormatException(problem) : v;

    private static TimeSpan ParseDuration(string v) =>
        DurationText.Problem(v, out var d) is { } problem ? throw new FormatException(problem) : d;

    /// <summary>The backoff's cap: at least a second (no hammering a server that is down), at most ten minutes.</summary>
    private static TimeSpan RetryCap(string v) =>
        ParseDuration(v) is var d && d >= TimeSpan.FromSeconds(1) && d <= TimeSpan.FromMinutes(10)
            ? d
            : throw new FormatException($"\"{v}\" is not a duration from 1s to 10m");

    private static long Whole(string v, long max) =>
        long.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n <= max
            ? n
            : throw new FormatException($"\"{v}\" is not a whole number from 0 to {max}");

    /// <summary>key=value pairs, each a valid Kubernetes label (<see cref="NodeLabels"/>), each key once, at most <see cref="NodeLabels.MaxCount"/>.</summary>
    private static Dictionary<string, string> Labels(string v)
    {
        var labels = NodeLabels.Parse([v], out var problem);
        return problem is null ? labels : throw new FormatException(problem);
    }

    private static string[] List(string v) =>
        v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return message.TrimEnd(' ', '.', '|');
    }
}
