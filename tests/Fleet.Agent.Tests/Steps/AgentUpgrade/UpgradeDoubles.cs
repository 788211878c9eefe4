using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>
/// Doubles of dpkg-query, dpkg, systemctl and systemd-run for the agent upgrade: small sh scripts, NOT
/// the real programs. The real dpkg and systemctl exist on this machine, but a test must never install
/// a package onto it or start a unit, so the agent and the watchdog script are pointed at these (the
/// agent through its settings, the watchdog through PATH). The lead's container test
/// (packaging/test-packages.sh) runs the same code against the real ones. dpkg-deb is the real one.
/// Each double records its arguments in DIR/NAME.calls; the test steers them with files in DIR:
///   dpkg-query.out         what dpkg-query prints (exit 0); missing: "no packages found", exit 1
///   unit.state             what `systemctl is-active fleet-agent-upgrade.service` prints (default inactive)
///   systemd-run.exit       systemd-run fails with this code; otherwise it runs the command in the
///                          background, with the dpkg and systemctl doubles first on PATH, the unit
///                          "active" until it ends (its output in DIR/watchdog.out)
///   dpkg.fail-VERSION      `dpkg -i` of that version's package fails ("dpkg: error processing ...")
///   dpkg.confirm-VERSION   `dpkg -i` of that version's package writes VERSION into STATE/agent-upgrade/confirmed,
///                          as the new agent does once connected
///   dpkg.hold              `dpkg -i` waits until DIR/dpkg.go exists (after recording its call)
///   agent.show             what `systemctl show ... fleet-agent.service` prints
///   restart.base           for a bare install: BASE; `systemctl restart fleet-agent.service` appends where
///                          BASE/current points to DIR/restarts ("versions/0.9.1")
///   restart.confirm        with restart.base, "STATE VERSION": a restart while BASE/current points at
///                          versions/VERSION writes VERSION into STATE/agent-upgrade/confirmed (the new agent connects)
///   restart.hold           `systemctl restart` waits until DIR/restart.go exists (after recording its call)
///   restart.fail           `systemctl restart` fails (exit 1)
/// </summary>
internal sealed class UpgradeDoubles : IDisposable
{
    private readonly TempDir _dir = new();

    public UpgradeDoubles()
    {
        Bin = _dir.Combine("bin");
        Directory.CreateDirectory(Bin);
        Dir = _dir.Combine("calls");
        Directory.CreateDirectory(Dir);
        var d = Quote(Dir);
        Write("dpkg-query", $$"""
            echo "$*" >> {{d}}/dpkg-query.calls
            if [ -f {{d}}/dpkg-query.out ]; then cat {{d}}/dpkg-query.out; exit 0; fi
            echo "dpkg-query: no packages found matching fleet-agent" >&2
            exit 1
            """);
        Write("systemctl", $$"""
            echo "$*" >> {{d}}/systemctl.calls
            case "$1 $2" in
              "is-active fleet-agent-upgrade.service")
                state=inactive; [ -f {{d}}/unit.state ] && state=$(cat {{d}}/unit.state)
                echo "$state"; [ "$state" = active ] && exit 0; exit 3 ;;
              "show -p") if [ -f {{d}}/agent.show ]; then cat {{d}}/agent.show; else printf 'ActiveState=failed\nSubState=failed\nExecMainStatus=2\nNRestarts=0\n'; fi ;;
              "is-active --quiet") exit 3 ;;
              "restart fleet-agent.service")
                if [ -f {{d}}/restart.base ]; then
                  base=$(cat {{d}}/restart.base)
                  target=$(readlink "$base/current")
                  echo "$target" >> {{d}}/restarts
                  if [ -f {{d}}/restart.confirm ]; then
                    read -r state version < {{d}}/restart.confirm
                    [ "$target" = "versions/$version" ] && echo "$version" > "$state/agent-upgrade/confirmed"
                  fi
                fi
                if [ -f {{d}}/restart.hold ]; then
                  while [ ! -f {{d}}/restart.go ]; do sleep 0.05; done
                fi
                [ -f {{d}}/restart.fail ] && { echo "Job for fleet-agent.service failed." >&2; exit 1; } ;;
            esac
            exit 0
            """);
        Write("dpkg", $$"""
            echo "$*" >> {{d}}/dpkg.calls
            for package in "$@"; do :; done
            version=${package##*/fleet-agent_}; version=${version%%_*}
            echo "(Reading database ... 1234 files and directories currently installed.)"
            echo "Preparing to unpack $package ..."
            if [ -f {{d}}/dpkg.hold ]; then
              while [ ! -f {{d}}/dpkg.go ]; do sleep 0.05; done
            fi
            if [ -f {{d}}/dpkg.fail-$version ]; then
              echo "dpkg: error processing archive $package (--install):" >&2
              echo " new fleet-agent package pre-installation script subprocess returned error exit status 1" >&2
              exit 1
            fi
            echo "Setting up fleet-agent ($version) ..."
            if [ -f {{d}}/dpkg.confirm-$version ]; then
              state=${package%/agent-packages/*}
              echo "$version" > "$state/agent-upgrade/confirmed"
            fi
            exit 0
            """);
        Write("systemd-run", $$"""
            echo "$*" >> {{d}}/systemd-run.calls
            if [ -f {{d}}/systemd-run.exit ]; then
              echo "Failed to start transient service unit: Unit fleet-agent-upgrade.service was already loaded or has a fragment file." >&2
              exit "$(cat {{d}}/systemd-run.exit)"
            fi
            while [ $# -gt 0 ]; do case $1 in --*) shift ;; *) break ;; esac; done
            echo active > {{d}}/unit.state
            ( PATH={{Quote(Bin)}}:$PATH "$@" > {{d}}/watchdog.out 2>&1; echo inactive > {{d}}/unit.state ) </dev/null >/dev/null 2>&1 &
            exit 0
            """);
    }

    /// <summary>The doubles' folder: first on the watchdog's PATH.</summary>
    public string Bin { get; }

    /// <summary>Where they record their calls and read what the test tells them.</summary>
    public string Dir { get; }

    public string PathOf(string name) => Path.Join(Bin, name);

    public string[] Calls(string name) => File.Exists(Path.Join(Dir, $"{name}.calls")) ? File.ReadAllLines(Path.Join(Dir, $"{name}.calls")) : [];

    /// <summary>Tells a double something (a file in <see cref="Dir"/>).</summary>
    public void Set(string file, string content = "") => File.WriteAllText(Path.Join(Dir, file), content);

    public string? Read(string file) => File.Exists(Path.Join(Dir, file)) ? File.ReadAllText(Path.Join(Dir, file)) : null;

    /// <summary>dpkg-query says the agent's package is installed at <paramref name="version"/>.</summary>
    public void Installed(string version) => Set("dpkg-query.out", $"install ok installed {version}");

    public void Dispose() => _dir.Dispose();

    private void Write(string name, string body)
    {
        var path = Path.Join(Bin, name);
        File.WriteAllText(path, "#!/bin/sh\n# A Fleet test double: NOT " + name + " (UpgradeDoubles).\n" + body + "\n");
        File.SetUnixFileMode(path, FixtureRoot.Executable);
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
