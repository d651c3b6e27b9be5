#!/bin/bash
# Entrypoint of brickyard's redis:7.0-bookworm stand-in.
#
# Like the official image it runs the server as the user redis in /data (the volume),
# accepts bare options (`--appendonly yes`) or a config file as arguments of
# redis-server, and turns protected mode off: in a container, clients come from other
# containers, and protected mode would refuse them while no password is set. The
# official image changes that default in its build; Debian's binary keeps it on, so it
# is turned off here unless the options or the config file given say otherwise.
set -Eeuo pipefail

mentions_protected_mode() {
	local argument
	for argument in "$@"; do
		case "$argument" in
		--protected-mode | -v | --version | -h | --help | --test-memory | --check-system)
			return 0
			;;
		esac
	done
	# The first argument of redis-server may be a config file.
	if [ -f "${1:-}" ] && grep -qE '^[[:space:]]*protected-mode[[:space:]]' "$1"; then
		return 0
	fi
	return 1
}

if [ "${1:0:1}" = '-' ] || [[ "${1:-}" == *.conf ]]; then
	set -- redis-server "$@"
fi

if [ "${1:-}" = redis-server ]; then
	if [ "$(id -u)" = 0 ]; then
		# A fresh volume or a bind mount may belong to root.
		find . \! -user redis -exec chown redis:redis '{}' +
		exec setpriv --reuid=redis --regid=redis --init-groups -- "$0" "$@"
	fi
	if ! mentions_protected_mode "${@:2}"; then
		set -- "$@" --protected-mode no
	fi
	# Keep data files private to the server unless the user chose a umask.
	if [ "$(umask)" = 0022 ]; then
		umask 0077
	fi
fi

exec "$@"
