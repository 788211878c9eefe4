using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Agent.Steps;

/// <summary>
/// The files etcdctl authenticates with, in kubeadm's layout under the certificate folder: etcd's CA
/// (ca.crt) and the client certificate kubeadm makes for talking to etcd, healthcheck-client.crt/.key
/// (the one kubeadm's upgrade documentation gives etcdctl for `snapshot save`). Checked before etcdctl
/// runs, so a missing file or a certificate etcd will refuse is named as such rather than surfacing as
/// etcdctl's "context deadline exceeded".
/// </summary>
/// <param name="Ca">real path of ca.crt</param>
/// <param name="Cert">real path of healthcheck-client.crt</param>
/// <param name="Key">real path of healthcheck-client.key</param>
internal sealed record EtcdClientCertificates(string Ca, string Cert, string Key)
{
    public const string CaFile = "ca.crt";
    public const string CertFile = "healthcheck-client.crt";
    public const string KeyFile = "healthcheck-client.key";

    /// <summary>The three files in <paramref name="certDir"/> (real path; <paramref name="shownDir"/> is its node path),
    /// each present; the client certificate valid now and issued by the CA in ca.crt.</summary>
    public static EtcdClientCertificates Check(string certDir, string shownDir, DateTimeOffset now)
    {
        var missing = new[] { CaFile, CertFile, KeyFile }.Where(f => !File.Exists(Path.Join(certDir, f))).ToList();
        if (missing.Count > 0)
        {
            throw new StepFailedException($"etcd client certificate missing: {string.Join(", ", missing.Select(f => $"{shownDir.TrimEnd('/')}/{f}"))}: no such file (kubeadm keeps etcd's CA and its healthcheck-client certificate there)");
        }

        var files = new EtcdClientCertificates(Path.Join(certDir, CaFile), Path.Join(certDir, CertFile), Path.Join(certDir, KeyFile));
        using var ca = Read(files.Ca, $"{shownDir.TrimEnd('/')}/{CaFile}");
        using var cert = Read(files.Cert, $"{shownDir.TrimEnd('/')}/{CertFile}");
        var shownCert = $"{shownDir.TrimEnd('/')}/{CertFile}";
        if (now < cert.NotBefore.ToUniversalTime() || now > cert.NotAfter.ToUniversalTime())
        {
            throw new StepFailedException($"etcd client certificate {shownCert} is not valid now (valid {cert.NotBefore.ToUniversalTime():u} to {cert.NotAfter.ToUniversalTime():u}): renew it (kubeadm certs renew)");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        if (!chain.Build(cert))
        {
            var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            throw new StepFailedException($"etcd client certificate {shownCert} ({cert.Subject}) is not issued by the etcd CA in {shownDir.TrimEnd('/')}/{CaFile} ({ca.Subject}): etcd would refuse it in the TLS handshake{(why.Length > 0 ? $" ({why})" : "")}");
        }

        return files;
    }

    private static X509Certificate2 Read(string path, string shown)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(path));
        }
        catch (CryptographicException ex)
        {
            throw new StepFailedException($"etcd certificate {shown} is not a PEM certificate: {ex.Message}");
        }
    }
}
