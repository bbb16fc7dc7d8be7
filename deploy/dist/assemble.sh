#!/usr/bin/env bash
# Assembles Floe's distribution, run by the build (deploy/dist's package phase) after the jars are in
# TARGET/floe/lib:
#   assemble.sh TARGET VERSION JDK RELEASE
# TARGET/floe/ gets bin/floe, examples/, deploy/ (install.sh, systemd, Kubernetes, container, Grafana) and docs/.
# With RELEASE=true it also gets runtime/, a Java runtime made by jlink from JDK (the one building), and
# is packed as TARGET/floe-VERSION-linux-x86_64.tar.gz, whose top directory is floe-VERSION/.
# The source tree's ./floe builds with RELEASE=false: its distribution runs on the JDK it found.
set -euo pipefail

target="$1" version="$2" jdk="$3" release="$4"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
image="$target/floe"

die() { echo "assemble.sh: $*" >&2; exit 1; }

[ -d "$image/lib" ] || die "$image/lib is missing (expected: the jars, copied there first)"
rm -rf "$image/bin" "$image/examples" "$image/deploy" "$image/docs"
mkdir -p "$image/bin" "$image/deploy"
install -m 0755 "$root/deploy/launcher/bin/floe" "$image/bin/floe"
cp -a "$root/examples" "$image/examples"
cp -a "$root/deploy/systemd" "$root/deploy/kubernetes" "$root/deploy/container" "$root/deploy/grafana" "$image/deploy/"
install -m 0755 "$root/deploy/install.sh" "$image/deploy/install.sh"
cp -a "$root/docs" "$image/docs"
echo "$version" >"$image/VERSION"

if [ "$release" != true ]; then
  rm -rf "$image/runtime"
  exit 0
fi

# Environments are started by the compiled launcher where the worker finds it in its jar: a release
# without it would fall back to the slower shell launcher on every machine.
worker_jar=$(ls "$image"/lib/floe-worker-*.jar)
"$jdk/bin/jar" tf "$worker_jar" | grep -q '^dev/floe/worker/sandbox/floe-env-launch-amd64$' \
  || die "the worker's jar has no compiled environment launcher (expected: a C compiler at /usr/bin/cc when building)"

# The runtime: Java SE (what functions of the java25/java21 runtimes may use) and the JDK modules Floe
# and its operators use (management, JFR, jcmd, EC keys, keytool).
modules=java.se,jdk.unsupported,jdk.management,jdk.management.jfr,jdk.jfr,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.zipfs,jdk.net
modules=$modules,jdk.httpserver,jdk.charsets,jdk.naming.dns,jdk.security.auth,jdk.security.jgss,jdk.jcmd,jdk.attach
rm -rf "$image/runtime"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --generate-cds-archive --output "$image/runtime"

archive="$target/floe-$version-linux-x86_64.tar.gz"
rm -f "$archive"
tar --create --gzip --file "$archive" --directory "$target" --owner=0 --group=0 --numeric-owner \
  --transform "s#^floe#floe-$version#" floe
echo "assemble.sh: $archive ($(du -h "$archive" | cut -f1))"
