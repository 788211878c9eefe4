namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The control fields of a downloaded package, read by the real dpkg-deb (`dpkg-deb --field FILE FIELD`),
/// each checked against what the step expects: Package fleet-agent, Architecture the node's Debian
/// arch, Version the step's. Each mismatch names the field, what it is and what was expected.
/// </summary>
public sealed class PackageControlFields(StepProcess process, AgentUpgradeOptions options)
{
    /// <summary>Throws <see cref="StepFailedException"/> naming every field that is not as expected (or why the file cannot be read).</summary>
    public async Task VerifyAsync(string file, string version, string debArch, StepProgress progress, CancellationToken ct)
    {
        var problems = new List<string>();
        foreach (var (field, expected) in new[] { ("Package", "fleet-agent"), ("Architecture", debArch), ("Version", version) })
        {
            string actual;
            try
            {
                actual = (await process.RunForLastLineAsync(new ProgramCommand(options.DpkgDebPath, "AgentUpgradeOptions.DpkgDebPath", "dpkg-deb --field", ["--field", file, field], SecretScrubber.None), progress, ct))?.Trim() ?? "";
            }
            catch (StepFailedException ex)
            {
                throw new StepFailedException($"{Path.GetFileName(file)} is not a readable Debian package: {ex.Message}");
            }

            if (actual != expected)
            {
                problems.Add($"{field} is {(actual.Length == 0 ? "missing" : AgentVersionText.Show(actual))}, expected \"{expected}\"");
            }
        }

        if (problems.Count > 0)
        {
            throw new StepFailedException($"{Path.GetFileName(file)} is not the fleet-agent {version} package for {debArch}: {string.Join("; ", problems)}");
        }
    }
}
