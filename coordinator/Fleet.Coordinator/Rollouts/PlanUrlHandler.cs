namespace Fleet.Coordinator.Rollouts;

/// <summary>
/// The HTTP handler for URLs a plan names and the coordinator calls (gates, webhooks): redirects are never followed
/// (the first answer is the one that counts: no hop to another scheme or host), no cookies, no decompression, headers
/// bounded, a connect timeout; callers bound each request's time and what they read.
/// </summary>
public static class PlanUrlHandler
{
    public static SocketsHttpHandler Create(TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = connectTimeout,
        MaxResponseHeadersLength = 64, // KiB
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };
}
