#!/bin/bash
# Entrypoint of brickyard's postgres:15-bookworm stand-in.
#
# It keeps the contract of the official image's entrypoint: POSTGRES_PASSWORD (or
# POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER and POSTGRES_DB, each also readable
# from a file named by the same variable with _FILE appended (Docker secrets); initdb on
# an empty $PGDATA, then the scripts in /docker-entrypoint-initdb.d/ against a server
# that listens on its Unix socket only; then the server in the foreground, as the user
# postgres, listening on every interface with password authentication for remote
# clients. An existing database is started as it is: no second initdb, no scripts.
set -Eeuo pipefail

INITDB_DIR=/docker-entrypoint-initdb.d
SOCKET_DIR=/var/run/postgresql

say() {
	printf 'entrypoint: %s\n' "$*"
}

fail() {
	printf 'entrypoint: error: %s\n' "$*" >&2
	exit 1
}

# Read VAR from VAR_FILE when that is set, as the official image does for secrets.
read_from_file() {
	local name="$1" default="${2:-}"
	local file_name="${name}_FILE"
	if [ -n "${!name:-}" ] && [ -n "${!file_name:-}" ]; then
		fail "both $name and $file_name are set; set only one of them."
	fi
	local value="$default"
	if [ -n "${!name:-}" ]; then
		value="${!name}"
	elif [ -n "${!file_name:-}" ]; then
		[ -r "${!file_name}" ] || fail "$file_name names ${!file_name}, which cannot be read."
		value="$(<"${!file_name}")"
	fi
	export "$name"="$value"
	unset "$file_name"
}

# Run one psql session as the superuser over the Unix socket (trusted locally).
run_psql() {
	psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

check_password_given() {
	if [ -n "$POSTGRES_PASSWORD" ] || [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
		return
	fi
	fail "the database is not initialized and no superuser password is set." \
		"Set POSTGRES_PASSWORD (for example 'docker run -e POSTGRES_PASSWORD=...'" \
		"or 'environment:' in a compose file). POSTGRES_HOST_AUTH_METHOD=trust" \
		"allows connections without any password instead; never use it for real data."
}

initialize_cluster() {
	check_password_given
	say "initializing a database cluster in $PGDATA"
	local -a extra_args=()
	if [ -n "${POSTGRES_INITDB_ARGS:-}" ]; then
		read -r -a extra_args <<<"$POSTGRES_INITDB_ARGS"
	fi
	if [ -n "$POSTGRES_PASSWORD" ]; then
		initdb --username="$POSTGRES_USER" \
			--pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${extra_args[@]}"
	else
		initdb --username="$POSTGRES_USER" "${extra_args[@]}"
	fi
	# initdb trusts local connections; clients on other hosts must authenticate.
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
}

run_init_scripts() {
	local script
	for script in "$INITDB_DIR"/*; do
		[ -e "$script" ] || continue
		case "$script" in
		*.sh)
			if [ -x "$script" ]; then
				say "running $script"
				"$script"
			else
				say "sourcing $script"
				# shellcheck disable=SC1090
				. "$script"
			fi
			;;
		*.sql)
			say "running $script"
			run_psql --dbname "$POSTGRES_DB" -f "$script"
			;;
		*.sql.gz)
			say "running $script"
			gzip -dc "$script" | run_psql --dbname "$POSTGRES_DB"
			;;
		*)
			say "ignoring $script (only *.sh, *.sql and *.sql.gz are run)"
			;;
		esac
	done
}

set_up_database() {
	# A server that listens on its socket only: nothing outside the container can
	# connect before the scripts have run, so a client waiting for port 5432 sees the
	# database only once it is complete.
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
	if [ "$POSTGRES_DB" != postgres ]; then
		say "creating database $POSTGRES_DB"
		run_psql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
	run_init_scripts
	unset PGPASSWORD
	pg_ctl -D "$PGDATA" -m fast -w stop
	say "initialization complete; starting the server"
}

# Run the server as a child and turn SIGTERM into SIGINT. The official image asks
# Docker for SIGINT (STOPSIGNAL); an imported image cannot carry that setting, and on
# SIGTERM PostgreSQL waits for every client to disconnect ("smart" shutdown), so
# `docker stop` would hang while an application holds a connection. SIGINT is the
# "fast" shutdown: sessions are ended, data is flushed, the server exits.
run_server() {
	"$@" &
	local server=$!
	trap 'kill -INT "$server" 2>/dev/null || true' TERM INT
	trap 'kill -QUIT "$server" 2>/dev/null || true' QUIT
	trap 'kill -HUP "$server" 2>/dev/null || true' HUP
	# A trapped signal ends `wait` early; wait again while the server shuts down.
	while kill -0 "$server" 2>/dev/null; do
		wait "$server" || true
	done
	local status=0
	wait "$server" || status=$?
	exit "$status"
}

# Tell whether the server is asked only to print something (`postgres --version`).
asks_for_information() {
	local argument
	for argument in "$@"; do
		case "$argument" in
		-'?' | --help | --describe-config | -V | --version | -C)
			return 0
			;;
		esac
	done
	return 1
}

# Options alone (`-c max_connections=50`) are options for the server.
if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi
if [ "$1" != postgres ] || asks_for_information "$@"; then
	exec "$@"
fi

# As root, give the data and socket directories to postgres (a fresh volume or a bind
# mount may belong to root), then start again as postgres.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" "$SOCKET_DIR"
	find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
	chmod 700 "$PGDATA"
	chown postgres:postgres "$SOCKET_DIR"
	chmod 3777 "$SOCKET_DIR"
	exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi

read_from_file POSTGRES_PASSWORD
read_from_file POSTGRES_USER postgres
read_from_file POSTGRES_DB "$POSTGRES_USER"
read_from_file POSTGRES_INITDB_ARGS
# PostgreSQL 15 stores passwords as SCRAM-SHA-256, so that is what clients must use.
export POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

if [ -s "$PGDATA/PG_VERSION" ]; then
	say "$PGDATA already holds a database cluster; skipping initialization"
else
	initialize_cluster
	set_up_database
fi

run_server "$@"
