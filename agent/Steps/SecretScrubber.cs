namespace Fleet.Agent.Steps;

/// <summary>
/// Removes a step's secrets (a bootstrap token, its secret half, a certificate key) from any text
/// before it leaves the handler: log lines, the command line shown, failure reasons.
/// </summary>
public sealed class SecretScrubber
{
    public const string Redacted = "[redacted]";

    private readonly string[] _secrets;

    /// <summary>Shorter values are not searched for: they would garble every text they occur in by chance,
    /// and no such value passes a step's validation to reach a program.</summary>
    public const int MinLength = 6;

    /// <param name="secrets">Longer secrets are replaced first, so a secret inside another goes with it.</param>
    public SecretScrubber(params string[] secrets) =>
        _secrets = secrets.Where(s => s.Length >= MinLength).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();

    public static SecretScrubber None { get; } = new();

    /// <summary>The longest secret's length: text cut this far past a limit still holds any secret that starts before it.</summary>
    public int LongestSecret => _secrets.Length > 0 ? _secrets[0].Length : 0;

    public string Scrub(string text)
    {
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Redacted, StringComparison.OrdinalIgnoreCase);
        }

        return text;
    }
}
