using System.Net;
using System.Net.Http.Headers;
using Fleet.Coordinator.Metrics;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Fleet.Coordinator.Notifications;

/// <summary>
/// Sends one delivery: a JSON POST signed at each attempt (<see cref="WebhookSignature"/>), each attempt bounded by
/// <see cref="NotificationOptions.RequestTimeout"/>, retried with capped exponential backoff and jitter on 5xx,
/// 408, 429, timeouts and connection errors; a 3xx or another 4xx is final. Redirects are not followed and the
/// response body is never read. Never throws but for the coordinator stopping.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpStatusCode> _pipeline;
    private readonly WebhookSecrets _secrets;
    private readonly WebhookMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookSender> _logger;

    public WebhookSender(NotificationOptions options, WebhookSecrets secrets, WebhookMetrics metrics, TimeProvider time, ILogger<WebhookSender> logger)
    {
        _secrets = secrets;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _http = new HttpClient(Rollouts.PlanUrlHandler.Create(options.RequestTimeout))
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt is bounded by the pipeline's timeout
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("fleet-coordinator", typeof(WebhookSender).Assembly.GetName().Version?.ToString(3) ?? "0"));
        _pipeline = new ResiliencePipelineBuilder<HttpStatusCode> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpStatusCode>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException or TimeoutRejectedException
                    || (args.Outcome.Exception is null && Retryable(args.Outcome.Result))),
                MaxRetryAttempts = Math.Max(0, options.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    _metrics.Retries.Inc();
                    var d = args.Context.Properties.GetValue(DeliveryKey, null!);
                    NotificationLog.Retrying(_logger, d.Webhook.Origin, d.Event.ToName(), d.RolloutId, d.Id, args.AttemptNumber + 1, Reason(args.Outcome), args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .AddTimeout(options.RequestTimeout)
            .Build();
    }

    private static readonly ResiliencePropertyKey<WebhookDelivery> DeliveryKey = new("fleet.delivery");

    /// <summary>5xx, 408 Request Timeout and 429 Too Many Requests are worth another attempt; nothing else is.</summary>
    public static bool Retryable(HttpStatusCode status) => (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    public async Task SendAsync(WebhookDelivery delivery, CancellationToken stopping)
    {
        var origin = delivery.Webhook.Origin;
        if (_secrets.Read(delivery.Webhook.Secret, out var secret) is { } problem)
        {
            _metrics.Deliveries.WithLabels("no-secret").Inc();
            NotificationLog.NotDelivered(_logger, origin, delivery.Event.ToName(), delivery.RolloutId, delivery.Id, problem);
            return;
        }

        var context = ResilienceContextPool.Shared.Get(stopping);
        context.Properties.Set(DeliveryKey, delivery);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state.Self.AttemptAsync(state.Delivery, state.Secret, ctx.CancellationToken));
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                    {
                        return Outcome.FromException<HttpStatusCode>(ex);
                    }
                },
                context,
                (Self: this, Delivery: delivery, Secret: secret));
            stopping.ThrowIfCancellationRequested();
            if (outcome.Exception is null && (int)outcome.Result is >= 200 and < 300)
            {
                _metrics.Deliveries.WithLabels("delivered").Inc();
                NotificationLog.Delivered(_logger, origin, delivery.Event.ToName(), delivery.RolloutId, delivery.Id, (int)outcome.Result);
                return;
            }

            var final = outcome.Exception is null && !Retryable(outcome.Result);
            _metrics.Deliveries.WithLabels(final ? "rejected" : "failed").Inc();
            NotificationLog.NotDelivered(_logger, origin, delivery.Event.ToName(), delivery.RolloutId, delivery.Id,
                (final ? "" : "retries used up: ") + Reason(outcome));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<HttpStatusCode> AttemptAsync(WebhookDelivery delivery, byte[] secret, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Webhook.Url) { Content = new ByteArrayContent(delivery.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, _time.GetUtcNow(), delivery.Body));
        request.Headers.Add("Fleet-Event", delivery.Event.ToName());
        request.Headers.Add("Fleet-Delivery", delivery.Id);
        // Headers only: the body is never read (bounded by not reading it) and never logged.
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        return response.StatusCode;
    }

    private static string Reason(Outcome<HttpStatusCode> outcome) => outcome.Exception switch
    {
        null => $"HTTP {(int)outcome.Result}",
        TimeoutRejectedException => "no response within the request timeout",
        HttpRequestException h => h.HttpRequestError == HttpRequestError.Unknown ? h.Message : $"{h.HttpRequestError}: {h.Message}",
        var ex => ex.Message,
    };

    public void Dispose() => _http.Dispose();
}
