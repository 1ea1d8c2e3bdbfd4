#!/bin/sh
# Entrypoint of the vought image: `vought origin|encoder|edge`, or `vought token --role admin`
# (a development token signed with the keys in $VOUGHT_DATA_DIR/keys).
# exec: node becomes PID 1 and receives SIGTERM itself; each service drains and exits on it.
set -eu
cd /app
command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  origin | encoder | edge)
    if [ -f "$command/dist/main.js" ]; then exec node "$command/dist/main.js" "$@"; fi
    # Before the production build exists the image carries sources and tsx (see the Dockerfile).
    if [ -d node_modules/tsx ]; then exec node --import tsx "$command/src/main.ts" "$@"; fi
    echo "vought: neither $command/dist/main.js nor tsx is in this image; rebuild it" >&2
    exit 70
    ;;
  token)
    if [ -f cli/dist/main.js ]; then exec node cli/dist/main.js token "$@"; fi
    exec node --import tsx cli/src/main.ts token "$@"
    ;;
  *)
    echo "usage: vought origin|encoder|edge  (or: vought token --role ROLE)" >&2
    exit 64
    ;;
esac
