#!/bin/bash
# docker-stacks' start.sh is the entry point (tini -g -- start.sh <command>). Started as root it
# renames the user, changes uid/gid, grants sudo and chowns home; this image never runs as root
# (the pod runs it as 1000:100), so only what it does for a non-root start is kept: run the
# hooks in /usr/local/bin/start-notebook.d and before-notebook.d, then the command.
set -e
run_hooks() {
  local dir=$1 f
  [ -d "$dir" ] || return 0
  for f in "$dir"/*; do
    case "$f" in
      *.sh) echo "Sourcing shell script: $f"; source "$f" ;;
      *) if [ -x "$f" ]; then echo "Running executable: $f"; "$f"; fi ;;
    esac
  done
}
run_hooks /usr/local/bin/start-notebook.d
run_hooks /usr/local/bin/before-notebook.d
exec "$@"
