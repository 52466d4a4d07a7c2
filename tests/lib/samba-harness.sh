#!/bin/sh
# samba-harness.sh: start and stop a throw-away Samba AD DC for the test suite,
# inside a network namespace of its own that has only a loopback interface.
#
#   samba-harness.sh start DIR
#       Create a network namespace mentord-PID-RANDOM with only `lo` up,
#       provision a domain MENTORD.TEST into DIR/samba (or copy the template in
#       $SAMBA_TEMPLATE, see below), start `samba` inside the namespace and wait
#       until LDAP on 127.0.0.1:389 there accepts a simple bind as
#       Administrator. Writes DIR/env and prints the same lines:
#         SAMBA_NETNS SAMBA_PID SAMBA_URI=ldap://127.0.0.1/
#         SAMBA_BASE=DC=mentord,DC=test SAMBA_ADMIN_DN SAMBA_ADMIN_PW
#         SAMBA_REALM SAMBA_DOMAIN SAMBA_HOST SAMBA_SCHEMA_DN SAMBA_CONF
#         SAMBA_KRB5_CONFIG SAMBA_DIR
#       Exits 1, with samba's log on stderr, when anything fails (and cleans up
#       what it made); exits 2 when it cannot run here at all (not root, samba
#       or ip missing), saying why.
#   samba-harness.sh stop DIR
#       Stop every process in the namespace (TERM, then KILL after 10 s),
#       delete the namespace and remove what start wrote into DIR. Idempotent.
#   samba-harness.sh exec DIR COMMAND [ARG...]
#       Run COMMAND inside the namespace (so 127.0.0.1 is the DC), with
#       KRB5_CONFIG pointing at the domain's krb5.conf unless already set.
#
# Inside the namespace the name SAMBA_HOST (dc1.mentord.test) resolves to
# 127.0.0.1 through /etc/netns/NS/hosts, which `ip netns exec` mounts over
# /etc/hosts; Kerberos clients there find the KDC on 127.0.0.1:88.
#
# Environment:
#   SAMBA_TEMPLATE  a directory that caches one provisioned domain; start
#                   provisions into it once (under a lock, so parallel tests
#                   share it) and copies it, which saves ~4 s a start. The
#                   caller owns and removes it (e.g. one per `make check`).
#                   Unset: provision afresh every time.
#   SAMBA_TIMEOUT   seconds to wait for LDAP to answer (default 60).
#   SAMBA_SERVICES  samba's "server services" (default "ldap, cldap, kdc").
#   SAMBA_DEBUGLEVEL  samba's -d (default 1); the log is DIR/samba.log.
#   LDAPSEARCH      ldapsearch to poll with (default: from PATH).
# Samba also stops by itself after SAMBA_MAX_RUNTIME seconds (default 3600),
# so a test that dies without calling stop does not leave a DC behind forever.
# Only 127.0.0.1 (in the namespace) is ever used. Needs root.

set -u

ME=samba-harness
REALM=MENTORD.TEST
DNS_DOMAIN=mentord.test
DOMAIN=MENTORD
HOST=dc1
NETBIOS_NAME=DC1
BASE=DC=mentord,DC=test
ADMIN_PW=Mentord-Passw0rd1
# Bump when the way the template is provisioned changes.
TEMPLATE_FORMAT=1

# Print an error and stop with status 1.
die() {
	printf '%s: %s\n' "$ME" "$*" >&2
	exit 1
}

# Print why the harness cannot run on this machine and stop with status 2.
cannot_run() {
	printf '%s: cannot run a Samba AD DC here: %s\n' "$ME" "$*" >&2
	exit 2
}

# Print the path of command $1 (PATH, /usr/sbin, /sbin), or nothing.
find_cmd() {
	for d in $(printf '%s' "$PATH" | tr ':' ' ') /usr/sbin /sbin /usr/bin /bin; do
		if [ -x "$d/$1" ]; then
			printf '%s\n' "$d/$1"
			return 0
		fi
	done
	return 1
}

# Check root and the tools; set SAMBA, SAMBA_TOOL, IP, LDAPSEARCH.
check_prerequisites() {
	[ "$(id -u)" = 0 ] ||
		cannot_run "needs root (network namespaces, a DC listening on port 389); running as uid $(id -u)"
	IP=$(find_cmd ip) || cannot_run "ip (package iproute2) is not installed"
	SAMBA=$(find_cmd samba) ||
		cannot_run "samba is not installed (Debian packages: samba samba-ad-provision samba-dsdb-modules)"
	SAMBA_TOOL=$(find_cmd samba-tool) ||
		cannot_run "samba-tool is not installed (Debian packages: samba samba-ad-provision)"
	LDAPSEARCH=${LDAPSEARCH:-$(find_cmd ldapsearch)} ||
		cannot_run "ldapsearch (package ldap-utils) is not installed"
}

