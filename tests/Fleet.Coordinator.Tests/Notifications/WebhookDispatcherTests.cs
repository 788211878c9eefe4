using System.Security.Cryptography;
using System.Text;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Metrics;
using Fleet.Coordinator.Notifications;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Notifications;

/// <summary>
/// Deliveries through the real coordinator's dispatcher to real HTTP receivers on loopback: retries on 5xx, 408,
/// 429, timeouts and refused connections, none on other 4xx; each attempt signed anew; a bounded queue per
/// receiver that drops the oldest and counts it; a hung receiver delays no other receiver.
/// </summary>
public sealed class WebhookDispatcherTests : CoordinatorTest
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("dispatcher-secret");

    protected override void Configure(CoordinatorOptions options) => options.Notifications = new NotificationOptions
    {
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        RequestTimeout = TimeSpan.FromSeconds(2),
        MaxAttempts = 4,
        QueueCapacity = 3,
    };

    private WebhookMetrics Metrics => Coordinator.Service<WebhookMetrics>();

    [Fact]
    public async Task Receiver500TwiceThen200_GetsTheDeliveryThreeTimesSameIdEachSigned_AndItIsDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n <= 2 ? 500 : 200);
        Enqueue(receiver.Url, "d-1");

        await Eventually.Until(() => Delivered("delivered") == 1, "the delivery succeeds");

        Assert.Equal(3, receiver.Requests.Count);
        Assert.All(receiver.Requests, r => Assert.Equal("d-1", r.Header("Fleet-Delivery")));
        Assert.All(receiver.Requests, r => Assert.Equal("finished", r.Header("Fleet-Event")));
        Assert.All(receiver.Requests, r => Assert.StartsWith("application/json", r.Header("Content-Type")));
        Assert.All(receiver.Requests, r => Assert.True(Verifies(r), "each attempt verifies with the secret"));
        Assert.Equal(2, Metrics.Retries.Value);
        Assert.Equal(0, Delivered("failed"));
    }

    [Fact]
    public async Task Receiver4xx_IsNotRetried_But408And429Are()
    {
        await using var rejecting = await WebhookReceiver.StartAsync(_ => 403);
        await using var busy = await WebhookReceiver.StartAsync(n => n switch { 1 => 429, 2 => 408, _ => 204 });
        Enqueue(rejecting.Url, "d-403");
        Enqueue(busy.Url, "d-429");

        await Eventually.Until(() => Delivered("rejected") == 1 && Delivered("delivered") == 1, "one rejected, one delivered");

        Assert.Single(rejecting.Requests);
        Assert.Equal(3, busy.Requests.Count);
        Assert.Contains(Coordinator.Logs.Messages, m => m.Contains("d-403") && m.Contains("not delivered: \"HTTP 403"));
    }

    [Fact]
    public async Task ReceiverDown_IsRetriedUpToMaxAttempts_ThenCountedFailed()
    {
        var down = $"http://127.0.0.1:{FreePort.Next()}/hook"; // nothing listens there
        Enqueue(down, "d-down");

        await Eventually.Until(() => Delivered("failed") == 1, "the delivery gives up");

        Assert.Equal(3, Metrics.Retries.Value);
        Assert.Contains(Coordinator.Logs.Messages, m => m.Contains("d-down") && m.Contains("not delivered: \"retries used up"));
        Assert.DoesNotContain(Coordinator.Logs.Messages, m => m.Contains("/hook")); // logs name the origin, not the path
    }

    [Fact]
    public async Task ReceiverThatHangsOnce_TimesOutAndTheRetryIsDelivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n == 1 ? null : 200);
        Enqueue(receiver.Url, "d-hang");

        await Eventually.Until(() => Delivered("delivered") == 1, "the retry after the timeout succeeds");

        Assert.Equal(2, receiver.Requests.Count);
        Assert.Contains(Coordinator.Logs.Messages, m => m.Contains("d-hang") && m.Contains("no response within the request timeout"));
    }

    [Fact]
    public async Task HungReceiver_ItsQueueDropsTheOldestAndCounts_AndAnotherReceiverIsNotDelayed()
    {
        await using var hung = await WebhookReceiver.StartAsync(_ => null);
        await using var healthy = await WebhookReceiver.StartAsync();
        Enqueue(hung.Url, "d-0");
        await Eventually.Until(() => hung.Count == 1, "the first delivery hangs in the receiver");
        for (var i = 1; i <= 5; i++)
        {
            Enqueue(hung.Url, $"d-{i}"); // capacity 3: d-1 and d-2 are dropped, d-3..d-5 wait
        }

        Enqueue(healthy.Url, "d-healthy");

        await Eventually.Until(() => Delivered("delivered") == 1, "the healthy receiver gets its delivery while the other hangs");
        Assert.Equal("d-healthy", Assert.Single(healthy.Requests).Header("Fleet-Delivery"));
        Assert.Equal(2, Metrics.Dropped.Value);
        Assert.Single(Coordinator.Logs.Messages, m => m.Contains("its queue is full (3 waiting)"));

        hung.Status = _ => 200;
        hung.Release();
        await Eventually.Until(() => Delivered("delivered") == 5, "the hung receiver recovers and gets what was not dropped");
        var ids = hung.Requests.Select(r => r.Header("Fleet-Delivery")).Distinct().ToList();
        Assert.Equal(["d-0", "d-3", "d-4", "d-5"], ids); // in order; the oldest waiting were dropped
    }

    [Fact]
    public async Task SecretRemovedAfterThePlan_IsCountedAndNothingIsSent()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        Enqueue(receiver.Url, "d-nosecret", secret: "gone");

        await Eventually.Until(() => Delivered("no-secret") == 1, "the delivery is refused for want of its secret");

        Assert.Empty(receiver.Requests);
    }

    private double Delivered(string outcome) => Metrics.Deliveries.WithLabels(outcome).Value;

    private void Enqueue(string url, string id, string secret = "hooks")
    {
        var secrets = Coordinator.Service<WebhookSecrets>();
        var path = Path.Join(secrets.Dir, "hooks");
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, Secret);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var webhook = new Webhook(new Uri(url), secret, WebhookEventNames.All.ToHashSet());
        Coordinator.Service<WebhookDispatcher>().Enqueue(new WebhookDelivery(id, webhook, WebhookEvent.Finished, "r1", Encoding.UTF8.GetBytes($$"""{"id":"{{id}}"}""")));
    }

    /// <summary>The receiver's check, written here from the documentation, not with Fleet's code.</summary>
    private static bool Verifies(WebhookReceiver.Received r)
    {
        var parts = r.Header("Fleet-Signature").Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var mac = HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes(parts["t"] + ".").Concat(r.Body).ToArray());
        var age = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture);
        return CryptographicOperations.FixedTimeEquals(mac, Convert.FromHexString(parts["v1"])) && Math.Abs(age) < 300;
    }
}
