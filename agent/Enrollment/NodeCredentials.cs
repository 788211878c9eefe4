using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Agent.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Enrollment;

/// <summary>
/// The node's credentials: node.key (0600, made on this node, never sent), node.crt (CN = node name,
/// SERIALNUMBER = node id) and ca.crt (the coordinator's CA, pinned at enrollment), stored as one set
/// (<see cref="CredentialFiles"/>). Renewal replaces the set; new connections use the new one.
/// </summary>
public sealed class NodeCredentials
{
    public const string KeyFile = CredentialFiles.KeyFile;
    public const string CertificateFile = CredentialFiles.CertificateFile;
    public const string CaFile = CredentialFiles.CaFile;

    private readonly Lock _gate = new();
    private readonly CredentialFiles _files;
    private readonly ILogger _logger;
    private Snapshot? _current;

    public NodeCredentials(HostPaths paths)
        : this(new CredentialFiles(paths.StateDir), NullLogger.Instance)
    {
    }

    public NodeCredentials(HostPaths paths, ILogger<NodeCredentials> logger)
        : this(new CredentialFiles(paths.StateDir), logger)
    {
    }

    public NodeCredentials(CredentialFiles files, ILogger logger)
    {
        _files = files;
        _logger = logger;
    }

    /// <summary>The credentials in use, with a number that changes whenever they are replaced.</summary>
    public sealed record Snapshot(X509Certificate2 Certificate, X509Certificate2 Ca, int Generation);

    public bool Exist => _files.Exist;

    /// <summary>True when the credentials in use could not be written to disk yet (see <see cref="Persist"/>).</summary>
    public bool SavePending { get; private set; }

    public Snapshot Current
    {
        get
        {
            lock (_gate)
            {
                return _current ?? throw NotLoaded();
            }
        }
    }

    /// <summary>The client certificate with its key.</summary>
    public X509Certificate2 Certificate => Current.Certificate;

    public X509Certificate2 Ca => Current.Ca;

    /// <summary>The node id the coordinator gave this node (the certificate's SERIALNUMBER).</summary>
    public string NodeId => Certificate.SubjectName.EnumerateRelativeDistinguishedNames()
        .Where(r => !r.HasMultipleElements && r.GetSingleElementType().Value == "2.5.4.5")
        .Select(r => r.GetSingleElementValue() ?? "")
        .FirstOrDefault() ?? "";

    /// <summary>Reads the newest set that holds together; throws <see cref="NotEnrolledException"/> naming what is missing or wrong.</summary>
    public void Load()
    {
        if (!Exist)
        {
            throw new NotEnrolledException($"this node is not enrolled ({Path.Join(_files.StateDir, CertificateFile)} is missing): run `fleet-agent enroll --coordinator https://HOST:7443 --token ID.SECRET --ca-pin sha256:HEX` first");
        }

        var loaded = _files.Load();
        if (loaded.PassedOver is { } passedOver)
        {
            CredentialsLog.PassedOver(_logger, passedOver, loaded.From);
        }

        Adopt(loaded.Certificate, loaded.Ca);
    }

    /// <summary>
    /// Uses new credentials from now on, then stores them as one set. They are used even when the disk
    /// refuses them (the exception is rethrown and <see cref="SavePending"/> stays true until <see cref="Persist"/>
    /// succeeds): after a renewal the coordinator accepts only the new certificate. Keeps copies of its
    /// own: the caller may dispose what it passed. The replaced certificate is not disposed, as a
    /// connection made with it may still be open.
    /// </summary>
    public void Save(ECDsa key, X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);
        Adopt(publicOnly.CopyWithPrivateKey(key), X509CertificateLoader.LoadCertificate(ca.RawData));
        Persist();
    }

    /// <summary>Writes the credentials in use to disk (again).</summary>
    public void Persist()
    {
        var current = Current;
        using var key = current.Certificate.GetECDsaPrivateKey() ?? throw new CryptographicException("the node certificate in use has no ECDSA key");
        try
        {
            _files.Save(key, current.Certificate, current.Ca);
            SavePending = false;
        }
        catch
        {
            SavePending = true;
            throw;
        }
    }

    private void Adopt(X509Certificate2 certificate, X509Certificate2 ca)
    {
        lock (_gate)
        {
            _current = new Snapshot(certificate, ca, (_current?.Generation ?? 0) + 1);
        }
    }

    private static InvalidOperationException NotLoaded() => new("the node's credentials are not loaded");
}

/// <summary>The agent cannot run: it has no usable credentials. The message says what to do.</summary>
public sealed class NotEnrolledException(string message) : Exception(message);
