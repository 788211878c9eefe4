namespace Fleet;

/// <summary>How Fleet writes a SHA-256 everywhere (catalog, steps, journal): 64 lowercase hex characters.</summary>
public static class Sha256Text
{
    public static bool IsValid(string hex) => hex.Length == 64 && hex.All(char.IsAsciiHexDigitLower);
}
