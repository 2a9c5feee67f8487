#!/bin/sh
# The machine packages the tests and the production setup need (Debian 12), in one place:
# `make system-packages` (which `make setup`, `make test` and `make run` go through) and
# .ci/run both call this. As root it installs what is missing with apt; otherwise it
# stops and prints the exact command to run.
#
#   chromium                                  the browser journeys (tests/e2e), bench weight
#   libpango-1.0-0 libpangoft2-1.0-0
#   libharfbuzz-subset0 fonts-dejavu-core      WeasyPrint's PDFs (invoices, reports)
#   redis-server                              the job queue and limits tests (own servers)
#   nginx-light                               the front of the production setup (deploy/),
#                                             started by tests/test_deploy.py
#   nodejs (with its npm)                     `make node-tools`: axe-core for the browser
#                                             journeys, Lighthouse for bench
set -eu

PACKAGES="chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core redis-server nginx-light nodejs"

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "Not a Debian machine: install the equivalents of: $PACKAGES" >&2
    exit 1
fi

missing=""
for package in $PACKAGES; do
    installed "$package" || missing="$missing $package"
done
# Debian's own nodejs comes without npm (NodeSource's includes it).
command -v npm >/dev/null 2>&1 || missing="$missing npm"
# Debian's full nginx serves as well as nginx-light.
case "$missing" in *nginx-light*) installed nginx && missing=$(echo "$missing" | sed 's/ nginx-light//') ;; esac
missing=${missing# }

if [ -z "$missing" ]; then
    echo "Machine packages: all there."
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Machine packages missing: $missing" >&2
    echo "Run this, then make again:" >&2
    echo >&2
    echo "    sudo apt-get update && sudo apt-get install -y $missing" >&2
    exit 1
fi
echo "Machine packages: installing $missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q $missing >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
for package in $missing; do
    installed "$package" || { echo "apt-get did not install $package" >&2; exit 1; }
done
echo "Machine packages: installed $missing"
