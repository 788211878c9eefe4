namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The texts of an agent upgrade that reach file names, unit arguments and the watchdog's record: a
/// version is X.Y.Z (<see cref="AgentPackageVersion"/>), a step or rollout id letters, digits and
/// "._:-". Anything else is refused before any file is written, so a hostile value never reaches a shell.
/// </summary>
public static class AgentVersionText
{
    /// <summary>A step or rollout id as the coordinator makes them ("r7-abc-node-1-0-retry1"), at most 200 characters.</summary>
    public static bool IsValidId(string id) =>
        id.Length is > 0 and <= 200 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    /// <summary>
    /// A bare install's BASE as the watchdog accepts it: absolute, letters, digits and /._- only, no
    /// empty, "." or ".." part, not "/" itself, no trailing "/", at most 500 characters.
    /// </summary>
    public static bool IsSafeBase(string path) =>
        path.Length is > 1 and <= 500 && path[0] == '/' && !path.EndsWith('/')
        && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-')
        && path[1..].Split('/').All(part => part is not ("" or "." or ".."));

    /// <summary>The value quoted for a message, cut so a hostile value cannot flood a log line.</summary>
    public static string Show(string value) => "\"" + (value.Length <= 300 ? value : value[..300] + "…") + "\"";
}
