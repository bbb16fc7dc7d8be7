#!/bin/sh
# Starts one Floe execution environment, then becomes its runtime (every step is an exec, so the
# runtime keeps the pid the worker spawned). The native launcher (floe-env-launch.c) does the same in
# one process; this script is for workers built without a C compiler.
#   1. joins the environment's cgroups, so every process it ever forks is held, frozen and killed
#      with it;
#   2. starts a new session, so its process group is its own and a terminal's signals miss it;
#   3. in a private mount namespace, mounts its private /tmp (a size-limited filesystem) and the
#      function's code, read-only, at the task root;
#   4. becomes the environment's own unprivileged user, with no way to gain privileges, and asks the
#      kernel to kill it if the worker dies (parent-death signal).
#
# usage: floe-env-launch PROCS TMP_KIND TMP_SOURCE TMP_MB CODE TASK_ROOT UID -- COMMAND [ARG]...
#   PROCS       colon-separated cgroup.procs files to join ("" for none)
#   TMP_KIND    disk (TMP_SOURCE is an ext4 image), tmpfs (of TMP_MB megabytes), or none
#   CODE        the unpacked code; with a mount namespace it is mounted read-only at TASK_ROOT
#   UID         the user (and group) to run as; 0 keeps the launcher's
set -eu

procs=$1 tmp_kind=$2 tmp_source=$3 tmp_mb=$4 code=$5 task_root=$6 uid=$7
shift 7
[ "$1" = "--" ] && shift

if [ -n "$procs" ]; then
  old_ifs=$IFS
  IFS=:
  for f in $procs; do
    echo $$ > "$f"
  done
  IFS=$old_ifs
fi

if command -v setpriv >/dev/null 2>&1; then
  if [ "$uid" != 0 ]; then
    set -- setpriv --reuid="$uid" --regid="$uid" --clear-groups --no-new-privs --pdeathsig KILL -- "$@"
  else
    set -- setpriv --pdeathsig KILL -- "$@"
  fi
elif [ "$uid" != 0 ]; then
  echo "floe-env-launch: setpriv is needed to run as user $uid" >&2
  exit 126
fi

case "$tmp_kind" in
  disk|tmpfs)
    exec setsid unshare --mount --propagation private -- /bin/sh -eu -c '
      tmp_kind=$1 tmp_source=$2 tmp_mb=$3 code=$4 task_root=$5
      shift 5
      if [ "$tmp_kind" = disk ]; then
        mount -o loop,nosuid,nodev "$tmp_source" /tmp
        rmdir /tmp/lost+found 2>/dev/null || true
        chmod 1777 /tmp
      else
        mount -t tmpfs -o "size=${tmp_mb}m,mode=1777,nosuid,nodev" floe-tmp /tmp
      fi
      mount --bind "$code" "$task_root"
      mount -o remount,bind,ro,nosuid,nodev "$task_root"
      cd "$task_root"
      exec "$@"
    ' floe-env "$tmp_kind" "$tmp_source" "$tmp_mb" "$code" "$task_root" "$@"
    ;;
  *)
    cd "$task_root"
    exec setsid "$@"
    ;;
esac
