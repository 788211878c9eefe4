using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Coordinator.Notifications;

/// <summary>
/// The Fleet-Signature header: `t=UNIX_SECONDS,v1=HEX`, where HEX is HMAC-SHA256(secret, "UNIX_SECONDS." + body)
/// in lower-case hex. The timestamp is inside the signed text, so a receiver that refuses an old t (replay) can
/// trust it. Each attempt is signed anew, with its own time.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Fleet-Signature";

    public static string Sign(byte[] secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    /// <summary>What a receiver does (docs/rollouts.md): null when the header verifies and its time is within <paramref name="tolerance"/> of now, else why not.</summary>
    public static string? Verify(byte[] secret, string header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        string? t = null, v1 = null;
        foreach (var part in header.Split(','))
        {
            var kv = part.Split('=', 2);
            if (kv.Length == 2 && kv[0] == "t")
            {
                t = kv[1];
            }
            else if (kv.Length == 2 && kv[0] == "v1")
            {
                v1 = kv[1];
            }
        }

        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return "no t= or v1= in the signature";
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(v1);
        }
        catch (FormatException)
        {
            return "v1 is not hex";
        }

        if (!CryptographicOperations.FixedTimeEquals(given, Mac(secret, t, body)))
        {
            return "the signature does not match the body";
        }

        return Math.Abs(now.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds ? "the timestamp is too old or in the future (a replay?)" : null;
    }

    private static byte[] Mac(byte[] secret, string t, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(t + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return HMACSHA256.HashData(secret, signed);
    }
}
