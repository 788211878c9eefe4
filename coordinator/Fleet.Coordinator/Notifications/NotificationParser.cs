namespace Fleet.Coordinator.Notifications;

/// <summary>
/// Checks a plan's `notifications:` and lists every problem by its path. Whether the named secrets exist is the
/// coordinator's to say (<see cref="WebhookSecrets"/>, at preflight): the plan only names them.
/// </summary>
public static class NotificationParser
{
    public const int MaxWebhooks = 10;
    public const int MaxUrlLength = 2048;

    public static RolloutNotifications Parse(NotificationsDocument? doc, List<string> problems)
    {
        if (doc is null)
        {
            return RolloutNotifications.None;
        }

        var docs = doc.Webhooks ?? [];
        if (docs.Count > MaxWebhooks)
        {
            problems.Add($"notifications.webhooks: {docs.Count} webhooks, at most {MaxWebhooks}");
        }

        var webhooks = new List<Webhook>();
        for (var i = 0; i < docs.Count; i++)
        {
            var at = $"notifications.webhooks[{i}]";
            var before = problems.Count;
            var url = Url(at, docs[i].Url, problems);
            var secret = docs[i].Secret;
            if (string.IsNullOrEmpty(secret))
            {
                problems.Add($"{at}.secret: missing (the name of a secret the coordinator holds in its webhook-secrets folder; every delivery is signed)");
            }
            else if (!NodeNames.IsValid(secret))
            {
                problems.Add($"{at}.secret: \"{secret}\" is not a secret name ({NodeNames.Rule}); give the NAME of a secret the coordinator holds, never the secret itself");
            }

            var events = Events(at, docs[i].Events, problems);
            if (problems.Count == before)
            {
                webhooks.Add(new Webhook(url!, secret!, events));
            }
        }

        return new RolloutNotifications(webhooks);
    }

    private static Uri? Url(string at, string? text, List<string> problems)
    {
        if (string.IsNullOrEmpty(text))
        {
            problems.Add($"{at}.url: missing");
            return null;
        }

        if (text.Length > MaxUrlLength)
        {
            problems.Add($"{at}.url: {text.Length} characters, at most {MaxUrlLength}");
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.IsFile || url.IsUnc)
        {
            problems.Add($"{at}.url: \"{text}\" is not an absolute URL");
            return null;
        }

        var ok = true;
        if (url.Scheme is not ("http" or "https"))
        {
            problems.Add($"{at}.url: scheme \"{url.Scheme}\" is not http or https");
            ok = false;
        }

        if (url.UserInfo.Length > 0)
        {
            // Plans are stored and shown (`rollout get -o json`): a password in the URL would be shown with them.
            problems.Add($"{at}.url: has credentials (user:password@); plans are stored and shown: give the receiver's secret by name (secret:) instead");
            ok = false;
        }

        if (url.Host.Length == 0)
        {
            problems.Add($"{at}.url: has no host");
            ok = false;
        }

        if (url.Fragment.Length > 0)
        {
            problems.Add($"{at}.url: has a fragment (#...), which is never sent");
            ok = false;
        }

        return ok ? url : null;
    }

    private static HashSet<WebhookEvent> Events(string at, List<string>? names, List<string> problems)
    {
        if (names is null)
        {
            return [.. WebhookEventNames.All];
        }

        var all = string.Join(", ", WebhookEventNames.All.Select(e => e.ToName()));
        if (names.Count == 0)
        {
            problems.Add($"{at}.events: empty (leave it out for every event: {all})");
        }

        var events = new HashSet<WebhookEvent>();
        for (var i = 0; i < names.Count; i++)
        {
            if (!WebhookEventNames.TryParse(names[i] ?? "", out var e))
            {
                problems.Add($"{at}.events[{i}]: \"{names[i]}\" is not an event ({all})");
            }
            else if (!events.Add(e))
            {
                problems.Add($"{at}.events[{i}]: \"{names[i]}\" given twice");
            }
        }

        return events;
    }
}
