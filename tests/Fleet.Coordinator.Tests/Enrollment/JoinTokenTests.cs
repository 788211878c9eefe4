using Fleet.Coordinator.Enrollment;

namespace Fleet.Coordinator.Tests.Enrollment;

public sealed class JoinTokenTests
{
    [Fact]
    public void New_RoundTripsThroughItsText()
    {
        var token = JoinToken.New();

        Assert.True(JoinToken.TryParse(token.Reveal(), out var parsed));
        Assert.Equal(token, parsed);
        Assert.Matches("^[0-9a-f]{12}\\.[0-9a-f]{48}$", token.Reveal());
        Assert.NotEqual(token.Reveal(), JoinToken.New().Reveal());
    }

    [Fact]
    public void ToString_ShowsOnlyTheId()
    {
        var token = JoinToken.New();

        Assert.Equal(token.Id, token.ToString());
        Assert.Equal(token.Id, $"{token}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcdef123456")]
    [InlineData("abcdef123456.")]
    [InlineData("ABCDEF123456.0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("abcdef12345.0123456789abcdef0123456789abcdef0123456789abcdef0")]
    [InlineData("abcdef123456.0123456789abcdef0123456789abcdef0123456789abcde")]
    public void TryParse_NotATokenOfOurFormat_IsFalse(string text) => Assert.False(JoinToken.TryParse(text, out _));

    [Fact]
    public void SecretHash_IsTheSha256OfTheSecretOnly()
    {
        var token = JoinToken.New();

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token.Secret)), token.SecretHash());
    }
}
