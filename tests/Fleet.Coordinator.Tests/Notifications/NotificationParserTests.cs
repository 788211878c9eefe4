using Fleet.Coordinator.Notifications;
using Fleet.Coordinator.Rollouts;

namespace Fleet.Coordinator.Tests.Notifications;

/// <summary>A plan's notifications: what binds, and every refusal at plan time, by path, all at once.</summary>
public class NotificationParserTests
{
    private const string Rest = """
        target: {}
        recipe:
          install-cni: { version: v1.1.1 }
        """;

    [Fact]
    public void Parse_TwoWebhooks_GivesUrlsSecretNamesAndEvents()
    {
        var (plan, problems) = PlanParser.Parse(Rest + """

            notifications:
              webhooks:
                - url: https://hooks.example/fleet?team=ops
                  secret: ops
                  events: [paused, node-failed, finished]
                - url: http://127.0.0.1:9000/hook
                  secret: local.hooks
            """);

        Assert.Empty(problems);
        var hooks = plan!.Notifications.Webhooks;
        Assert.Equal(2, hooks.Count);
        Assert.Equal("https://hooks.example/fleet?team=ops", hooks[0].Url.AbsoluteUri);
        Assert.Equal("https://hooks.example", hooks[0].Origin);
        Assert.Equal("ops", hooks[0].Secret);
        Assert.Equal(new HashSet<WebhookEvent> { WebhookEvent.Paused, WebhookEvent.NodeFailed, WebhookEvent.Finished }, hooks[0].Events);
        Assert.Equal(WebhookEventNames.All.ToHashSet(), hooks[1].Events); // no events: every event
    }

    [Fact]
    public void Parse_NoNotifications_HasNone()
    {
        var (plan, problems) = PlanParser.Parse(Rest);

        Assert.Empty(problems);
        Assert.Empty(plan!.Notifications.Webhooks);
    }

    [Fact]
    public void Parse_EveryKindOfBadWebhook_IsRefusedWithEveryProblemByPath()
    {
        var (plan, problems) = PlanParser.Parse(Rest + """

            notifications:
              webhooks:
                - url: not a url
                  secret: ops
                - url: ftp://hooks.example/fleet
                  secret: ops
                - url: https://alice:hunter2@hooks.example/fleet
                  secret: ops
                - url: https://hooks.example/fleet
                  secret: "s3cr3t value!"
                - url: https://hooks.example/fleet
                  secret: ops
                  events: [paused, exploded, paused]
                - url: https://hooks.example/fleet
                - secret: ops
                - url: https://hooks.example/fleet
                  secret: ../../etc/shadow
                  events: []
                - url: file:///etc/passwd
                  secret: ops
                - url: https://hooks.example/fleet#frag
                  secret: ops
            """);

        Assert.Null(plan);
        Assert.Contains("notifications.webhooks[0].url: \"not a url\" is not an absolute URL", problems);
        Assert.Contains("notifications.webhooks[1].url: scheme \"ftp\" is not http or https", problems);
        Assert.Contains(problems, p => p.StartsWith("notifications.webhooks[2].url: has credentials (user:password@)", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("hunter2", StringComparison.Ordinal)); // the password is not repeated back
        Assert.Contains(problems, p => p.StartsWith("notifications.webhooks[3].secret: \"s3cr3t value!\" is not a secret name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("notifications.webhooks[4].events[1]: \"exploded\" is not an event (started, batch-done, node-failed, gate-failed, paused, window-wait, resumed, finished)", StringComparison.Ordinal));
        Assert.Contains("notifications.webhooks[4].events[2]: \"paused\" given twice", problems);
        Assert.Contains(problems, p => p.StartsWith("notifications.webhooks[5].secret: missing", StringComparison.Ordinal));
        Assert.Contains("notifications.webhooks[6].url: missing", problems);
        Assert.Contains(problems, p => p.StartsWith("notifications.webhooks[7].secret: \"../../etc/shadow\" is not a secret name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("notifications.webhooks[7].events: empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("notifications.webhooks[8].url:", StringComparison.Ordinal));
        Assert.Contains("notifications.webhooks[9].url: has a fragment (#...), which is never sent", problems);
    }

    [Fact]
    public void Parse_TooManyWebhooksAndAnUnknownKey_AreRefused()
    {
        var hooks = string.Concat(Enumerable.Range(0, NotificationParser.MaxWebhooks + 1).Select(i => $"\n    - {{ url: \"http://127.0.0.1:{9000 + i}/\", secret: ops }}"));
        var (plan, problems) = PlanParser.Parse(Rest + "\nnotifications:\n  webhooks:" + hooks + "\n  email: ops@example.org\n");

        Assert.Null(plan);
        Assert.Contains($"notifications.webhooks: {NotificationParser.MaxWebhooks + 1} webhooks, at most {NotificationParser.MaxWebhooks}", problems);
        Assert.Contains(problems, p => p.StartsWith("notifications.email:", StringComparison.Ordinal));
    }
}
