using System.Text.Json;
using Fleet.Agent.Configuration;

namespace Fleet.Agent.Tests.Configuration;

public sealed class AgentConfigLoaderTests : IDisposable
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];
    private static readonly Dictionary<string, string> NoFlags = [];

    private readonly FixtureRoot _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Each setting: its file key, environment variable, flag, and three values to layer.</summary>
    public static TheoryData<string, string, string, string, string, string> Layers => new()
    {
        { "coordinator", "FLEET_COORDINATOR", "--coordinator", "https://file.example:7443", "https://env.example:7443", "https://flag.example:7443" },
        { "name", "FLEET_NAME", "--name", "file-node", "env-node", "flag-node" },
        { "root", "FLEET_ROOT", "--root", "/file-root", "/env-root", "/flag-root" },
        { "stateDir", "FLEET_STATE_DIR", "--state-dir", "/file/state", "/env/state", "/flag/state" },
        { "heartbeatInterval", "FLEET_HEARTBEAT_INTERVAL", "--heartbeat-interval", "10s", "20s", "0.5s" },
        { "kubeadmPath", "FLEET_KUBEADM_PATH", "--kubeadm-path", "/file/kubeadm", "kubeadm-env", "/flag/kubeadm" },
        { "systemctlPath", "FLEET_SYSTEMCTL_PATH", "--systemctl-path", "/file/systemctl", "/env/systemctl", "systemctl-flag" },
        { "systemdRunPath", "FLEET_SYSTEMD_RUN_PATH", "--systemd-run-path", "/file/systemd-run", "systemd-run-env", "/flag/systemd-run" },
        { "etcdctlPath", "FLEET_ETCDCTL_PATH", "--etcdctl-path", "/file/etcdctl", "etcdctl-env", "/flag/etcdctl" },
        { "kubeletHealthzUrl", "FLEET_KUBELET_HEALTHZ_URL", "--kubelet-healthz-url", "http://127.0.0.1:1/healthz", "http://127.0.0.2:2/healthz", "http://[::1]:3/healthz" },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Load_FileOnly_UsesFile(string key, string env, string flag, string fileValue, string envValue, string flagValue)
    {
        _ = (env, flag, envValue, flagValue);
        var file = WriteConfig(WithCoordinator(new() { [key] = fileValue }));

        var options = AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags);

        Assert.Equal(fileValue, Read(options, key));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Load_EnvironmentOverFile_EnvironmentWins(string key, string env, string flag, string fileValue, string envValue, string flagValue)
    {
        _ = (flag, flagValue);
        var file = WriteConfig(WithCoordinator(new() { [key] = fileValue }));

        var options = AgentConfigLoader.Load(file, true, Env((env, envValue)), NoFlags);

        Assert.Equal(envValue, Read(options, key));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Load_FlagOverEnvironmentAndFile_FlagWins(string key, string env, string flag, string fileValue, string envValue, string flagValue)
    {
        var file = WriteConfig(WithCoordinator(new() { [key] = fileValue }));

        var options = AgentConfigLoader.Load(file, true, Env((env, envValue)), Flags((flag, flagValue)));

        Assert.Equal(flagValue, Read(options, key));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Load_FlagOverFile_FlagWins(string key, string env, string flag, string fileValue, string envValue, string flagValue)
    {
        _ = (env, envValue);
        var file = WriteConfig(WithCoordinator(new() { [key] = fileValue }));

        var options = AgentConfigLoader.Load(file, true, NoEnvironment, Flags((flag, flagValue)));

        Assert.Equal(flagValue, Read(options, key));
    }

    [Fact]
    public void Load_MixedLayers_EachSettingFromItsLatestLayer()
    {
        var file = WriteConfig(new()
        {
            ["coordinator"] = "https://file.example:7443",
            ["name"] = "file-node",
            ["root"] = "/file-root",
            ["stateDir"] = "/file/state",
            ["heartbeatInterval"] = "10s",
        });
        var environment = new Dictionary<string, string?>
        {
            ["FLEET_NAME"] = "env-node",
            ["FLEET_ROOT"] = "/env-root",
            ["FLEET_HEARTBEAT_INTERVAL"] = "20s",
            ["FLEET_STATE_DIR"] = "", // empty means not set
            ["PATH"] = "/usr/bin",
        };
        var flags = new Dictionary<string, string> { ["--root"] = "/flag-root", ["--heartbeat-interval"] = "500ms" };

        var options = AgentConfigLoader.Load(file, true, environment, flags);

        Assert.Equal(new Uri("https://file.example:7443"), options.Coordinator);
        Assert.Equal("env-node", options.Name);
        Assert.Equal("/flag-root", options.Root);
        Assert.Equal("/file/state", options.StateDir);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.HeartbeatInterval);
    }

    [Fact]
    public void Load_NothingButCoordinator_KeepsDefaults()
    {
        var options = AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, Env(("FLEET_COORDINATOR", "https://10.0.0.1:7443")), NoFlags);

        var defaults = new AgentOptions();
        Assert.Equal(new Uri("https://10.0.0.1:7443"), options.Coordinator);
        Assert.Null(options.Name);
        Assert.Equal(defaults.Root, options.Root);
        Assert.Equal(defaults.StateDir, options.StateDir);
        Assert.Equal(defaults.HeartbeatInterval, options.HeartbeatInterval);
        Assert.Equal(defaults.ReconnectCap, options.ReconnectCap);
        Assert.Equal(defaults.RequiredCniPlugins, options.RequiredCniPlugins);
        Assert.Equal("systemctl", options.SystemctlPath);
        Assert.Equal("systemd-run", options.SystemdRunPath);
        Assert.Equal("kubeadm", options.KubeadmPath);
        Assert.Equal("etcdctl", options.EtcdctlPath);
        Assert.Equal("http://127.0.0.1:10248/healthz", options.KubeletHealthzUrl);
        Assert.Equal(defaults.BinaryDirs, options.BinaryDirs);
    }

    [Fact]
    public void Load_GarbledJson_NamesFileAndSaysNotValidJson()
    {
        var file = _dir.Write("/agent.json", "{ \"coordinator\": \"https://a:1\",\n  \"name\": ");

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.StartsWith(file + ": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CommentsAndTrailingCommas_AreAccepted()
    {
        var file = _dir.Write("/agent.json", "{\n  // where the coordinator listens\n  \"coordinator\": \"https://a:1\",\n  \"name\": \"n1\",\n}\n");

        var options = AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags);

        Assert.Equal("n1", options.Name);
    }

    [Fact]
    public void Load_JsonArrayAtTop_IsRefused()
    {
        var file = _dir.Write("/agent.json", "[\"https://a:1\"]");

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains("JSON object", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownKey_NamesTheKey()
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1", ["heartbeat"] = "5s" });

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown setting \"heartbeat\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("heartbeatInterval", ex.Message, StringComparison.Ordinal); // the known ones are listed
    }

    [Fact]
    public void Load_RetiredDownloadRetries_SaysWhatReplacedIt()
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1", ["downloadRetries"] = "4" });

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Equal($"{file}: the setting \"downloadRetries\" is retired: a download now retries until its step's timeout, not for a count; remove it (downloadRetryCap sets the longest wait between attempts)", ex.Message);
    }

    [Theory]
    [InlineData("2m", 120)]
    [InlineData("1s", 1)]
    [InlineData("10m", 600)]
    public void Load_DownloadRetryCap_IsADuration(string value, int seconds)
    {
        var options = AgentConfigLoader.Load(WriteConfig(new() { ["coordinator"] = "https://a:1" }), true, NoEnvironment, Flags(("--download-retry-cap", value)));

        Assert.Equal(TimeSpan.FromSeconds(seconds), options.DownloadRetryCap);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("500ms")]
    [InlineData("11m")]
    [InlineData("15")]
    public void Load_DownloadRetryCapOutOfBounds_IsRefusedNamingTheFlag(string value)
    {
        var ex = Assert.Throws<ConfigException>(() =>
            AgentConfigLoader.Load(WriteConfig(new() { ["coordinator"] = "https://a:1" }), true, NoEnvironment, Flags(("--download-retry-cap", value))));

        Assert.Contains("--download-retry-cap", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DownloadRetryCapDefault_Is15Seconds() =>
        Assert.Equal(TimeSpan.FromSeconds(15), AgentConfigLoader.Load(WriteConfig(new() { ["coordinator"] = "https://a:1" }), true, NoEnvironment, NoFlags).DownloadRetryCap);

    [Fact]
    public void Load_KeyInWrongCase_IsUnknown()
    {
        var file = WriteConfig(new() { ["Coordinator"] = "https://a:1" });

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Contains("\"Coordinator\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadDurationInFile_NamesFileKeyAndValue()
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1", ["heartbeatInterval"] = "soon" });

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.StartsWith($"{file}: \"heartbeatInterval\": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"soon\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadDurationInEnvironment_NamesVariableAndValue()
    {
        var environment = new Dictionary<string, string?> { ["FLEET_COORDINATOR"] = "https://a:1", ["FLEET_RECONNECT_CAP"] = "-3s" };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, environment, NoFlags));

        Assert.StartsWith("environment variable FLEET_RECONNECT_CAP: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"-3s\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadDurationInFlag_NamesFlagAndValue()
    {
        var flags = new Dictionary<string, string> { ["--coordinator"] = "https://a:1", ["--heartbeat-interval"] = "5 parsecs" };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, flags));

        Assert.StartsWith("flag --heartbeat-interval: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"5 parsecs\"", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0s")]
    [InlineData("")]
    [InlineData("ms")]
    public void Load_NonPositiveOrEmptyDuration_IsRefused(string value)
    {
        var flags = new Dictionary<string, string> { ["--coordinator"] = "https://a:1", ["--heartbeat-interval"] = value };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, flags));

        Assert.Contains($"\"{value}\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DurationAsJsonNumber_IsRefused_ForWantOfAUnit()
    {
        var file = _dir.Write("/agent.json", "{ \"coordinator\": \"https://a:1\", \"heartbeatInterval\": 15 }");

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.EndsWith("\"heartbeatInterval\": \"15\" has no unit: write 15s, 15m, 15h or 15d", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--root", "relative/root")]
    [InlineData("--root", "./root")]
    [InlineData("--state-dir", "var/lib/fleet-agent")]
    public void Load_RelativePathFlag_IsRefused(string flag, string value)
    {
        var flags = new Dictionary<string, string> { ["--coordinator"] = "https://a:1", [flag] = value };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, flags));

        Assert.Equal($"flag {flag}: \"{value}\" is not an absolute path", ex.Message);
    }

    [Theory]
    [InlineData("--kubeadm-path", "bin/kubeadm", "\"bin/kubeadm\" is neither a bare program name (looked up on PATH) nor an absolute path")]
    [InlineData("--kubeadm-path", "./kubeadm", "is neither a bare program name")]
    [InlineData("--kubeadm-path", "-kubeadm", "\"-kubeadm\" starts with '-'")]
    [InlineData("--kubeadm-path", " kubeadm", "has leading or trailing spaces")]
    [InlineData("--systemctl-path", "usr/bin/systemctl", "is neither a bare program name")]
    [InlineData("--systemctl-path", "", "must not be empty")]
    [InlineData("--etcdctl-path", "bin/etcdctl", "is neither a bare program name")]
    [InlineData("--etcdctl-path", "--debug", "\"--debug\" starts with '-'")]
    public void Load_ProgramThatIsNeitherANameNorAnAbsolutePath_IsRefused(string flag, string value, string problem)
    {
        var flags = new Dictionary<string, string> { ["--coordinator"] = "https://a:1", [flag] = value };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, flags));

        Assert.StartsWith($"flag {flag}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.0.0.5:10248/healthz", "is not a loopback address (10.0.0.5)")]
    [InlineData("https://127.0.0.1:10248/healthz", "is not http://")]
    [InlineData("http://localhost:10248/healthz", "is not a loopback address (localhost)")]
    public void Load_HealthzUrlNotLoopbackHttp_IsRefusedSayingWhatIsAccepted(string url, string problem)
    {
        var environment = Env(("FLEET_COORDINATOR", "https://a:1"), ("FLEET_KUBELET_HEALTHZ_URL", url));

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, environment, NoFlags));

        Assert.StartsWith("environment variable FLEET_KUBELET_HEALTHZ_URL: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains("only http:// URLs to a loopback address (127.0.0.0/8 or [::1]) are accepted", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RelativeRootInFile_IsRefused()
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1", ["root"] = "sandbox" });

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Equal($"{file}: \"root\": \"sandbox\" is not an absolute path", ex.Message);
    }

    [Fact]
    public void Load_RelativeBinaryDir_IsRefused()
    {
        var environment = new Dictionary<string, string?> { ["FLEET_COORDINATOR"] = "https://a:1", ["FLEET_BINARY_DIRS"] = "/usr/bin,opt/bin" };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, environment, NoFlags));

        Assert.Equal("environment variable FLEET_BINARY_DIRS: \"opt/bin\" is not an absolute path", ex.Message);
    }

    [Theory]
    [InlineData("ftp://a:1")]
    [InlineData("10.0.0.1:7443")]
    [InlineData("not a url")]
    public void Load_CoordinatorNotHttp_IsRefused(string value)
    {
        var ex = Assert.Throws<ConfigException>(() =>
            AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, Env(("FLEET_COORDINATOR", value)), NoFlags));

        Assert.StartsWith("environment variable FLEET_COORDINATOR: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{value}\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptyNameFlag_IsRefused()
    {
        var flags = new Dictionary<string, string> { ["--coordinator"] = "https://a:1", ["--name"] = "  " };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, flags));

        Assert.Equal($"flag --name: \"  \" is not a valid node name ({NodeNames.Rule})", ex.Message);
    }

    [Theory]
    [InlineData("Worker-7")]
    [InlineData("pi_1")]
    [InlineData("-pi")]
    public void Load_NameKubernetesWouldRefuse_IsRefused(string name)
    {
        var flags = new Dictionary<string, string> { ["--coordinator"] = "https://a:1", ["--name"] = name };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, flags));

        Assert.StartsWith($"flag --name: \"{name}\" is not a valid node name", ex.Message);
    }

    [Fact]
    public void Load_MissingDefaultFile_IsFine()
    {
        var options = AgentConfigLoader.Load(_dir.Resolve("/etc/fleet/agent.json"), false, NoEnvironment, Flags(("--coordinator", "https://a:1")));

        Assert.Equal(new Uri("https://a:1"), options.Coordinator);
    }

    [Fact]
    public void Load_MissingGivenFile_IsAnError()
    {
        var missing = _dir.Resolve("/etc/fleet/agent.json");

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(missing, true, NoEnvironment, Flags(("--coordinator", "https://a:1"))));

        Assert.Equal($"{missing}: no such file", ex.Message);
    }

    [Fact]
    public void Load_NoCoordinatorAnywhere_MentionsEveryWayToSetIt()
    {
        var file = WriteConfig(new() { ["name"] = "n1" });

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Contains("--coordinator", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FLEET_COORDINATOR", ex.Message, StringComparison.Ordinal);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RequiredCniPluginsFromJsonArray_IsTheList()
    {
        var file = _dir.Write("/agent.json", "{ \"coordinator\": \"https://a:1\", \"requiredCniPlugins\": [\"loopback\", \"flannel\"] }");

        var options = AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags);

        Assert.Equal(["loopback", "flannel"], options.RequiredCniPlugins);
    }

    [Fact]
    public void Load_RequiredCniPluginsFromEnvironment_IsTheCommaList()
    {
        var environment = new Dictionary<string, string?>
        {
            ["FLEET_COORDINATOR"] = "https://a:1",
            ["FLEET_REQUIRED_CNI_PLUGINS"] = "bridge, loopback,,portmap ",
        };

        var options = AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, environment, NoFlags);

        Assert.Equal(["bridge", "loopback", "portmap"], options.RequiredCniPlugins);
    }

    [Fact]
    public void Load_ListOfNonStrings_IsRefused()
    {
        var file = _dir.Write("/agent.json", "{ \"coordinator\": \"https://a:1\", \"requiredCniPlugins\": [\"loopback\", 3] }");

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Contains("\"requiredCniPlugins\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.0.0.1:7443")]
    [InlineData("ftp://10.0.0.1")]
    public void Load_CoordinatorNotHttps_IsRefusedBecauseTheAgentSpeaksMtlsOnly(string url)
    {
        var flags = new Dictionary<string, string> { ["--coordinator"] = url };

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, flags));

        Assert.Equal($"flag --coordinator: \"{url}\" is not an https:// URL (the agent speaks to the coordinator over mTLS only)", ex.Message);
    }

    [Fact]
    public void Load_DuplicateLabelKey_IsAConfigErrorNamingTheKey()
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1", ["labels"] = "role=worker,zone=a,role=control-plane" });

        var fromFile = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));
        var fromEnv = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, Env(("FLEET_COORDINATOR", "https://a:1"), ("FLEET_LABELS", "a=1,a=1")), NoFlags));
        var fromFlag = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, Flags(("--coordinator", "https://a:1"), ("--labels", "x=,x=2"))));

        Assert.Equal($"{file}: \"labels\": the label key \"role\" is given twice (\"worker\" and \"control-plane\"); give each key once", fromFile.Message);
        Assert.Equal("environment variable FLEET_LABELS: the label key \"a\" is given twice (\"1\" and \"1\"); give each key once", fromEnv.Message);
        Assert.Equal("flag --labels: the label key \"x\" is given twice (\"\" and \"2\"); give each key once", fromFlag.Message);
    }

    [Theory]
    [InlineData(0x1A4, "0644")]
    [InlineData(0x1A0, "0640")]
    [InlineData(0x184, "0604")]
    [InlineData(0x1B6, "0666")]
    public void Load_FileWithATokenReadableByOthers_IsRefusedNamingTheMode(int mode, string octal)
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1", ["token"] = "0123456789ab.secret" });
        File.SetUnixFileMode(file, (UnixFileMode)mode);

        var ex = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags));

        Assert.Equal($"{file}: holds a join token (\"token\") but may be read by others (mode {octal}); chmod 600 {file}, or remove the token (enroll removes it once the node is enrolled)", ex.Message);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileWithATokenOwnerOnly_IsReadAndRemembered()
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1", ["token"] = "0123456789ab.secret" });
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var options = AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags);

        Assert.Equal(("0123456789ab.secret", file), (options.Token, options.TokenInConfigFile));
    }

    [Fact]
    public void Load_FileWithoutAToken_MayBeReadableByOthers()
    {
        var file = WriteConfig(new() { ["coordinator"] = "https://a:1" });
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4);

        var options = AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags);

        Assert.Null(options.TokenInConfigFile);
    }

    [Fact]
    public void Load_TokenFile_IsReadWhenOwnerOnly_AndRefusedOtherwise()
    {
        var tokenFile = _dir.Write("/token", "0123456789ab.secret\n");
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var open = _dir.Write("/open-token", "0123456789ab.secret\n");
        var empty = _dir.Write("/empty-token", "\n");
        File.SetUnixFileMode(empty, UnixFileMode.UserRead);

        var options = AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, Flags(("--coordinator", "https://a:1"), ("--token-file", tokenFile)));
        var readable = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, Flags(("--coordinator", "https://a:1"), ("--token-file", open))));
        var none = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, NoEnvironment, Flags(("--coordinator", "https://a:1"), ("--token-file", empty))));
        var missing = Assert.Throws<ConfigException>(() => AgentConfigLoader.Load(_dir.Resolve("/absent.json"), false, Env(("FLEET_COORDINATOR", "https://a:1"), ("FLEET_TOKEN_FILE", _dir.Resolve("/nope"))), NoFlags));

        Assert.Equal("0123456789ab.secret", options.Token);
        Assert.Equal($"flag --token-file: {open} holds a join token but may be read by others (mode 0644); chmod 600 {open}", readable.Message);
        Assert.Equal($"flag --token-file: no token in {empty} (expected ID.SECRET on its first line)", none.Message);
        Assert.Equal($"environment variable FLEET_TOKEN_FILE: {_dir.Resolve("/nope")}: no such file", missing.Message);
    }

    [Fact]
    public void ConfigFileToken_Remove_KeepsEveryOtherSettingAndTheMode()
    {
        var file = _dir.Write("/agent.json", "{\n  // where to connect\n  \"coordinator\": \"https://a:1\",\n  \"token\": \"0123456789ab.secret\",\n  \"labels\": \"role=worker\",\n}\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.True(ConfigFileToken.Remove(file));
        Assert.False(ConfigFileToken.Remove(file));

        var text = File.ReadAllText(file);
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        var options = AgentConfigLoader.Load(file, true, NoEnvironment, NoFlags);
        Assert.Equal(("https://a:1", "worker", null), (options.Coordinator!.OriginalString, options.Labels["role"], options.Token));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(["agent.json"], Directory.GetFiles(Path.GetDirectoryName(file)!).Select(Path.GetFileName).Where(n => n!.Contains("agent", StringComparison.Ordinal)));
    }

    [Fact]
    public void Flags_ListEverySettingsFlag()
    {
        Assert.Equal(
            ["--coordinator", "--name", "--root", "--state-dir", "--labels", "--heartbeat-interval", "--reconnect-cap", "--required-cni-plugins", "--systemctl-path", "--systemd-run-path", "--kubeadm-path", "--etcdctl-path", "--kubelet-healthz-url",
             "--download-retry-cap", "--download-stall-timeout", "--download-max-bytes", "--binary-dirs", "--token", "--token-file", "--ca-pin"],
            AgentConfigLoader.Flags);
        Assert.All(AgentConfigLoader.FlagHelp, f => Assert.False(string.IsNullOrWhiteSpace(f.Description)));
    }

    private static Dictionary<string, string?> Env(params (string Name, string? Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);

    private static Dictionary<string, string> Flags(params (string Flag, string Value)[] flags) =>
        flags.ToDictionary(f => f.Flag, f => f.Value, StringComparer.Ordinal);

    private static Dictionary<string, string> WithCoordinator(Dictionary<string, string> settings)
    {
        settings.TryAdd("coordinator", "https://base.example:7443");
        return settings;
    }

    private string WriteConfig(Dictionary<string, string> settings) =>
        _dir.Write($"/config-{Guid.NewGuid():N}.json", JsonSerializer.Serialize(settings));

    private static string? Read(AgentOptions options, string key) => key switch
    {
        "coordinator" => options.Coordinator?.OriginalString,
        "name" => options.Name,
        "root" => options.Root,
        "stateDir" => options.StateDir,
        "heartbeatInterval" => $"{options.HeartbeatInterval.TotalSeconds}s",
        "kubeadmPath" => options.KubeadmPath,
        "systemctlPath" => options.SystemctlPath,
        "systemdRunPath" => options.SystemdRunPath,
        "etcdctlPath" => options.EtcdctlPath,
        "kubeletHealthzUrl" => options.KubeletHealthzUrl,
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "not a layered setting in this test"),
    };
}
