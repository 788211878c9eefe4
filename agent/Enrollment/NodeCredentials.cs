using System.Security.Cryptography.X509Certificates;
using Fleet.Agent.Hosting;
using Fleet.Security;

namespace Fleet.Agent.Enrollment;

/// <summary>
/// The node's credentials in its state folder: node.key (0600, made on this node, never sent),
/// node.crt (CN = node name, SERIALNUMBER = node id) and ca.crt (the coordinator's CA, pinned at
/// enrollment). Renewal replaces key and certificate; new connections use the new ones.
/// </summary>
public sealed class NodeCredentials
{
    public const string KeyFile = "node.key";
    public const string CertificateFile = "node.crt";
    public const string CaFile = "ca.crt";

    private readonly Lock _gate = new();
    private readonly string _stateDir;
    private X509Certificate2? _certificate;
    private X509Certificate2? _ca;

    public NodeCredentials(HostPaths paths) => _stateDir = paths.StateDir;

    public string KeyPath => Path.Join(_stateDir, KeyFile);

    public string CertificatePath => Path.Join(_stateDir, CertificateFile);

    public string CaPath => Path.Join(_stateDir, CaFile);

    public bool Exist => File.Exists(KeyPath) && File.Exists(CertificatePath) && File.Exists(CaPath);

    /// <summary>The client certificate with its key.</summary>
    public X509Certificate2 Certificate
    {
        get
        {
            lock (_gate)
            {
                return _certificate ?? throw NotLoaded();
            }
        }
    }

    public X509Certificate2 Ca
    {
        get
        {
            lock (_gate)
            {
                return _ca ?? throw NotLoaded();
            }
        }
    }

    /// <summary>The node id the coordinator gave this node (the certificate's SERIALNUMBER).</summary>
    public string NodeId => Certificate.SubjectName.EnumerateRelativeDistinguishedNames()
        .Where(r => !r.HasMultipleElements && r.GetSingleElementType().Value == "2.5.4.5")
        .Select(r => r.GetSingleElementValue() ?? "")
        .FirstOrDefault() ?? "";

    /// <summary>Reads the files; throws <see cref="NotEnrolledException"/> naming what is missing or wrong.</summary>
    public void Load()
    {
        if (!Exist)
        {
            throw new NotEnrolledException($"this node is not enrolled ({CertificatePath} is missing): run `fleet-agent enroll --coordinator https://HOST:7443 --token ID.SECRET --ca-pin sha256:HEX` first");
        }

        if (PemFiles.IsLooserThanPrivate(KeyPath))
        {
            throw new NotEnrolledException($"{KeyPath} may be read by others; it must be 0600: chmod 600 {KeyPath}");
        }

        try
        {
            using var key = PemFiles.ReadKey(KeyPath);
            using var certificate = PemFiles.ReadCertificate(CertificatePath);
            var ca = PemFiles.ReadCertificate(CaPath);
            lock (_gate)
            {
                _certificate = certificate.CopyWithPrivateKey(key);
                _ca = ca;
            }
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new NotEnrolledException($"cannot read the node's credentials in {_stateDir}: {ex.Message}; enroll the node again");
        }
    }

    /// <summary>
    /// Stores new credentials (key first, then certificate, then CA) and uses them from now on. Keeps
    /// copies of its own: the caller may dispose what it passed. The replaced certificate is not
    /// disposed, as a connection made with it may still be open.
    /// </summary>
    public void Save(System.Security.Cryptography.ECDsa key, X509Certificate2 certificate, X509Certificate2 ca)
    {
        Directory.CreateDirectory(_stateDir);
        PemFiles.WriteKey(KeyPath, key);
        PemFiles.WriteCertificate(CertificatePath, certificate);
        PemFiles.WriteCertificate(CaPath, ca);
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);
        var withKey = publicOnly.CopyWithPrivateKey(key);
        var caCopy = X509CertificateLoader.LoadCertificate(ca.RawData);
        lock (_gate)
        {
            _certificate = withKey;
            _ca = caCopy;
        }
    }

    private static InvalidOperationException NotLoaded() => new("the node's credentials are not loaded");
}

/// <summary>The agent cannot run: it has no usable credentials. The message says what to do.</summary>
public sealed class NotEnrolledException(string message) : Exception(message);
