#!/bin/sh
# micado packages: installs the Debian packages named, those missing only, so a second
# run changes nothing. Shared by every package's deploy.sh (packed beside it).
#
#   install-missing.sh WHO PACKAGE...
set -eu
who=$1
shift
missing=""
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $package"
done
if [ -z "$missing" ]; then
  echo "$who: $* already installed"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "$who: run as root to install$missing" >&2; exit 1; }
echo "$who: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # one word per package
apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
