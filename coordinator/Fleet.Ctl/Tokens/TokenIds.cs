namespace Fleet.Ctl.Tokens;

/// <summary>A token argument: the id, or a whole ID.SECRET pasted by mistake, whose secret is dropped here and never printed.</summary>
internal static class TokenIds
{
    public static string IdOf(string argument)
    {
        var dot = argument.IndexOf('.', StringComparison.Ordinal);
        var id = dot < 0 ? argument : argument[..dot];
        if (id.Length == 0)
        {
            throw new UsageException("token revoke: give the token's id (the part before the dot)");
        }

        return id;
    }
}
