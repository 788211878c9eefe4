using System.Security.Cryptography;
using System.Text;
using Fleet.Coordinator.Notifications;

namespace Fleet.Coordinator.Tests.Notifications;

/// <summary>Fleet-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, "UNIX." + body)), recomputed here independently.</summary>
public class WebhookSignatureTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("correct horse battery staple");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"event":"finished"}""");
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void Sign_IsTheHmacOfTimestampDotBody()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);

        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Secret, "1800000000."u8.ToArray().Concat(Body).ToArray()));
        Assert.Equal($"t=1800000000,v1={expected}", header);
        Assert.Null(WebhookSignature.Verify(Secret, header, Body, At.AddSeconds(30), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Verify_TamperedBodyWrongSecretOldTimeOrGarbage_Fails()
    {
        var header = WebhookSignature.Sign(Secret, At, Body);
        var tampered = Encoding.UTF8.GetBytes("""{"event":"finishes"}""");

        Assert.Equal("the signature does not match the body", WebhookSignature.Verify(Secret, header, tampered, At, TimeSpan.FromMinutes(5)));
        Assert.Equal("the signature does not match the body", WebhookSignature.Verify("other"u8.ToArray(), header, Body, At, TimeSpan.FromMinutes(5)));
        Assert.Equal("the signature does not match the body", WebhookSignature.Verify(Secret, header.Replace("t=1800000000", "t=1800000999", StringComparison.Ordinal), Body, At, TimeSpan.FromMinutes(5)));
        Assert.Equal("the timestamp is too old or in the future (a replay?)", WebhookSignature.Verify(Secret, header, Body, At.AddMinutes(6), TimeSpan.FromMinutes(5)));
        Assert.Equal("no t= or v1= in the signature", WebhookSignature.Verify(Secret, "v1=abcd", Body, At, TimeSpan.FromMinutes(5)));
        Assert.Equal("v1 is not hex", WebhookSignature.Verify(Secret, "t=1800000000,v1=zz", Body, At, TimeSpan.FromMinutes(5)));
    }
}
