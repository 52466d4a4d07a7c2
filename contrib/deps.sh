#!/bin/sh
# Install the Debian packages mentord needs to build and to run its test
# suite, but only those that are missing. Uses sudo when not run as root.
set -eu

packages="gcc make autoconf automake pkg-config libc6-dev
libldap2-dev libconfig-dev libsqlite3-dev libsystemd-dev check
slapd ldap-utils man-db openssl systemd
samba samba-ad-provision samba-dsdb-modules samba-vfs-modules ldb-tools iproute2
libsasl2-dev libsasl2-modules-gssapi-mit krb5-user"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1; then
	as_root="sudo"
else
	echo "deps.sh: missing packages:$missing; run this script as root to install them" >&2
	exit 1
fi

echo "deps.sh: installing:$missing"
# Servers in these packages (slapd, smbd, nmbd, samba-ad-dc) must not start
# on the machine's interfaces: the tests start their own on loopback. A
# policy-rc.d that refuses every start does that, for this install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $as_root tee "$policy" >/dev/null
	$as_root chmod 755 "$policy"
	trap '$as_root rm -f "$policy"' EXIT
fi
# The test suite starts its own slapd on a free loopback port; the packaged
# server needs no database and must not start one.
echo "slapd slapd/no_configuration boolean true" | $as_root debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
