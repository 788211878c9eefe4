namespace Fleet.Testing.NetNamespaces;

/// <summary>
/// A veth pair joining two namespaces, one end in each, with a private /30 of 10.0.0.0/8 chosen per
/// test run (.1 on <see cref="A"/>'s end, .2 on <see cref="B"/>'s). <see cref="DownAsync"/> and
/// <see cref="UpAsync"/> take B's end down and up: a link outage as B sees it (B's route to A goes
/// away, so B's connects fail with "Network is unreachable"; A's packets to B are lost).
/// The pair goes when either namespace is deleted.
/// </summary>
public sealed class VethPair
{
    private VethPair(NetNamespace a, NetNamespace b, string endA, string endB, string addressA, string addressB) =>
        (A, B, EndA, EndB, AddressA, AddressB) = (a, b, endA, endB, addressA, addressB);

    public NetNamespace A { get; }

    public NetNamespace B { get; }

    /// <summary>Interface names, at most 15 characters.</summary>
    public string EndA { get; }

    public string EndB { get; }

    public string AddressA { get; }

    public string AddressB { get; }

    public static async Task<VethPair> CreateAsync(NetNamespace a, NetNamespace b)
    {
        var id = $"{Random.Shared.Next(0x1000000):x6}";
        var (endA, endB) = ($"fva{id}", $"fvb{id}");
        // A /30 in 10.64.0.0/10: away from the 10.0/16 and 10.1/16 of many lab networks.
        var (x, y, z) = (64 + Random.Shared.Next(64), Random.Shared.Next(256), Random.Shared.Next(64) * 4);
        var (addressA, addressB) = ($"10.{x}.{y}.{z + 1}", $"10.{x}.{y}.{z + 2}");
        await Ip.RunAsync("link", "add", endA, "netns", a.Name, "type", "veth", "peer", "name", endB, "netns", b.Name);
        await Ip.RunAsync("-n", a.Name, "addr", "add", $"{addressA}/30", "dev", endA);
        await Ip.RunAsync("-n", b.Name, "addr", "add", $"{addressB}/30", "dev", endB);
        await Ip.RunAsync("-n", a.Name, "link", "set", endA, "up");
        await Ip.RunAsync("-n", b.Name, "link", "set", endB, "up");
        return new VethPair(a, b, endA, endB, addressA, addressB);
    }

    public Task DownAsync() => Ip.RunAsync("-n", B.Name, "link", "set", EndB, "down");

    public Task UpAsync() => Ip.RunAsync("-n", B.Name, "link", "set", EndB, "up");
}
