namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>
/// The URL rule of a gate, checked at plan time: the coordinator fetches what a plan names, so only an absolute
/// http or https URL with a host, no credentials in it (they would sit in the stored plan and in every log
/// line that names the gate), no fragment, printable ASCII only, at most <see cref="MaxLength"/> characters.
/// </summary>
public static class GateUrl
{
    public const int MaxLength = 2048;

    /// <summary>Why the text is not a gate URL, or null (and the URL) when it is.</summary>
    public static string? Problem(string? text, bool allowQuery, out Uri url)
    {
        url = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return "missing (an http or https URL)";
        }

        if (text.Length > MaxLength)
        {
            return $"longer than {MaxLength} characters";
        }

        if (text.Any(c => c <= ' ' || c >= 0x7f))
        {
            return $"\"{BoundedText.Of(text, 200)}\" has spaces, control or non-ASCII characters (percent-encode them)";
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.IsFile || parsed.IsUnc)
        {
            return $"\"{text}\" is not an absolute URL";
        }

        if (parsed.Scheme is not ("http" or "https"))
        {
            return $"\"{text}\": scheme {parsed.Scheme} is not http or https";
        }

        if (parsed.Host.Length == 0)
        {
            return $"\"{text}\" has no host";
        }

        if (parsed.UserInfo.Length > 0)
        {
            return "has credentials (user:password@): a gate URL is stored with the plan and shown in logs; give none";
        }

        if (parsed.Fragment.Length > 0)
        {
            return $"\"{text}\" has a fragment (#...)";
        }

        if (!allowQuery && parsed.Query.Length > 0)
        {
            return $"\"{text}\" has a query string: give the Prometheus server's base URL (Fleet asks its /api/v1/query)";
        }

        url = parsed;
        return null;
    }
}
