using System.Security.Cryptography;
using System.Text;
using Fleet.Coordinator.Notifications;
using Fleet.Coordinator.Rollouts;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// Rollout webhooks end to end: the real coordinator, real agents, fleetctl, and a real HTTP receiver on loopback.
/// Every event of a rollout arrives, in order, signed with the named secret (verified here independently); a
/// receiver that hangs never holds the rollout up; an unknown secret is refused at plan time.
/// </summary>
public sealed class RolloutNotificationTests : IAsyncLifetime
{
    private const string SecretValue = "ops-webhook-secret-7f3a";
    private RolloutHarness _h = null!;

    /// <summary>Each test's coordinator: a receiver's queue holds <paramref name="queueCapacity"/> deliveries (the hung-receiver
    /// test makes it small to see drops; the others leave room, so no event is dropped on a slow machine).</summary>
    private async Task StartAsync(int queueCapacity = 64) => _h = await RolloutHarness.StartAsync(o => o.Notifications = new NotificationOptions
    {
        RetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromMinutes(5), // a hung receiver stays hung for the whole test
        QueueCapacity = queueCapacity,
    });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    [Fact]
    public async Task EveryEventOfARollout_ArrivesInOrder_SignedWithTheNamedSecret()
    {
        await StartAsync();
        WriteSecret("ops", SecretValue);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var finishedOnly = await WebhookReceiver.StartAsync();
        await _h.AgentAsync("pi1", "aarch64");
        await _h.AgentAsync("x1", "x86_64");
        using var mirrorDir = new TempDir();
        Directory.CreateDirectory(mirrorDir.Combine("kubectl/amd64"));
        File.Copy(Path.Join(Fixtures.Artifacts, Fixtures.Kubectl("amd64")), mirrorDir.Combine(Fixtures.Kubectl("amd64"))); // no arm64 build yet: pi1 fails
        await using var mirror = await ArtifactServer.StartAsync(mirrorDir.Path);
        await _h.ApplyCatalogAsync(KubectlCatalog(mirror.BaseUrl));

        var id = await _h.ApplyAsync($$"""
            target: {}
            strategy: { batchSize: 1, failureThreshold: 1, onFailure: pause }
            steps:
              - download: { component: kubectl, version: {{Fixtures.KubectlVersion}}, dest: /usr/local/bin/kubectl }
            notifications:
              webhooks:
                - url: {{receiver.Url}}
                  secret: ops
                - url: {{finishedOnly.Url}}
                  secret: ops
                  events: [finished]
            """);
        await _h.UntilStateAsync(id, "paused");
        await Eventually.Until(() => receiver.Count == 4, "started, node-failed, batch-done and paused have arrived");
        // What the gate and window code announce (from a real gate and window in AFailingGate_AndAWaitForAWindow_AreAnnounced_...): told to the same receivers, in order with the rest.
        var run = _h.Coordinator.Service<RolloutEngine>().Live(id)!;
        var transitions = _h.Coordinator.Service<RolloutTransitions>();
        await transitions.AnnounceAsync(run, RolloutAnnouncement.GateFailed, "gate prometheus: 1 series for 1m", CancellationToken.None);
        await transitions.AnnounceAsync(run, RolloutAnnouncement.WindowWait, "waiting for window (next: Sat 02:00 Europe/Berlin)", CancellationToken.None, node: "x1");
        await Eventually.Until(() => receiver.Count == 6, "gate-failed and window-wait have arrived");
        Directory.CreateDirectory(mirrorDir.Combine("kubectl/arm64"));
        File.Copy(Path.Join(Fixtures.Artifacts, Fixtures.Kubectl("arm64")), mirrorDir.Combine(Fixtures.Kubectl("arm64")));
        Assert.Equal(0, (await _h.CtlAsync("rollout", "resume", id)).ExitCode);
        await _h.UntilStateAsync(id, "succeeded");
        await Eventually.Until(() => receiver.Count == 10 && finishedOnly.Count == 1, "every event has arrived");

        var events = receiver.Requests.OrderBy(r => r.Number).ToList();
        Assert.Equal(
            ["started", "node-failed", "batch-done", "paused", "gate-failed", "window-wait", "resumed", "batch-done", "batch-done", "finished"],
            events.Select(e => e.Json.GetProperty("event").GetString()));
        Assert.All(events, e => Assert.Equal(e.Json.GetProperty("event").GetString(), e.Header("Fleet-Event")));
        Assert.All(events, e => Assert.Equal(id, e.Json.GetProperty("rollout").GetProperty("id").GetString()));
        Assert.All(events, e => Assert.Null(Verify(e.Header("Fleet-Signature"), e.Body)));
        Assert.Equal(events.Count, events.Select(e => e.Header("Fleet-Delivery")).Distinct().Count());
        var failed = events[1].Json;
        Assert.Equal("pi1", failed.GetProperty("node").GetString());
        Assert.Contains("404", failed.GetProperty("message").GetString());
        Assert.Equal(1, events[2].Json.GetProperty("batch").GetInt32());
        Assert.Contains("failure threshold reached", events[3].Json.GetProperty("message").GetString());
        Assert.Equal("gate prometheus: 1 series for 1m", events[4].Json.GetProperty("message").GetString());
        Assert.Equal("x1", events[5].Json.GetProperty("node").GetString());
        Assert.Equal("finished", Assert.Single(finishedOnly.Requests).Header("Fleet-Event")); // events: [finished] gets nothing else
        var finished = events[9].Json.GetProperty("rollout");
        Assert.Equal("succeeded", finished.GetProperty("state").GetString());
        Assert.Equal(2, finished.GetProperty("nodes").GetProperty("succeeded").GetInt32());

        var tampered = events[9].Body.ToArray();
        tampered[Array.IndexOf(tampered, (byte)'s')] = (byte)'S';
        Assert.Equal("the signature does not match the body", Verify(events[9].Header("Fleet-Signature"), tampered));

        // The secret is named in the plan, never given: it is in no log, no plan, no payload.
        var shown = (await _h.CtlAsync("rollout", "get", id, "-o", "json")).Stdout + await _h.LogsAsync(id) + string.Join("\n", _h.Coordinator.Logs.Messages);
        Assert.DoesNotContain(SecretValue, shown, StringComparison.Ordinal);
        Assert.All(events, e => Assert.DoesNotContain(SecretValue, Encoding.UTF8.GetString(e.Body), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailingGate_AndAWaitForAWindow_AreAnnounced_AndTheGateWaitIsMeasured()
    {
        await StartAsync();
        WriteSecret("ops", SecretValue);
        await using var receiver = await WebhookReceiver.StartAsync();
        await _h.AgentAsync("x1", "x86_64");
        await _h.AgentAsync("x2", "x86_64");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        var webhooks = $$"""
            notifications:
              webhooks:
                - { url: "{{receiver.Url}}", secret: ops, events: [gate-failed, window-wait, paused] }
            """;

        // A gate that cannot hold: the artifact server answers 404 where the gate expects 200.
        var gated = await _h.ApplyAsync($$"""
            target: {}
            strategy:
              batchSize: 1
              gates:
                - http: { url: "{{_h.Artifacts.BaseUrl}}/files/no-such-health-page", expectStatus: 200 }
            recipe:
              install-cni: { version: {{Fixtures.CniVersion}} }
            {{webhooks}}
            """);
        await _h.UntilStateAsync(gated, "paused");
        await Eventually.Until(() => receiver.Count == 2, "gate-failed and paused have arrived");
        var gateEvents = receiver.Requests.OrderBy(r => r.Number).ToList();
        Assert.Equal(["gate-failed", "paused"], gateEvents.Select(e => e.Json.GetProperty("event").GetString()));
        Assert.Contains("404", gateEvents[0].Json.GetProperty("message").GetString());
        Assert.Equal(1, _h.Coordinator.Service<Fleet.Coordinator.Metrics.RolloutMetrics>().GateWait.WithLabels("http", "failed").Count);
        Assert.Equal(0, (await _h.CtlAsync("rollout", "abort", gated)).ExitCode);
        await _h.UntilStateAsync(gated, "aborted");

        // A window three days from now (in Berlin, whatever the hour): the rollout waits, and says so once.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var day = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, berlin).Date.AddDays(3);
        var waiting = await _h.ApplyAsync($$"""
            target: {}
            strategy:
              windows: ["{{day.DayOfWeek.ToString()[..3]}} 00:00-01:00 Europe/Berlin"]
            recipe:
              install-cni: { version: {{Fixtures.CniVersion}} }
            {{webhooks}}
            """);
        await Eventually.Until(() => receiver.Count == 3, "window-wait has arrived");
        var wait = receiver.Requests.OrderBy(r => r.Number).Last().Json;
        Assert.Equal("window-wait", wait.GetProperty("event").GetString());
        Assert.Equal(waiting, wait.GetProperty("rollout").GetProperty("id").GetString());
        Assert.StartsWith("waiting for window (next: ", wait.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await _h.CtlAsync("rollout", "abort", waiting)).ExitCode);
        await _h.UntilStateAsync(waiting, "aborted");
    }

    [Fact]
    public async Task AReceiverThatHangs_DoesNotHoldTheRolloutUp_AndItsQueueDropsAndCounts()
    {
        await StartAsync(queueCapacity: 2);
        WriteSecret("ops", SecretValue);
        await using var receiver = await WebhookReceiver.StartAsync(_ => null); // never answers
        await _h.AgentAsync("x1", "x86_64");
        await _h.AgentAsync("x2", "x86_64");
        await _h.AgentAsync("x3", "x86_64");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));

        var id = await _h.ApplyAsync($$"""
            target: {}
            strategy: { batchSize: 1 }
            recipe:
              install-cni: { version: {{Fixtures.CniVersion}} }
            notifications:
              webhooks:
                - { url: "{{receiver.Url}}", secret: ops, events: [started, batch-done, finished] }
            """);

        var done = await _h.UntilStateAsync(id, "succeeded"); // started, 3 x batch-done, finished: 5 deliveries; the first hangs
        Assert.Equal("succeeded", RolloutHarness.State(done));
        Assert.Equal(1, receiver.Count); // still hung: the rollout finished without it
        var metrics = await Eventually.Until(ScrapeAsync, m => m.Contains("fleet_webhook_deliveries_dropped_total 2", StringComparison.Ordinal), "the queue of 2 dropped the 2 oldest waiting");
        Assert.Contains("fleet_webhook_deliveries_total{outcome=\"delivered\"} 0", metrics);
        Assert.Contains(_h.Coordinator.Logs.Messages, m => m.Contains("its queue is full (2 waiting)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APlanNamingAnUnknownOrUnsafeSecret_IsRefusedAtPlanTime_ByPath()
    {
        await StartAsync();
        WriteSecret("shared", SecretValue, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        await _h.AgentAsync("x1", "x86_64");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));
        var plan = await _h.PlanFileAsync($$"""
            target: {}
            recipe:
              install-cni: { version: {{Fixtures.CniVersion}} }
            notifications:
              webhooks:
                - { url: "http://127.0.0.1:9/hook", secret: nope }
                - { url: "http://127.0.0.1:9/hook", secret: shared }
            """);

        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        var applied = await _h.CtlAsync("rollout", "apply", "-f", plan);

        Assert.Equal(1, dry.ExitCode);
        Assert.Contains("notifications.webhooks[0].secret: the coordinator holds no secret \"nope\"", dry.Stderr);
        Assert.Contains("notifications.webhooks[1].secret: ", dry.Stderr);
        Assert.Contains("can be read or written by group or others", dry.Stderr);
        Assert.Equal(1, applied.ExitCode);
        Assert.Contains("notifications.webhooks[0].secret", applied.Stderr);
        Assert.Contains("No rollouts", (await _h.CtlAsync("rollout", "list")).Stdout, StringComparison.OrdinalIgnoreCase);
    }

    private void WriteSecret(string name, string value, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Join(_h.Coordinator.Service<WebhookSecrets>().Dir, name);
        File.WriteAllText(path, value + "\n");
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>The receiver's check as docs/rollouts.md describes it, written without Fleet's code.</summary>
    private static string? Verify(string header, byte[] body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(SecretValue), Encoding.ASCII.GetBytes(parts["t"] + ".").Concat(body).ToArray());
        if (!CryptographicOperations.FixedTimeEquals(mac, Convert.FromHexString(parts["v1"])))
        {
            return "the signature does not match the body";
        }

        var age = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture);
        return Math.Abs(age) > 300 ? "too old" : null;
    }

    private async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{_h.Coordinator.Options.MetricsListen!.Port}/metrics"));
    }

    private static string KubectlCatalog(string baseUrl) => $$"""
        components:
          kubectl:
            kind: binary
            url: {{baseUrl}}/files/kubectl/{arch}/kubectl
            versions:
              {{Fixtures.KubectlVersion}}:
                amd64: { sha256: {{Fixtures.Sha256(Fixtures.Kubectl("amd64"))}} }
                arm64: { sha256: {{Fixtures.Sha256(Fixtures.Kubectl("arm64"))}} }
        """;
}
