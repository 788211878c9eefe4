using Fleet.Coordinator.Enrollment;
using Fleet.Security;
using Google.Protobuf;
using Grpc.Core;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>The CSRs <see cref="CsrMutationTests"/> found answered with an unexpected exception, kept as plain cases.</summary>
public sealed class CsrFoundByMutationTests
{
    [Theory]
    [InlineData(new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02 }, new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x09 })] // ecdsa-with-SHA256 -> 1.2.840.10045.4.3.9
    [InlineData(new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 }, new byte[] { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x39 })] // P-256 -> an unknown curve
    public void ACsrWithAnUnknownAlgorithmOrCurve_IsInvalidArgument(byte[] from, byte[] to)
    {
        using var request = SigningRequest.Create("pi-1");
        var der = request.Der.ToArray();
        var at = der.AsSpan().IndexOf(from);
        Assert.True(at >= 0);
        to.CopyTo(der, at);
        var ex = Assert.Throws<RpcException>(() => Enroller.ReadCsr(ByteString.CopyFrom(der)));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("csr: ", ex.Status.Detail, StringComparison.Ordinal);
    }
}
