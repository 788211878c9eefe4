using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Security;

/// <summary>
/// A CA pin, as kubeadm's discovery hash: "sha256:" and the lowercase hex SHA-256 of the CA
/// certificate's SubjectPublicKeyInfo. The agent trusts a coordinator only through it.
/// </summary>
public static class CaPin
{
    public const string Prefix = "sha256:";

    public static string Of(X509Certificate2 ca) =>
        Prefix + Convert.ToHexStringLower(SHA256.HashData(ca.PublicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>Normalizes a pin given by an operator; false when it is not sha256:64-hex.</summary>
    public static bool TryParse(string text, out string pin)
    {
        pin = text.Trim().ToLowerInvariant();
        return pin.StartsWith(Prefix, StringComparison.Ordinal)
            && pin.Length == Prefix.Length + 64
            && pin[Prefix.Length..].All(char.IsAsciiHexDigitLower);
    }

    /// <summary>Constant-time comparison of the CA's pin with the expected one.</summary>
    public static bool Matches(X509Certificate2 ca, string expected) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(Of(ca)), System.Text.Encoding.ASCII.GetBytes(expected));
}
