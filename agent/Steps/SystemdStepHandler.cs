using Fleet.Agent.Configuration;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// A unit action through systemctl: daemon-reload, restart, enable or enable --now. The unit name is
/// checked first (systemd's unit-name characters, never starting with '-'), so it cannot be an option.
/// </summary>
public sealed class SystemdStepHandler(StepProcess process, AgentOptions options) : IStepHandler
{
    public StepRequest.StepOneofCase Kind => StepRequest.StepOneofCase.Systemd;

    public async Task<StepResult> RunAsync(StepRequest request, StepProgress progress, CancellationToken ct)
    {
        var step = request.Systemd;
        string[] arguments = step.Action switch
        {
            SystemdAction.DaemonReload when step.Unit.Length > 0 => throw Refuse($"unit: daemon-reload takes no unit, but \"{step.Unit}\" was given"),
            SystemdAction.DaemonReload => ["daemon-reload"],
            SystemdAction.Restart => ["restart", Unit(step.Unit)],
            SystemdAction.Enable => ["enable", Unit(step.Unit)],
            SystemdAction.EnableNow => ["enable", "--now", Unit(step.Unit)],
            SystemdAction.Unspecified => throw Refuse("action: missing (daemon-reload, restart, enable or enable-now)"),
            _ => throw Refuse($"action: unknown value {(int)step.Action} (this agent knows daemon-reload, restart, enable and enable-now)"),
        };
        var what = "systemctl " + string.Join(' ', arguments);
        await process.RunAsync(new ProgramCommand(options.SystemctlPath, "--systemctl-path", what, arguments, SecretScrubber.None), progress, ct);
        return Results.Succeeded(request.Id, $"ran {what}");
    }

    /// <summary>systemd's unit names: letters, digits and ":-_.\@", at most 255; never an option.</summary>
    public static string? UnitProblem(string unit) =>
        unit.Length == 0 ? "unit: missing (e.g. kubelet.service)"
        : unit.StartsWith('-') ? $"unit: \"{unit}\" starts with '-' (it would be taken for an option)"
        : unit.Length > 255 ? $"unit: {unit.Length} characters, longer than systemd's 255"
        : unit is "." or ".." || !unit.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '-' or '_' or '.' or '\\' or '@')
            ? $"unit: \"{unit}\" is not a unit name (letters, digits and :-_.\\@ only, e.g. kubelet.service)"
        : null;

    private static string Unit(string unit) => UnitProblem(unit) is { } problem ? throw Refuse(problem) : unit;

    private static StepFailedException Refuse(string problem) => new($"refusing to run systemctl: {problem}");
}
