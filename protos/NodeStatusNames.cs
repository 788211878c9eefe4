namespace Fleet.V1;

public static class NodeStatusNames
{
    public static string ToName(this NodeStatus status) => status switch
    {
        NodeStatus.Online => "online",
        NodeStatus.Stale => "stale",
        NodeStatus.Offline => "offline",
        _ => "unspecified",
    };

    public static bool TryParse(string? name, out NodeStatus status)
    {
        status = name switch
        {
            "online" => NodeStatus.Online,
            "stale" => NodeStatus.Stale,
            "offline" => NodeStatus.Offline,
            _ => NodeStatus.Unspecified,
        };
        return status != NodeStatus.Unspecified;
    }
}
