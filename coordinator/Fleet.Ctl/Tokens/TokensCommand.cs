using System.CommandLine;
using System.Text.Json;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Ctl.Tokens;

/// <summary>fleetctl token create | list | revoke ID.</summary>
internal static class TokensCommand
{
    public static Command Create(CtlContext ctx)
    {
        var token = new Command("token", "Join tokens: what a new node enrolls with (fleet-agent enroll)");
        token.Subcommands.Add(CreateToken(ctx));
        token.Subcommands.Add(List(ctx));
        token.Subcommands.Add(Revoke(ctx));
        return token;
    }

    private static Command CreateToken(CtlContext ctx)
    {
        var ttl = new Option<string>("--ttl") { Description = "How long the token may be used: 30m, 1h, 1d, 1h30m (at most 30d)", DefaultValueFactory = _ => "1h" };
        var uses = new Option<int>("--uses") { Description = "How many nodes may enroll with it", DefaultValueFactory = _ => 1 };
        var labels = new Option<string[]>("--label") { Description = "A label key=value (repeatable or comma-separated) that every node enrolling with this token gets; it wins over the node's own label of that key", AllowMultipleArgumentsPerToken = false };
        var create = new Command("create", "Create a join token; prints the token ID.SECRET (shown once) and the CA pin for fleet-agent enroll") { ttl, uses, labels };
        create.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var request = new CreateTokenRequest
            {
                Ttl = Duration.FromTimeSpan(DurationOption.Parse("--ttl", parse.GetValue(ttl)!)),
                Uses = parse.GetValue(uses),
            };
            var given = NodeLabels.Parse(parse.GetValue(labels) ?? [], out var problem);
            request.Labels.Add(problem is null ? given : throw new UsageException($"--label: {problem}"));

            var response = await connection.Client.CreateTokenAsync(request, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"token:   {response.SecretToken}");
            await stdout.WriteLineAsync($"ca-pin:  {response.CaPin}");
            await stdout.WriteLineAsync($"expires: {response.Token.ExpiresAt.ToDateTimeOffset():u} ({response.Token.UsesAllowed} use{(response.Token.UsesAllowed == 1 ? "" : "s")})");
            if (response.Token.Labels.Count > 0)
            {
                await stdout.WriteLineAsync($"labels:  {Nodes.NodeTables.LabelsText(response.Token.Labels)} (given to every node that enrolls with it)");
            }

            await stdout.WriteLineAsync();
            await stdout.WriteLineAsync("Enroll a node with (the token is shown only now):");
            await stdout.WriteLineAsync($"  fleet-agent enroll --coordinator https://COORDINATOR:7443 --token {response.SecretToken} --ca-pin {response.CaPin}");
        }));
        return create;
    }

    private static Command List(CtlContext ctx)
    {
        var output = OutputOption.Create();
        var list = new Command("list", "List join tokens: ID, STATUS, USES, EXPIRES, LABELS (-o wide adds CREATED and EXPIRES AT); never their secrets") { output };
        list.Aliases.Add("ls");
        list.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var response = await connection.Client.ListTokensAsync(new ListTokensRequest(), deadline: ControlConnection.Deadline, cancellationToken: ct);
            var views = response.Tokens.Select(t => TokenView.From(t, ctx.Now)).ToList();
            await ctx.WriteListAsync(stdout, views, parse.GetValue(output), TokenJson.Default.ListTokenView, "No join tokens.", wide => TokenTables.List(views, wide, ctx.Now));
        }));
        return list;
    }

    private static Command Revoke(CtlContext ctx)
    {
        var id = new Argument<string>("id") { Description = "The token's id (the part before the dot); a whole ID.SECRET is accepted and its secret never printed" };
        var revoke = new Command("revoke", "Revoke a join token: no node can enroll with it any more") { id };
        revoke.SetAction((parse, ct) => ctx.CallAsync(parse, async (connection, stdout) =>
        {
            var tokenId = TokenIds.IdOf(parse.GetValue(id)!);
            var token = await connection.Client.RevokeTokenAsync(new RevokeTokenRequest { Id = tokenId }, deadline: ControlConnection.Deadline, cancellationToken: ct);
            await stdout.WriteLineAsync($"join token {token.Id} revoked");
        }));
        return revoke;
    }
}
