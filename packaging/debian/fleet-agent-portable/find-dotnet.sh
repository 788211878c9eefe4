# The portable fleet-agent's look-up of the .NET runtime, shared by its launcher (/usr/bin/fleet-agent)
# and its preinst: packaging/debian/mkdeb.sh puts this text in place of their FIND_DOTNET marker line. POSIX sh.

# fleet_find_dotnet: prints the `dotnet` that runs the agent, looked up as the .NET host does:
# $DOTNET_ROOT/dotnet when DOTNET_ROOT is set (and then nothing else), else `dotnet` on PATH, else
# the install location registered in /etc/dotnet/install_location_ARCH or /etc/dotnet/install_location.
# Fails with the reason on standard error.
fleet_find_dotnet() {
	if [ -n "${DOTNET_ROOT:-}" ]; then
		if [ -f "$DOTNET_ROOT/dotnet" ] && [ -x "$DOTNET_ROOT/dotnet" ]; then
			echo "$DOTNET_ROOT/dotnet"
			return 0
		fi
		echo "DOTNET_ROOT is $DOTNET_ROOT, which holds no executable dotnet" >&2
		return 1
	fi
	if fleet_dotnet=$(command -v dotnet 2>/dev/null) && [ -n "$fleet_dotnet" ]; then
		echo "$fleet_dotnet"
		return 0
	fi
	case "$(uname -m)" in
		x86_64) fleet_arch=x64 ;;
		aarch64 | arm64) fleet_arch=arm64 ;;
		arm*) fleet_arch=arm ;;
		*) fleet_arch=$(uname -m) ;;
	esac
	for fleet_file in "/etc/dotnet/install_location_$fleet_arch" /etc/dotnet/install_location; do
		[ -r "$fleet_file" ] || continue
		fleet_location=$(head -n 1 "$fleet_file")
		if [ -n "$fleet_location" ] && [ -f "$fleet_location/dotnet" ] && [ -x "$fleet_location/dotnet" ]; then
			echo "$fleet_location/dotnet"
			return 0
		fi
		echo "$fleet_file names ${fleet_location:-nothing}, which holds no executable dotnet" >&2
		return 1
	done
	echo "no dotnet found: DOTNET_ROOT is not set, there is no dotnet on PATH ($PATH) and no /etc/dotnet/install_location" >&2
	return 1
}

# fleet_check_runtime: succeeds when the dotnet of fleet_find_dotnet has a Microsoft.NETCore.App 10.x
# runtime (the agent's runtimeconfig asks for 10.0.0 and rolls forward to the latest 10.x patch);
# else fails with the reason on standard error.
fleet_check_runtime() {
	fleet_dotnet=$(fleet_find_dotnet) || return 1
	if ! fleet_runtimes=$("$fleet_dotnet" --list-runtimes 2>&1); then
		echo "$fleet_dotnet --list-runtimes failed: $fleet_runtimes" >&2
		return 1
	fi
	if printf '%s\n' "$fleet_runtimes" | grep -q '^Microsoft\.NETCore\.App 10\.'; then
		return 0
	fi
	fleet_found=$(printf '%s\n' "$fleet_runtimes" | sed -n 's/^Microsoft\.NETCore\.App \([^ ]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//')
	echo "$fleet_dotnet has no Microsoft.NETCore.App 10.x runtime (it has: ${fleet_found:-none})" >&2
	return 1
}
