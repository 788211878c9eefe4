using System.Net;

namespace Fleet.Agent.Steps;

/// <summary>
/// The kubelet's healthz is plain HTTP on the node's loopback. A step is never allowed to make the
/// agent poll anything else: only http:// URLs whose host is a loopback address literal.
/// </summary>
public static class LoopbackHttpUrl
{
    public const string Rule = "only http:// URLs to a loopback address (127.0.0.0/8 or [::1]) are accepted, e.g. http://127.0.0.1:10248/healthz";

    /// <summary>What is wrong with the URL, or null when it may be polled.</summary>
    public static string? Problem(string value)
    {
        if (!value.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || value.Any(char.IsWhiteSpace))
        {
            return $"\"{value}\" is not an absolute URL; {Rule}";
        }

        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            return $"\"{value}\" is not http://; {Rule}";
        }

        if (uri.UserInfo.Length > 0)
        {
            return $"\"{value}\" carries user information; {Rule}";
        }

        return IPAddress.TryParse(uri.IdnHost, out var address) && IPAddress.IsLoopback(address)
            ? null
            : $"\"{value}\" is not a loopback address ({uri.Host}); {Rule}";
    }
}
