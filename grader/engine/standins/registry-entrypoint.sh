#!/bin/sh
# Entrypoint of brickyard's registry:2.8 stand-in: a config file alone means
# `registry serve FILE`, and a subcommand alone means `registry SUBCOMMAND`, as in the
# official image; any other command runs as given.
set -e

case "$1" in
*.yml | *.yaml)
	set -- registry serve "$@"
	;;
serve | garbage-collect | help | -*)
	set -- registry "$@"
	;;
esac

exec "$@"
