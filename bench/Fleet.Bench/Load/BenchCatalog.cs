namespace Fleet.Bench.Load;

/// <summary>
/// A catalog for the benchmarks' steps. The simulated agents never download anything, so the URLs
/// point nowhere (port 9, discard); the coordinator still resolves each node's URL and sha256.
/// </summary>
internal static class BenchCatalog
{
    public const string Noop = "bench-noop";
    public const string Version = "v1.0.0";
    public const string Kubernetes = "v1.12.5";

    public static string Yaml => $$"""
        components:
          {{Noop}}:
            kind: binary
            url: http://127.0.0.1:9/{{Noop}}/{version}/{arch}
            versions:
              {{Version}}:
                amd64: { sha256: {{Sha('1')}} }
                arm64: { sha256: {{Sha('2')}} }
        {{Component("kubeadm", '3', '8')}}
        {{Component("kubelet", '4', '9')}}
        {{Component("kubectl", '5', 'a')}}
        """;

    private static string Component(string name, char amd64, char arm64) => $$"""
          {{name}}:
            kind: binary
            url: http://127.0.0.1:9/{{name}}/{version}/{arch}
            versions:
              {{Kubernetes}}:
                amd64: { sha256: {{Sha(amd64)}} }
                arm64: { sha256: {{Sha(arm64)}} }
        """.TrimEnd();

    private static string Sha(char digit) => new(digit, 64);
}
