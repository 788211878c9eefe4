using Grpc.Core;

namespace Fleet.Agent.Tests.Session;

/// <summary>Which failures stop the agent for good: only a PermissionDenied that carries a known refusal of the certificate the agent holds now.</summary>
public sealed class IdentityRefusalTests
{
    private const string Serial = "0a1b2c3d4e5f";

    [Theory]
    [InlineData(IdentityRefusal.Revoked)]
    [InlineData(IdentityRefusal.NotEnrolled)]
    [InlineData(IdentityRefusal.UnknownCertificate)]
    public void DefinitiveReason_PermissionDeniedWithARefusalOfTheCurrentCertificate_IsDefinitive(string reason)
    {
        var ex = new RpcException(new Status(StatusCode.PermissionDenied, "refused"), IdentityRefusal.Trailers(reason, Serial));

        Assert.Equal(reason, IdentityRefusal.DefinitiveReason(ex, Serial.ToUpperInvariant())); // X509Certificate2.SerialNumber is upper case
    }

    public static TheoryData<StatusCode> OtherCodes() =>
        [StatusCode.Unavailable, StatusCode.Unauthenticated, StatusCode.DeadlineExceeded, StatusCode.ResourceExhausted, StatusCode.Internal, StatusCode.Unknown, StatusCode.Cancelled, StatusCode.AlreadyExists, StatusCode.InvalidArgument];

    [Theory]
    [MemberData(nameof(OtherCodes))]
    public void DefinitiveReason_AnyOtherStatus_EvenWithTheTrailers_IsTransient(StatusCode code)
    {
        var ex = new RpcException(new Status(code, "the node's certificate is revoked"), IdentityRefusal.Trailers(IdentityRefusal.Revoked, Serial));

        Assert.Null(IdentityRefusal.DefinitiveReason(ex, Serial));
    }

    [Fact]
    public void DefinitiveReason_PermissionDeniedWithoutTrailers_IsTransient_WhateverTheDetailSays()
    {
        // A coordinator of an earlier version, or a refusal that is not about the certificate.
        var ex = new RpcException(new Status(StatusCode.PermissionDenied, "the node's certificate is revoked; enroll it again"));

        Assert.Null(IdentityRefusal.DefinitiveReason(ex, Serial));
    }

    [Theory]
    [InlineData("Revoked")]
    [InlineData("expired")]
    [InlineData("")]
    [InlineData("revoked ")]
    public void DefinitiveReason_AnUnknownReason_IsTransient(string reason)
    {
        var ex = new RpcException(new Status(StatusCode.PermissionDenied, "refused"), new Metadata { { IdentityRefusal.ReasonKey, reason }, { IdentityRefusal.SerialKey, Serial } });

        Assert.Null(IdentityRefusal.DefinitiveReason(ex, Serial));
    }

    [Fact]
    public void DefinitiveReason_ARefusalOfAnotherCertificate_IsTransient()
    {
        // The certificate this node replaced by renewing (a renewal revokes it): the agent retries with the new one.
        var ex = new RpcException(new Status(StatusCode.PermissionDenied, "revoked"), IdentityRefusal.Trailers(IdentityRefusal.Revoked, "ffff"));

        Assert.Null(IdentityRefusal.DefinitiveReason(ex, Serial));
    }

    [Fact]
    public void DefinitiveReason_NoSerialInTheTrailers_IsTransient()
    {
        var ex = new RpcException(new Status(StatusCode.PermissionDenied, "revoked"), new Metadata { { IdentityRefusal.ReasonKey, IdentityRefusal.Revoked } });

        Assert.Null(IdentityRefusal.DefinitiveReason(ex, Serial));
    }
}
