#!/bin/sh
# Entrypoint of the vought image: `vought origin|encoder|edge`, or `vought token --role admin`
# (a development token signed with the keys in $VOUGHT_DATA_DIR/keys). Runs the production build
# (npm run build: <service>/dist/main.js); NODE_OPTIONS=--enable-source-maps is set in the image.
# exec: node becomes PID 1 and receives SIGTERM itself; each service drains and exits on it
# (docs/deploy.md, "Graceful shutdown").
set -eu
cd /app
command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  origin | encoder | edge)
    exec node "$command/dist/main.js" "$@"
    ;;
  token)
    exec node cli/dist/main.js token "$@"
    ;;
  *)
    echo "usage: vought origin|encoder|edge  (or: vought token --role ROLE)" >&2
    exit 64
    ;;
esac
