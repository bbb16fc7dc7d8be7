#!/bin/sh
# Starts one Floe execution environment for a worker that is not root, then becomes its runtime (every
# step is an exec, so the runtime keeps the pid the worker spawned). Such a worker cannot mount or
# switch users, so this only joins the environment's cgroups (where the worker may write them) and
# starts a new session with Lambda's 1,024 open files; the runtime's variables come in its environment. A root worker uses the native
# launcher (floe-env-launch.c), which keeps the function's variables away from what runs as root.
#
# usage: floe-env-launch [--lang DIR] [--writable DIR]... PROCS TMP_KIND TMP_SOURCE TMP_MB CODE TASK_ROOT RUNTIME UID ENV_FILE -- COMMAND [ARG]...
#   as the native launcher's; TMP_KIND must be none, UID 0 and ENV_FILE - (here, the environment). Without a
#   mount namespace a managed runtime's files stay where they are (RUNTIME is not used).
set -eu

# Without a mount namespace, an interpreter stays where it is and shared directories are as the machine
# permits them: the options change nothing here.
while [ $# -gt 2 ] && { [ "$1" = --lang ] || [ "$1" = --writable ]; }; do
  shift 2
done

procs=$1 tmp_kind=$2 task_root=$6 uid=$8 env_file=$9
shift 9
[ "$1" = "--" ] && shift

if [ "$tmp_kind" != none ] || [ "$uid" != 0 ] || [ "$env_file" != - ]; then
  echo "floe-env-launch: the script launcher cannot mount, switch users or read an environment file" >&2
  exit 126
fi

# The function's variables are this script's environment, so nothing below splits words or reads a
# variable it did not set (IFS, CDPATH and the like reach the runtime untouched, and steer nothing here).
rest=$procs
while [ -n "$rest" ]; do
  f=${rest%%:*}
  case $rest in
    *:*) rest=${rest#*:} ;;
    *) rest= ;;
  esac
  [ -z "$f" ] || echo "$$" > "$f"
done

# Lambda's limit on open files, as the native launcher sets it.
ulimit -n 1024 2>/dev/null || true
cd -P -- "$task_root" >/dev/null
exec /usr/bin/setsid "$@"
