#!/bin/sh
# slapd-harness.sh: start and stop a throw-away slapd for the test suite.
#
#   slapd-harness.sh start DIR [LDIF...]
#       Build a cn=config in DIR/slapd.d (back-mdb, memberof, refint, syncprov,
#       core/cosine/nis/inetorgperson and the project schema; the constraint
#       module is loaded but configured on no database, so tests can add
#       schema/constraint.ldif over LDAP), load each LDIF
#       offline into the database, start slapd on a free 127.0.0.1 port and
#       on the unix socket DIR/ldapi, and wait until it answers. Writes
#       DIR/env and prints the same lines:
#         SLAPD_URI=ldap://127.0.0.1:PORT/  SLAPD_PORT=PORT  SLAPD_PID=PID
#         SLAPD_LDAPI=ldapi://%2F...%2Fldapi (DIR/ldapi, URL-encoded)
#         SLAPD_SUFFIX=...  SLAPD_ROOTDN=...  SLAPD_ROOTPW=...
#         SLAPD_CONFIGDN=cn=config  SLAPD_CONFIGPW=...  SLAPD_DIR=DIR
#       Exits non-zero, with the slapd log on stderr, when anything fails.
#   slapd-harness.sh stop DIR
#       Stop the slapd whose pid is in DIR/slapd.pid (TERM, then KILL after
#       10 s). Does nothing when it does not run.
#
# Environment: SUFFIX (default dc=example,dc=com); top_srcdir (default: two
# levels above this script); MENTORING_SCHEMA (the project schema LDIF, default
# $top_srcdir/schema/mentoring.ldif; "none" leaves it out, and refint then
# covers member and manager only); SLAPD, SLAPADD, LDAPSEARCH (default: found
# in PATH or /usr/sbin); SYNCPROV ("none": no syncprov overlay on the
# database, so RFC 4533 syncs are refused; "reloadhint": olcSpReloadHint TRUE,
# so a cookie older than the data gets e-syncRefreshRequired); PEERCRED
# ("none": no authz-regexp, see below). Only 127.0.0.1 and DIR/ldapi are ever
# used. Runs as root or as any
# user who can write DIR. The database is ready for sync tests: the service
# account cn=mentord,ou=services,SUFFIX may write everything and has no size
# limit, anonymous users may read everything but passwords (size limit 500).
# A SASL EXTERNAL bind over DIR/ldapi by a process with the user and group
# ids of the one that started the server (its peer credentials,
# gidNumber=GID+uidNumber=UID,cn=peercred,cn=external,cn=auth) is mapped by
# an authz-regexp to the service account, and has its rights.
# Offline loading does not run overlays, so entries loaded from LDIF get no
# memberOf values; groups written over LDAP later do.

set -u

ROOTPW=secret
CONFIGPW=secret
ME=slapd-harness

# Print an error and stop.
die() {
	printf '%s: %s\n' "$ME" "$*" >&2
	exit 1
}

# Print the command named $1: the value of the variable $2 when set, else the
# first match in PATH, /usr/sbin or /sbin.
find_tool() {
	eval "given=\${$2:-}"
	if [ -n "$given" ]; then
		printf '%s\n' "$given"
		return
	fi
	for d in $(printf '%s' "$PATH" | tr ':' ' ') /usr/sbin /sbin; do
		if [ -x "$d/$1" ]; then
			printf '%s\n' "$d/$1"
			return
		fi
	done
	die "cannot find $1 (set $2 or install slapd and ldap-utils)"
}

