using System.Security.Cryptography;
using Fleet.Coordinator.Enrollment;
using Fleet.Security;
using Fleet.Testing.Mutation;
using Google.Protobuf;
using Grpc.Core;
using Xunit.Abstractions;

namespace Fleet.Coordinator.Tests.Enrollment;

/// <summary>
/// Bounded random-mutation runs of the CSR path: the coordinator's check (<see cref="Enroller.ReadCsr"/>) and the
/// agent's joining of the issued certificate with its key (<see cref="SigningRequest.Join"/>). A mutated CSR is
/// refused with InvalidArgument, or accepted only with the very key and name that signed it (a changed signed byte
/// must break the signature).
/// </summary>
public sealed class CsrMutationTests(ITestOutputHelper output)
{
    private const int PerSeed = 500;

    [Fact]
    public async Task MutationRun_EveryMutatedCsr_IsRefusedWithInvalidArgumentOrKeepsItsSignedKeyAndName()
    {
        var names = new[] { "pi-1", "odroid-hc1.lab", "x" };
        var seeds = names.Select(SigningRequest.Create).ToList();
        try
        {
            var run = new MutationRun("CSR check (Enroller.ReadCsr)");
            await run.DriveAsync(PerSeed, (m, i) =>
            {
                var which = m.Random.Next(seeds.Count);
                var der = m.Bytes(seeds[which].Der);
                try
                {
                    var (key, name) = Enroller.ReadCsr(ByteString.CopyFrom(der));
                    var sameKey = key.EncodedKeyValue.RawData.AsSpan().SequenceEqual(seeds[which].Key.ExportSubjectPublicKeyInfo().AsSpan()[^65..]);
                    if (name != names[which] || !sameKey)
                    {
                        run.Fail(m.Seed, i, $"accepted with name \"{name}\" (signed: \"{names[which]}\"), same key: {sameKey}", MutationRun.Show(der));
                    }
                    else
                    {
                        run.Accept();
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument && ex.Status.Detail.StartsWith("csr: ", StringComparison.Ordinal))
                {
                    run.Refuse();
                }
                catch (Exception ex)
                {
                    run.Fail(m.Seed, i, $"threw {ex.GetType().Name}: {ex.Message}", MutationRun.Show(der));
                }

                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(180));

            output.WriteLine(run.Summary);
            Assert.True(run.Failures.Count == 0, run.Report);
        }
        finally
        {
            seeds.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task MutationRun_EveryMutatedIssuedCertificate_IsRefusedByJoinOrCarriesTheNodesOwnKey()
    {
        using var request = SigningRequest.Create("pi-1");
        using var ca = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=ca", ca, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var caCert = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var csr = System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequest(request.Der, HashAlgorithmName.SHA256);
        using var issued = csr.Create(caCert, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3]);
        var seed = issued.RawData;
        using (var joined = request.Join(seed))
        {
            Assert.True(joined.HasPrivateKey);
        }

        var run = new MutationRun("issued certificate (SigningRequest.Join)");
        await run.DriveAsync(PerSeed, (m, i) =>
        {
            var der = m.Bytes(seed);
            try
            {
                using var joined = request.Join(der);
                using var key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPublicKey(joined);
                if (key is null || !key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(request.Key.ExportSubjectPublicKeyInfo()))
                {
                    run.Fail(m.Seed, i, "joined a certificate for another key", MutationRun.Show(der));
                }
                else
                {
                    run.Accept(); // the coordinator's signature is checked by TLS chain building when it is used, not here
                }
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                run.Refuse();
            }
            catch (Exception ex)
            {
                run.Fail(m.Seed, i, $"threw {ex.GetType().Name}: {ex.Message}", MutationRun.Show(der));
            }

            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(180));

        output.WriteLine(run.Summary);
        Assert.True(run.Failures.Count == 0, run.Report);
    }
}
