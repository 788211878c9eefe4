using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Testing.Etcd;

/// <summary>
/// Certificates for a test etcd, made by the test, in kubeadm's layout of /etc/kubernetes/pki/etcd: ca.crt (and
/// ca.key), server.crt/.key (127.0.0.1, localhost) and healthcheck-client.crt/.key. <see cref="WriteClientSet"/>
/// writes what a node's certificate folder holds: the CA and the client pair.
/// </summary>
public sealed class EtcdPki : IDisposable
{
    private EtcdPki(string dir, X509Certificate2 ca, X509Certificate2 server, X509Certificate2 client)
    {
        Dir = dir;
        Ca = ca;
        Server = server;
        Client = client;
    }

    /// <summary>Holds every file: ca.crt, server.crt/.key, healthcheck-client.crt/.key.</summary>
    public string Dir { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    public string CaFile => Path.Join(Dir, "ca.crt");

    public string ServerCertFile => Path.Join(Dir, "server.crt");

    public string ServerKeyFile => Path.Join(Dir, "server.key");

    public string ClientCertFile => Path.Join(Dir, "healthcheck-client.crt");

    public string ClientKeyFile => Path.Join(Dir, "healthcheck-client.key");

    /// <summary>A new CA with a server and a client certificate, written into <paramref name="dir"/>.</summary>
    public static EtcdPki Create(string dir, string caName = "etcd-ca")
    {
        Directory.CreateDirectory(dir);
        var ca = MakeCa(caName);
        var server = Issue(ca, "kube-etcd", serverAuth: true, san: true);
        var client = Issue(ca, "kube-etcd-healthcheck-client", serverAuth: false, san: false);
        var pki = new EtcdPki(dir, ca, server, client);
        WritePem(pki.CaFile, ca.ExportCertificatePem());
        WritePem(pki.ServerCertFile, server.ExportCertificatePem());
        WritePem(pki.ServerKeyFile, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), secret: true);
        WritePem(pki.ClientCertFile, client.ExportCertificatePem());
        WritePem(pki.ClientKeyFile, client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), secret: true);
        return pki;
    }

    /// <summary>Writes ca.crt and healthcheck-client.crt/.key into <paramref name="certDir"/> (a node's /etc/kubernetes/pki/etcd).</summary>
    public void WriteClientSet(string certDir)
    {
        Directory.CreateDirectory(certDir);
        File.Copy(CaFile, Path.Join(certDir, "ca.crt"), overwrite: true);
        File.Copy(ClientCertFile, Path.Join(certDir, "healthcheck-client.crt"), overwrite: true);
        File.Copy(ClientKeyFile, Path.Join(certDir, "healthcheck-client.key"), overwrite: true);
    }

    private static X509Certificate2 MakeCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, bool serverAuth, bool san)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var usages = new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }; // clientAuth
        if (serverAuth)
        {
            usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        if (san)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddHours(12), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static void WritePem(string path, string pem, bool secret = false)
    {
        File.WriteAllText(path, pem + "\n");
        File.SetUnixFileMode(path, secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        Client.Dispose();
    }
}