# Make DIR absolute (it is written into smb.conf, so it must be plain).
set_dir() {
	mkdir -p "$1" || die "cannot create $1"
	DIR=$(cd "$1" && pwd) || die "cannot enter $1"
	case "$DIR" in
	*[!A-Za-z0-9_./+-]*) die "directory '$DIR' must be a plain path (letters, digits, _./+-)" ;;
	esac
}

# Print one shell-sourceable line NAME='value'.
env_line() {
	case "$2" in
	*[!A-Za-z0-9_=,./:@+-]*) printf "%s='%s'\n" "$1" "$(printf '%s' "$2" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s=%s\n' "$1" "$2" ;;
	esac
}

# Provision the domain into directory $1/samba; the log goes to $1/provision.log.
provision() {
	rm -rf "$1/samba"
	if ! "$SAMBA_TOOL" domain provision --targetdir="$1/samba" --realm=$REALM --domain=$DOMAIN \
		--host-name=$HOST --server-role=dc --dns-backend=NONE --adminpass=$ADMIN_PW \
		--host-ip=127.0.0.1 --option="interfaces = lo" --option="bind interfaces only = yes" \
		--option="ldap server require strong auth = no" \
		--option="dsdb:schema update allowed = true" >"$1/provision.log" 2>&1; then
		cat "$1/provision.log" >&2
		return 1
	fi
}

# Print what identifies a template: its format and the samba version.
template_stamp() {
	printf 'format %s, %s\n' "$TEMPLATE_FORMAT" "$("$SAMBA" -V 2>/dev/null)"
}

# Make sure $SAMBA_TEMPLATE holds a provisioned domain (one provisioner at a
# time: the others wait on the lock directory).
ensure_template() {
	mkdir -p "$SAMBA_TEMPLATE" || die "cannot create template directory $SAMBA_TEMPLATE"
	lock=$SAMBA_TEMPLATE/lock
	n=0
	while ! mkdir "$lock" 2>/dev/null; do
		[ $n -lt 1200 ] || die "template lock $lock held for 120 s; remove it if no test runs"
		sleep 0.1
		n=$((n + 1))
	done
	status=0
	if [ "$(cat "$SAMBA_TEMPLATE/stamp" 2>/dev/null)" != "$(template_stamp)" ]; then
		rm -f "$SAMBA_TEMPLATE/stamp"
		if provision "$SAMBA_TEMPLATE"; then
			template_stamp >"$SAMBA_TEMPLATE/stamp"
		else
			status=1
		fi
	fi
	rmdir "$lock"
	[ $status = 0 ] || die "samba-tool domain provision failed (template $SAMBA_TEMPLATE)"
}

# Write DIR/samba/etc/smb.conf for a DC in DIR (replaces the one provision
# wrote, whose paths name the directory it was provisioned into).
write_smb_conf() {
	s=$DIR/samba
	mkdir -p "$s/etc" "$s/run" "$s/cache" "$s/log" || return 1
	cat >"$s/etc/smb.conf" <<EOF
# smb.conf of a throw-away test DC; written by $ME.
[global]
	netbios name = $NETBIOS_NAME
	workgroup = $DOMAIN
	realm = $REALM
	server role = active directory domain controller
	server services = ${SAMBA_SERVICES:-ldap, cldap, kdc}
	interfaces = lo
	bind interfaces only = yes
	ldap server require strong auth = no
	dsdb:schema update allowed = true
	private dir = $s/private
	lock directory = $s
	state directory = $s/state
	cache directory = $s/cache
	binddns dir = $s/bind-dns
	pid directory = $s/run
	ncalrpc dir = $s/run/ncalrpc
	winbindd socket directory = $s/run/winbindd
	ntp signd socket directory = $s/run/ntp_signd
	log file = $s/log/log.%m
	max log size = 0

[sysvol]
	path = $s/state/sysvol
	read only = No

[netlogon]
	path = $s/state/sysvol/$DNS_DOMAIN/scripts
	read only = No
EOF
}

