using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.Security;
using Fleet.V1;
using Google.Protobuf;

namespace Fleet.Ctl.Admin;

/// <summary>
/// fleetctl admin-cert create NAME --out DIR: a key made here (it never leaves this machine), a
/// certificate for it signed by the coordinator's CA, and the CA, for the TCP control listener.
/// </summary>
internal static class AdminCertCommand
{
    public static Command Create(CtlContext ctx)
    {
        var name = new Argument<string>("name") { Description = "Who the certificate is for (its CN), e.g. alice" };
        var output = new Option<string>("--out") { Description = "Folder for NAME.key (0600), NAME.crt and ca.crt", DefaultValueFactory = _ => "." };
        var create = new Command("create", "Create an admin client certificate for `fleetctl --server https://...`") { name, output };
        create.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var admin = parse.GetValue(name)!;
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            var (keyPath, certificatePath, caPath) = AdminCertFiles.Paths(admin, folder);
            using var request = SigningRequest.Create(admin);
            var response = await connection.Client.CreateAdminCertificateAsync(
                new CreateAdminCertificateRequest { Csr = ByteString.CopyFrom(request.Der) }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            using var certificate = X509CertificateLoader.LoadCertificate(response.Certificate.ToByteArray());
            using var ca = X509CertificateLoader.LoadCertificate(response.CaCertificate.ToByteArray());
            PemFiles.WriteKey(keyPath, request.Key);
            PemFiles.WriteCertificate(certificatePath, certificate);
            PemFiles.WriteCertificate(caPath, ca);
            await stdout.WriteLineAsync($"wrote {keyPath} (0600), {certificatePath} and {caPath}; serial {certificate.SerialNumber.ToLowerInvariant()}, valid until {certificate.NotAfter.ToUniversalTime():u}");
            await stdout.WriteLineAsync($"use: fleetctl --server https://COORDINATOR:PORT --cert {certificatePath} --key {keyPath} --ca {caPath} nodes list");
        }));
        var serial = new Argument<string>("serial") { Description = "The certificate's serial, as `admin-cert create` printed it" };
        var revoke = new Command("revoke", "Revoke an admin certificate: the TCP control listener refuses it from now on") { serial };
        revoke.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.RevokeAdminCertificateAsync(
                new RevokeAdminCertificateRequest { Serial = parse.GetValue(serial) }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"admin certificate {parse.GetValue(serial)} of {response.Name} revoked");
        }));
        var command = new Command("admin-cert", "Admin client certificates for the TCP control listener");
        command.Subcommands.Add(create);
        command.Subcommands.Add(List(ctx));
        command.Subcommands.Add(revoke);
        return command;
    }

    private static Command List(CtlContext ctx)
    {
        var output = OutputOption.Create();
        var list = new Command("list", "List the admin certificates the coordinator issued: NAME, SERIAL, STATUS (valid, expired, revoked), EXPIRES (-o wide adds NOT BEFORE, NOT AFTER, REVOKED AT and the SHA-256 FINGERPRINT); never a key") { output };
        list.Aliases.Add("ls");
        list.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.ListAdminCertificatesAsync(new ListAdminCertificatesRequest(), deadline: ControlConnection.Deadline, cancellationToken: ct);
            var views = response.Certificates.Select(c => AdminCertView.From(c, ctx.Now)).ToList();
            await ctx.WriteListAsync(stdout, views, parse.GetValue(output), AdminCertJson.Default.ListAdminCertView, "No admin certificates.", wide => AdminCertTables.List(views, wide, ctx.Now));
        }));
        return list;
    }
}
