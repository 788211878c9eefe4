using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleet.Security;

namespace Fleet.Agent.Enrollment;

/// <summary>
/// The node's key, certificate and CA on disk, replaced as one. Each set is written complete into a
/// new generation folder, <c>credentials/N/{node.key,node.crt,ca.crt}</c>, and only then does the
/// one pointer <c>credentials/current</c> (a file holding N, itself written and renamed) move to it:
/// a crash or a full disk while writing leaves the previous set in use (or, once the new one is
/// complete, the new one: it is the one the coordinator now accepts); never a key of one set with
/// the certificate of another. <c>node.key</c>, <c>node.crt</c> and
/// <c>ca.crt</c> in the state folder are symbolic links to the current set, for people and for the
/// systemd unit's ConditionPathExists; they are not what the agent reads. At start-up the newest set
/// that holds together is used (a set whose key is not its certificate's, or that is incomplete, is
/// passed over, and logged), and the pointer is moved to it. A state folder from before generations (three
/// plain files) is read as it is, and becomes generation 1 at the next save.
/// </summary>
public sealed class CredentialFiles(string stateDir, Action<string>? afterWrite = null)
{
    public const string KeyFile = "node.key";
    public const string CertificateFile = "node.crt";
    public const string CaFile = "ca.crt";
    public const string Folder = "credentials";
    public const string PointerFile = "current";

    /// <summary>How many generations are kept: the current one and the one before it (a fallback).</summary>
    private const int Kept = 2;

    public string StateDir => stateDir;

    private string Root => Path.Join(stateDir, Folder);

    private string Pointer => Path.Join(Root, PointerFile);

    /// <summary>True when there is a set to load, in generations or as the plain files of an earlier version.</summary>
    public bool Exist => File.Exists(Pointer) || (File.Exists(Path.Join(stateDir, KeyFile)) && File.Exists(Path.Join(stateDir, CertificateFile)) && File.Exists(Path.Join(stateDir, CaFile)));

    /// <summary>The certificate joined with its key, the CA, and the generation folder they came from.</summary>
    public sealed record Loaded(X509Certificate2 Certificate, X509Certificate2 Ca, string From, string? PassedOver);

    /// <summary>
    /// Reads the newest set that holds together and points to it from now on: normally the current
    /// one; the one a save finished writing but crashed before pointing to; or, when the newest does
    /// not hold together, the one before it. Throws <see cref="NotEnrolledException"/> when none does.
    /// </summary>
    public Loaded Load()
    {
        if (!File.Exists(Pointer))
        {
            var (legacy, problem) = Read(stateDir);
            return legacy ?? throw new NotEnrolledException($"cannot read the node's credentials in {stateDir}: {problem}; enroll the node again");
        }

        var current = ReadPointer();
        string? passedOver = null;
        foreach (var generation in Generations().OrderByDescending(g => g))
        {
            var (set, problem) = Read(Path.Join(Root, Name(generation)));
            if (set is not null)
            {
                if (generation != current)
                {
                    Point(generation);
                }

                return set with { PassedOver = passedOver };
            }

            passedOver ??= $"generation {generation}: {problem}";
        }

        throw new NotEnrolledException($"cannot read the node's credentials in {Root}: {passedOver ?? "no generation folder"}; enroll the node again");
    }

    /// <summary>Writes a new generation and points to it; the pointer's rename is the one moment the set changes.</summary>
    public void Save(ECDsa key, X509Certificate2 certificate, X509Certificate2 ca)
    {
        Directory.CreateDirectory(Root);
        var generations = Generations();
        var generation = generations.Count == 0 ? 1 : generations.Max() + 1;
        var folder = Path.Join(Root, Name(generation));
        Directory.CreateDirectory(folder);
        PemFiles.WriteKey(Path.Join(folder, KeyFile), key);
        afterWrite?.Invoke(KeyFile);
        PemFiles.WriteCertificate(Path.Join(folder, CertificateFile), certificate);
        afterWrite?.Invoke(CertificateFile);
        PemFiles.WriteCertificate(Path.Join(folder, CaFile), ca);
        afterWrite?.Invoke(CaFile);
        Point(generation);
        afterWrite?.Invoke(PointerFile);
        foreach (var old in Generations().Where(g => g != generation).OrderByDescending(g => g).Skip(Kept - 1))
        {
            Directory.Delete(Path.Join(Root, Name(old)), recursive: true);
        }
    }

    private void Point(int generation)
    {
        var text = Name(generation);
        var temp = Pointer + ".tmp";
        File.Delete(temp);
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PemFiles.PublicMode }))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(text + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, Pointer, overwrite: true);

        // The plain names follow, as links; replacing each is atomic, and none of them is read by the agent.
        foreach (var file in new[] { KeyFile, CertificateFile, CaFile })
        {
            var link = Path.Join(stateDir, file);
            var linkTemp = link + ".tmp";
            File.Delete(linkTemp);
            File.CreateSymbolicLink(linkTemp, Path.Join(Folder, text, file));
            File.Move(linkTemp, link, overwrite: true);
        }
    }

    private static string Name(int generation) => generation.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private int? ReadPointer()
    {
        var text = File.ReadAllText(Pointer).Trim();
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var generation) ? generation : null;
    }

    private List<int> Generations() =>
        !Directory.Exists(Root) ? []
        : Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .Select(n => int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var g) ? g : 0)
            .Where(g => g > 0)
            .ToList();

    /// <summary>One set: the key and certificate must be each other's; a key others may read stops the agent outright.</summary>
    private static (Loaded? Set, string? Problem) Read(string folder)
    {
        var keyPath = Path.Join(folder, KeyFile);
        try
        {
            if (PemFiles.IsLooserThanPrivate(keyPath))
            {
                throw new NotEnrolledException($"{keyPath} may be read by others; it must be 0600: chmod 600 {keyPath}");
            }

            using var key = PemFiles.ReadKey(keyPath);
            using var certificate = PemFiles.ReadCertificate(Path.Join(folder, CertificateFile));
            using (var certificateKey = certificate.GetECDsaPublicKey())
            {
                if (certificateKey is null || !certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                {
                    return (null, $"{keyPath} is not the key of {Path.Join(folder, CertificateFile)}");
                }
            }

            var ca = PemFiles.ReadCertificate(Path.Join(folder, CaFile));
            return (new Loaded(certificate.CopyWithPrivateKey(key), ca, folder, null), null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            return (null, ex.Message);
        }
    }
}