# Succeed if process $1 exists and is not a zombie. A zombie main thread whose
# other threads still run counts as alive: the process is still shutting down.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		state=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		state=${state##*) }
		if [ "${state%% *}" = Z ]; then
			threads=0
			for task in "/proc/$1/task"/*; do
				[ -e "$task" ] && threads=$((threads + 1))
			done
			[ $threads -gt 1 ] || return 1
		fi
	fi
	return 0
}

# Succeed if process $1 is the slapd serving directory $2 (guards against
# killing an unrelated process that reused a stale pid).
is_our_slapd() {
	if [ -r "/proc/$1/cmdline" ]; then
		args=$(tr '\000' ' ' <"/proc/$1/cmdline" 2>/dev/null)
	else
		args=$(ps -o args= -p "$1" 2>/dev/null)
	fi
	case "$args" in
	*"$2/slapd.d"*) return 0 ;;
	esac
	return 1
}

# Print a random port in 20000-60999.
random_port() {
	r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')
	echo $((20000 + r % 41000))
}

# Print the LDIF of an existing file $1 as part of config.ldif.
config_include() {
	[ -r "$1" ] || die "cannot read schema $1"
	printf '\n'
	cat "$1"
	printf '\n'
}

# Write DIR/config.ldif: global settings, modules and schemas.
write_config_head() {
	cat <<EOF
# cn=config for a test slapd; written by $ME, loaded with slapadd -n0.
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $DIR/slapd.pid
olcArgsFile: $DIR/slapd.args
EOF
	if [ "$PEERCRED" != none ]; then
		# a regular expression (slapd-config(5)): the "+" of the two-valued RDN escaped
		printf 'olcAuthzRegexp: "gidNumber=%s\\+uidNumber=%s,cn=peercred,cn=external,cn=auth" "%s"\n' \
			"$(id -g)" "$(id -u)" "$SERVICE_DN"
	fi
	cat <<EOF

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint
olcModuleLoad: syncprov
olcModuleLoad: constraint

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema
EOF
	for s in core cosine nis inetorgperson; do
		config_include "/etc/ldap/schema/$s.ldif"
	done
	if [ "$SCHEMA" != none ]; then
		config_include "$SCHEMA"
	fi
}

# Write the databases and overlays part of DIR/config.ldif.
write_config_databases() {
	cat <<EOF

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcRootDN: cn=config
olcRootPW: $CONFIGPW

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SUFFIX
olcRootDN: cn=admin,$SUFFIX
olcRootPW: $ROOTPW
olcDbDirectory: $DIR/db
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: entryCSN eq
olcDbIndex: member eq
olcDbIndex: uid eq
olcDbIndex: manager eq
olcLimits: {0}dn.exact="$SERVICE_DN" size=unlimited time=unlimited
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by dn.exact="$SERVICE_DN" write by * read

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf
olcMemberOfRefInt: TRUE
olcMemberOfDangling: ignore

dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
$(for a in $REFINT_ATTRS; do echo "olcRefintAttribute: $a"; done)
olcRefintNothing: cn=nobody,$SUFFIX
EOF
	[ "$SYNCPROV" != none ] || return 0
	cat <<EOF

dn: olcOverlay={2}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {2}syncprov
olcSpCheckpoint: 100 10
olcSpSessionlog: 10000
EOF
	[ "$SYNCPROV" != reloadhint ] || echo "olcSpReloadHint: TRUE"
}

# Run "$@" with its output in DIR/slapadd.log; on failure show it and stop.
run_logged() {
	if ! "$@" >"$DIR/slapadd.log" 2>&1; then
		cat "$DIR/slapadd.log" >&2
		die "failed: $*"
	fi
}

# Succeed if the server at URI $1 answers a root DSE search.
answers() {
	"$LDAPSEARCH" -x -H "$1" -o nettimeout=1 -o timeout=1 -b "" -s base 1.1 >/dev/null 2>&1
}

# Succeed if the server at URI $1 is the one configured in DIR (its cn=config
# names our pid file), not some other server that took the port meanwhile.
is_ours() {
	"$LDAPSEARCH" -x -LLL -H "$1" -o nettimeout=2 -o timeout=5 -o ldif-wrap=no -D cn=config -w "$CONFIGPW" \
		-b cn=config -s base olcPidFile 2>/dev/null |
		grep -qxF "olcPidFile: $DIR/slapd.pid"
}

# The ldapi:// URI of the socket DIR/ldapi ("/" written %2F); empty when the
# path is too long for a unix socket (108 bytes on Linux, with its NUL).
ldapi_uri() {
	[ ${#DIR} -le 100 ] || return 0
	printf 'ldapi://%s\n' "$(printf '%s/ldapi' "$DIR" | sed 's|/|%2F|g')"
}

# Start slapd on port $1 and wait for it. Returns 0 when it answers, 2 when the
# port was taken (try another), 1 on any other failure (log already shown).
try_port() {
	uri="ldap://127.0.0.1:$1/"
	if answers "$uri"; then
		return 2
	fi
	: >"$DIR/slapd.log"
	rm -f "$DIR/ldapi"
	[ -n "$(ldapi_uri)" ] || printf '%s: %s/ldapi is too long for a unix socket; no ldapi:// listener\n' \
		"$ME" "$DIR" >&2
	"$SLAPD" -d none -F "$DIR/slapd.d" -h "$uri $(ldapi_uri)" </dev/null >>"$DIR/slapd.log" 2>&1 &
	pid=$!
	deadline=$(($(date +%s) + 15))
	while [ "$(date +%s)" -le $deadline ]; do
		if ! alive "$pid"; then
			wait "$pid" 2>/dev/null
			status=$?
			if grep -q 'errno=98' "$DIR/slapd.log"; then
				return 2
			fi
			printf '%s: slapd exited during start-up (status %s); its log (%s):\n' \
				"$ME" "$status" "$DIR/slapd.log" >&2
			cat "$DIR/slapd.log" >&2
			return 1
		fi
		if answers "$uri"; then
			if is_ours "$uri"; then
				return 0
			fi
			printf '%s: port %s answers but not as our slapd\n' "$ME" "$1" >&2
			stop_pid "$pid"
			return 2
		fi
		sleep 0.05
	done
	printf '%s: slapd (pid %s) did not answer on %s within 15 s; its log:\n' "$ME" "$pid" "$uri" >&2
	cat "$DIR/slapd.log" >&2
	stop_pid "$pid"
	return 1
}

# Print one shell-sourceable line NAME='value'.
env_line() {
	case "$2" in
	*[!A-Za-z0-9_=,./:@+-]*) printf "%s='%s'\n" "$1" "$(printf '%s' "$2" | sed "s/'/'\\\\''/g")" ;;
	*) printf '%s=%s\n' "$1" "$2" ;;
	esac
}

# Write DIR/env for a slapd answering on port $1 with pid $2.
write_env() {
	{
		env_line SLAPD_URI "ldap://127.0.0.1:$1/"
		env_line SLAPD_PORT "$1"
		env_line SLAPD_PID "$2"
		env_line SLAPD_LDAPI "$(ldapi_uri)"
		env_line SLAPD_SUFFIX "$SUFFIX"
		env_line SLAPD_ROOTDN "cn=admin,$SUFFIX"
		env_line SLAPD_ROOTPW "$ROOTPW"
		env_line SLAPD_CONFIGDN "cn=config"
		env_line SLAPD_CONFIGPW "$CONFIGPW"
		env_line SLAPD_DIR "$DIR"
	} >"$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env"
}

# Make DIR absolute and check it can be written into LDIF as it is.
set_dir() {
	mkdir -p "$1" || die "cannot create $1"
	DIR=$(cd "$1" && pwd) || die "cannot enter $1"
	case "$DIR" in
	*[!A-Za-z0-9_./+-]*) die "directory '$DIR' must be a plain path (letters, digits, _./+-)" ;;
	esac
}

cmd_start() {
	[ $# -ge 1 ] || die "usage: $0 start DIR [LDIF...]"
	set_dir "$1"
	shift
	for f in "$@"; do
		[ -r "$f" ] || die "cannot read LDIF $f"
	done
	if [ -r "$DIR/slapd.pid" ] && old=$(cat "$DIR/slapd.pid") && alive "$old" && is_our_slapd "$old" "$DIR"; then
		die "a slapd (pid $old) already runs in $DIR; stop it first"
	fi
	SLAPD=$(find_tool slapd SLAPD) || exit 1
	SLAPADD=$(find_tool slapadd SLAPADD) || exit 1
	LDAPSEARCH=$(find_tool ldapsearch LDAPSEARCH) || exit 1
	SUFFIX=${SUFFIX:-dc=example,dc=com}
	SERVICE_DN="cn=mentord,ou=services,$SUFFIX"
	here=$(cd "$(dirname "$0")" && pwd)
	top=${top_srcdir:-$here/../..}
	SCHEMA=${MENTORING_SCHEMA:-$top/schema/mentoring.ldif}
	SYNCPROV=${SYNCPROV:-yes}
	PEERCRED=${PEERCRED:-service}
	REFINT_ATTRS="member manager mentoringMentor mentoringMentee"
	[ "$SCHEMA" != none ] || REFINT_ATTRS="member manager"

	rm -rf "$DIR/slapd.d" "$DIR/db" "$DIR/env" "$DIR/slapd.pid" "$DIR/slapd.args"
	mkdir "$DIR/slapd.d" "$DIR/db" || die "cannot create $DIR/slapd.d and $DIR/db"
	{ write_config_head && write_config_databases; } >"$DIR/config.ldif" || exit 1
	run_logged "$SLAPADD" -n0 -F "$DIR/slapd.d" -l "$DIR/config.ldif"
	for f in "$@"; do
		run_logged "$SLAPADD" -q -n1 -F "$DIR/slapd.d" -l "$f"
	done

	attempt=1
	while :; do
		port=$(random_port)
		try_port "$port"
		case $? in
		0) break ;;
		1) die "slapd did not start (config in $DIR/slapd.d)" ;;
		esac
		[ $attempt -lt 20 ] || die "no free port after 20 attempts; last log: $(cat "$DIR/slapd.log")"
		attempt=$((attempt + 1))
	done
	write_env "$port" "$pid" || die "cannot write $DIR/env"
	cat "$DIR/env"
}

# Stop process $1: TERM, wait up to 10 s, then KILL.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	n=0
	while alive "$1"; do
		if [ $n -ge 200 ]; then
			printf '%s: slapd %s ignored SIGTERM for 10 s; killing it\n' "$ME" "$1" >&2
			kill -KILL "$1" 2>/dev/null
			sleep 0.1
			break
		fi
		sleep 0.05
		n=$((n + 1))
	done
}

cmd_stop() {
	[ $# -eq 1 ] || die "usage: $0 stop DIR"
	[ -d "$1" ] || return 0
	DIR=$(cd "$1" && pwd) || die "cannot enter $1"
	pid=
	if [ -r "$DIR/slapd.pid" ]; then
		pid=$(cat "$DIR/slapd.pid")
	elif [ -r "$DIR/env" ]; then
		pid=$(sed -n 's/^SLAPD_PID=//p' "$DIR/env")
	fi
	case "$pid" in
	'' | *[!0-9]*) return 0 ;;
	esac
	if alive "$pid" && is_our_slapd "$pid" "$DIR"; then
		stop_pid "$pid"
	fi
	rm -f "$DIR/env" "$DIR/ldapi"
	return 0
}

case "${1:-}" in
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
*) die "usage: $0 start DIR [LDIF...] | stop DIR" ;;
esac