# Write DIR/krb5.conf: the realm with its KDC on 127.0.0.1, no DNS look-ups.
write_krb5_conf() {
	cat >"$DIR/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	# the service principal is ldap/<name in the URI>, not whatever name
	# 127.0.0.1 maps back to (localhost)
	dns_canonicalize_hostname = false

[realms]
	$REALM = {
		kdc = 127.0.0.1
		admin_server = 127.0.0.1
	}

[domain_realm]
	.$DNS_DOMAIN = $REALM
EOF
}

# Create the namespace (name recorded in DIR/netns at once, so that stop can
# always remove it) with lo up and a hosts file naming the DC.
make_netns() {
	NS=mentord-$$-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$NS" >"$DIR/netns" || die "cannot write $DIR/netns"
	"$IP" netns add "$NS" || fail_start "ip netns add $NS failed"
	"$IP" -n "$NS" link set lo up || fail_start "cannot bring lo up in $NS"
	if ! mkdir -p "/etc/netns/$NS" ||
		! printf '127.0.0.1\tlocalhost %s %s\n::1\tlocalhost ip6-localhost\n' \
			"$HOST.$DNS_DOMAIN" $HOST >"/etc/netns/$NS/hosts"; then
		fail_start "cannot write /etc/netns/$NS/hosts"
	fi
}

# Succeed if LDAP in the namespace accepts a simple bind as Administrator.
answers() {
	"$IP" netns exec "$NS" "$LDAPSEARCH" -x -H ldap://127.0.0.1/ -o nettimeout=2 -o timeout=5 \
		-D "CN=Administrator,CN=Users,$BASE" -w "$ADMIN_PW" -b "" -s base 1.1 >/dev/null 2>&1
}

# Succeed if process $1 exists and is not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	state=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	state=${state##*) }
	[ "${state%% *}" != Z ]
}

# Show samba's logs, clean up what start made, and stop with status 1.
fail_start() {
	printf '%s: %s\n' "$ME" "$*" >&2
	if [ -s "$DIR/samba.log" ]; then
		printf '%s: samba log (%s):\n' "$ME" "$DIR/samba.log" >&2
		cat "$DIR/samba.log" >&2
	fi
	for f in "$DIR"/samba/log/log.*; do
		[ -s "$f" ] && { printf '%s: %s:\n' "$ME" "$f" >&2; cat "$f" >&2; }
	done
	cmd_stop "$DIR" >/dev/null 2>&1
	exit 1
}

# Start samba in the namespace and wait for LDAP; sets PID.
start_samba() {
	: >"$DIR/samba.log"
	# ip netns exec execs samba without forking, so $! is samba's own pid;
	# samba makes itself a process-group leader and forks its workers.
	"$IP" netns exec "$NS" "$SAMBA" -F --debug-stdout -d "${SAMBA_DEBUGLEVEL:-1}" \
		-s "$DIR/samba/etc/smb.conf" --maximum-runtime="${SAMBA_MAX_RUNTIME:-3600}" \
		</dev/null >>"$DIR/samba.log" 2>&1 &
	PID=$!
	printf '%s\n' "$PID" >"$DIR/samba.pid"
	deadline=$(($(date +%s) + ${SAMBA_TIMEOUT:-60}))
	while :; do
		if ! alive "$PID"; then
			wait "$PID" 2>/dev/null
			fail_start "samba exited during start-up (status $?)"
		fi
		answers && return 0
		[ "$(date +%s)" -lt $deadline ] ||
			fail_start "LDAP in namespace $NS did not accept the Administrator bind within ${SAMBA_TIMEOUT:-60} s"
		sleep 0.2
	done
}

# Write DIR/env.
write_env() {
	{
		env_line SAMBA_NETNS "$NS"
		env_line SAMBA_PID "$PID"
		env_line SAMBA_URI ldap://127.0.0.1/
		env_line SAMBA_BASE "$BASE"
		env_line SAMBA_ADMIN_DN "CN=Administrator,CN=Users,$BASE"
		env_line SAMBA_ADMIN_PW "$ADMIN_PW"
		env_line SAMBA_REALM "$REALM"
		env_line SAMBA_DOMAIN "$DOMAIN"
		env_line SAMBA_HOST "$HOST.$DNS_DOMAIN"
		env_line SAMBA_SCHEMA_DN "CN=Schema,CN=Configuration,$BASE"
		env_line SAMBA_CONF "$DIR/samba/etc/smb.conf"
		env_line SAMBA_KRB5_CONFIG "$DIR/krb5.conf"
		env_line SAMBA_DIR "$DIR"
	} >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env"
}

