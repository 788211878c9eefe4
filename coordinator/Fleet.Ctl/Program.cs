using System.Collections;

namespace Fleet.Ctl;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value as string, StringComparer.Ordinal);
        return FleetCtl.RunAsync(args, Console.Out, Console.Error, environment);
    }
}
