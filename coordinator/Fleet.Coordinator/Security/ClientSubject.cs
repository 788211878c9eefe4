using System.Security.Cryptography.X509Certificates;

namespace Fleet.Coordinator.Security;

/// <summary>
/// What a client certificate says about its holder. Node certificates: CN = node name,
/// O = fleet-nodes, SERIALNUMBER (2.5.4.5) = node id. Admin certificates: CN = admin name, O = fleet-admins.
/// </summary>
public sealed record ClientSubject(string Kind, string Name, string? NodeId)
{
    public const string NodeKind = "fleet-nodes";
    public const string AdminKind = "fleet-admins";
    private const string SerialNumberOid = "2.5.4.5";
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";

    public static X500DistinguishedName ForNode(string name, string nodeId)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        builder.AddOrganizationName(NodeKind);
        builder.Add(SerialNumberOid, nodeId, System.Formats.Asn1.UniversalTagNumber.PrintableString);
        return builder.Build();
    }

    public static X500DistinguishedName ForAdmin(string name)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        builder.AddOrganizationName(AdminKind);
        return builder.Build();
    }

    /// <summary>Reads a certificate's subject; null when it is not a Fleet client subject.</summary>
    public static ClientSubject? Of(X509Certificate2 certificate)
    {
        string? name = null, kind = null, nodeId = null;
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements)
            {
                return null;
            }

            var value = rdn.GetSingleElementValue();
            switch (rdn.GetSingleElementType().Value)
            {
                case CommonNameOid: name = value; break;
                case OrganizationOid: kind = value; break;
                case SerialNumberOid: nodeId = value; break;
            }
        }

        return (name, kind) switch
        {
            ({ Length: > 0 }, NodeKind) when nodeId is { Length: > 0 } => new ClientSubject(NodeKind, name, nodeId),
            ({ Length: > 0 }, AdminKind) when nodeId is null => new ClientSubject(AdminKind, name, null),
            _ => null,
        };
    }
}
