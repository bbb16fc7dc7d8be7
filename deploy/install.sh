#!/usr/bin/env bash
# Installs Floe from an unpacked release on this machine, as a systemd service:
#   sudo ./deploy/install.sh --role controller|worker [--prefix /opt/floe] [--etc /etc/floe]
#                            [--units /etc/systemd/system] [--no-start]
# Copies the release to PREFIX, the unit to UNITS (its paths set to PREFIX and ETC), the role's env file
# to ETC unless one is there (yours is kept), makes the user floe for a controller, then enables and starts
# the service (not with --no-start, or without systemctl). Run it again to upgrade: the env file stays.
set -euo pipefail

release="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
role="" prefix=/opt/floe etc=/etc/floe units=/etc/systemd/system start=yes

die() { echo "install.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --role) role="${2:-}"; shift 2 ;;
    --prefix) prefix="${2:-}"; shift 2 ;;
    --etc) etc="${2:-}"; shift 2 ;;
    --units) units="${2:-}"; shift 2 ;;
    --no-start) start=no; shift ;;
    -h|--help) sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (expected: --role, --prefix, --etc, --units, --no-start)" ;;
  esac
done
case "$role" in
  controller|worker) ;;
  *) die "--role: \"$role\" (expected: controller or worker)" ;;
esac
[ -x "$release/bin/floe" ] && [ -d "$release/lib" ] \
  || die "$release is not an unpacked Floe release (expected: bin/floe and lib/ beside deploy/)"
case "$prefix" in /*) ;; *) die "--prefix: \"$prefix\" (expected: an absolute path)" ;; esac
case "$etc" in /*) ;; *) die "--etc: \"$etc\" (expected: an absolute path)" ;; esac

# The release, replaced whole (a new version leaves no old jar behind).
if [ "$(readlink -f "$release")" != "$(readlink -f "$prefix" 2>/dev/null || true)" ]; then
  mkdir -p "$(dirname "$prefix")"
  rm -rf "$prefix.new"
  cp -a "$release" "$prefix.new"
  rm -rf "$prefix"
  mv "$prefix.new" "$prefix"
fi

mkdir -p "$etc" "$units"
if [ ! -e "$etc/$role.env" ]; then
  install -m 0644 "$release/deploy/systemd/$role.env" "$etc/$role.env"
fi
sed -e "s#/opt/floe#$prefix#g" -e "s#/etc/floe#$etc#g" "$release/deploy/systemd/floe-$role.service" >"$units/floe-$role.service.new"
mv "$units/floe-$role.service.new" "$units/floe-$role.service"

if [ "$role" = controller ] && [ "$(id -u)" = 0 ] && ! id floe >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/floe-controller --no-create-home --shell /usr/sbin/nologin floe
fi
if [ "$(id -u)" = 0 ] && id floe >/dev/null 2>&1; then
  chgrp floe "$etc" && chmod 0750 "$etc"
fi

echo "Floe $("$prefix/bin/floe" version 2>/dev/null | sed 's/^floe //') installed in $prefix: $units/floe-$role.service, settings in $etc/$role.env"
if [ "$start" = yes ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now "floe-$role.service"
  echo "started floe-$role (journalctl -u floe-$role follows its log)"
else
  echo "next: edit $etc/$role.env, then: systemctl daemon-reload && systemctl enable --now floe-$role"
fi
