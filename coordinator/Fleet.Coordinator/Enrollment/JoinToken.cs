using System.Security.Cryptography;

namespace Fleet.Coordinator.Enrollment;

/// <summary>
/// A join token, "id.secret": 12 lowercase hex characters of id (public: listed, logged, revoked by)
/// and 48 of secret (192 random bits; shown once, stored only as its SHA-256, never logged).
/// </summary>
public readonly record struct JoinToken(string Id, string Secret)
{
    private const int IdLength = 12;
    private const int SecretLength = 48;

    public static JoinToken New() => new(
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdLength / 2)),
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretLength / 2)));

    public static bool TryParse(string text, out JoinToken token)
    {
        token = default;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot != IdLength || text.Length != IdLength + 1 + SecretLength || !text.Remove(dot, 1).All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        token = new JoinToken(text[..dot], text[(dot + 1)..]);
        return true;
    }

    public static bool IsId(string text) => text.Length == IdLength && text.All(char.IsAsciiHexDigitLower);

    public byte[] SecretHash() => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(Secret));

    /// <summary>The whole token, for the operator who created it: never for a log.</summary>
    public string Reveal() => $"{Id}.{Secret}";

    /// <summary>Only the id: a token printed by accident discloses nothing.</summary>
    public override string ToString() => Id;
}