cmd_start() {
	[ $# -eq 1 ] || die "usage: $0 start DIR"
	check_prerequisites
	set_dir "$1"
	if [ -r "$DIR/netns" ]; then
		[ ! -e "/run/netns/$(cat "$DIR/netns")" ] ||
			die "a DC may still run in $DIR (namespace $(cat "$DIR/netns")); stop it first"
		cmd_stop "$DIR" # leftovers of a DC whose namespace is gone
	fi
	rm -rf "$DIR/samba" "$DIR/env" "$DIR/samba.pid" "$DIR/samba.log"
	if [ -n "${SAMBA_TEMPLATE:-}" ]; then
		ensure_template
		cp -a "$SAMBA_TEMPLATE/samba" "$DIR/samba" || die "cannot copy $SAMBA_TEMPLATE/samba to $DIR"
	else
		provision "$DIR" || die "samba-tool domain provision failed"
	fi
	write_smb_conf || die "cannot write $DIR/samba/etc/smb.conf"
	write_krb5_conf || die "cannot write $DIR/krb5.conf"
	make_netns
	start_samba
	write_env || fail_start "cannot write $DIR/env"
	cat "$DIR/env"
}

# Print the pids of every process in namespace $1.
netns_pids() {
	"$IP" netns pids "$1" 2>/dev/null
}

# Stop every process in namespace $1 (samba's group first): TERM, up to 10 s, KILL.
stop_netns_processes() {
	signalled=0
	if [ -n "$2" ] && alive "$2" && [ "$("$IP" netns identify "$2" 2>/dev/null)" = "$1" ]; then
		# Only the root: it stops its process group itself and reaps its workers.
		kill -TERM "$2" 2>/dev/null
		signalled=1
	fi
	n=0
	# $pids is a blank-separated list of numbers: split on purpose.
	# shellcheck disable=SC2086
	while pids=$(netns_pids "$1") && [ -n "$pids" ]; do
		if { [ $n = 0 ] && [ $signalled = 0 ]; } || [ $n = 30 ]; then
			kill -TERM $pids 2>/dev/null
		elif [ $n -ge 100 ]; then
			printf '%s: processes %s in %s ignored SIGTERM for 10 s; killing them\n' \
				"$ME" "$(printf '%s ' $pids)" "$1" >&2
			kill -KILL $pids 2>/dev/null
			sleep 0.2
			break
		fi
		sleep 0.1
		n=$((n + 1))
	done
	# Reap samba if it is our child (only when start and stop share a shell).
	[ -n "$2" ] && wait "$2" 2>/dev/null
	return 0
}

cmd_stop() {
	[ $# -eq 1 ] || die "usage: $0 stop DIR"
	[ -d "$1" ] || return 0
	DIR=$(cd "$1" && pwd) || die "cannot enter $1"
	IP=${IP:-$(find_cmd ip)} || IP=ip
	NS=$(cat "$DIR/netns" 2>/dev/null)
	pid=$(cat "$DIR/samba.pid" 2>/dev/null)
	case "$pid" in *[!0-9]*) pid= ;; esac
	case "$NS" in
	mentord-*)
		if [ -e "/run/netns/$NS" ]; then
			stop_netns_processes "$NS" "$pid"
			"$IP" netns del "$NS" || die "cannot delete namespace $NS"
		fi
		rm -rf "/etc/netns/$NS"
		;;
	esac
	rm -rf "$DIR/samba" "$DIR/env" "$DIR/env.tmp" "$DIR/samba.pid" "$DIR/samba.log" \
		"$DIR/provision.log" "$DIR/krb5.conf" "$DIR/netns"
	return 0
}

cmd_exec() {
	[ $# -ge 2 ] || die "usage: $0 exec DIR COMMAND [ARG...]"
	DIR=$(cd "$1" && pwd) || die "cannot enter $1"
	shift
	NS=$(cat "$DIR/netns" 2>/dev/null) || die "no DC in $DIR (no $DIR/netns): start one first"
	[ -e "/run/netns/$NS" ] || die "namespace $NS of $DIR is gone"
	IP=$(find_cmd ip) || cannot_run "ip (package iproute2) is not installed"
	KRB5_CONFIG=${KRB5_CONFIG:-$DIR/krb5.conf}
	export KRB5_CONFIG
	exec "$IP" netns exec "$NS" "$@"
}

case "${1:-}" in
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
exec) shift; cmd_exec "$@" ;;
*) die "usage: $0 start DIR | stop DIR | exec DIR COMMAND [ARG...]" ;;
esac
