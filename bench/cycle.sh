#!/bin/sh
# bench/cycle.sh [STAFF]: one mentord cycle against references measured in
# the same run, on a throwaway slapd with a generated company.
#   sync:  mentord's directory read into SQLite, against
#          ldapsearch -E pr=1000/noprompt of the same entries to /dev/null
#   write: mentord applying the first cycle's changes, against ldapmodify -a
#          of exactly the same LDIF (from mentord --dry-run) on a twin server
#   again: a cycle with nothing to change must write nothing
# Run from a build tree (make bench) or with top_builddir set.
set -eu
staff=${1:-20000}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
harness="$top_srcdir/tests/lib/slapd-harness.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/mentord-bench.XXXXXX")
cleanup() {
	"$harness" stop "$work/a" >/dev/null 2>&1 || true
	"$harness" stop "$work/b" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

"$top_builddir/tests/gencompany" -n "$staff" -s 1 >"$work/company.ldif"
"$harness" start "$work/a" "$work/company.ldif" >/dev/null
"$harness" start "$work/b" "$work/company.ldif" >/dev/null
uri_a=$(. "$work/a/env"; echo "$SLAPD_URI")
uri_b=$(. "$work/b/env"; echo "$SLAPD_URI")
echo "mentord-secret" >"$work/pw"
conf() {
	cat <<CONF
directory = { uri = [ "$1" ]; base = "dc=example,dc=com";
  bind_dn = "cn=mentord,ou=services,dc=example,dc=com"; password_file = "$work/pw"; };
participants = { juniors = "cn=mentoring-juniors,ou=groups,dc=example,dc=com";
  seniors = "cn=mentoring-seniors,ou=groups,dc=example,dc=com"; };
state = { database = "$2"; };
CONF
}
conf "$uri_a" "$work/a.db" >"$work/a.conf"
conf "$uri_b" "$work/b.db" >"$work/b.conf"
mentord="$top_builddir/src/mentord"

# Reference read: the same base, filter and attributes mentord asks for.
attrs="entryUUID cn mail title departmentNumber manager l mentoringBirthYear mentoringHireDate mentoringCompetence mentoringCapacity"
t0=$(now)
# shellcheck disable=SC2086
ldapsearch -x -H "$uri_a" -D cn=mentord,ou=services,dc=example,dc=com -w mentord-secret \
	-b ou=people,dc=example,dc=com -E pr=1000/noprompt '(objectClass=inetOrgPerson)' $attrs >/dev/null
t_search=$(elapsed "$t0" "$(now)")

# The changes of a first cycle, as LDIF, applied by ldapmodify on the twin.
"$mentord" -c "$work/b.conf" --dry-run >"$work/plan.ldif" 2>/dev/null
changes=$(grep -c '^dn:' "$work/plan.ldif")
t0=$(now)
ldapmodify -x -H "$uri_b" -D cn=mentord,ou=services,dc=example,dc=com -w mentord-secret \
	-f "$work/plan.ldif" >/dev/null
t_ldapmodify=$(elapsed "$t0" "$(now)")

# mentord's first and second cycle on server A.
"$mentord" -c "$work/a.conf" --once 2>"$work/first.log"
phases=$(grep 'cycle phases' "$work/first.log")
t_sync=$(echo "$phases" | sed 's/.*sync \([0-9.]*\) s.*/\1/')
t_plan=$(echo "$phases" | sed 's/.*plan \([0-9.]*\) s.*/\1/')
t_write=$(echo "$phases" | sed 's/.*write \([0-9.]*\) s.*/\1/')
"$mentord" -c "$work/a.conf" --once 2>"$work/second.log"
again=$(grep -o '[0-9]* adds, [0-9]* modifies, [0-9]* deletes' "$work/second.log")
t_again=$(grep 'cycle ok in' "$work/second.log" | sed 's/.*cycle ok in \([0-9.]*\) s.*/\1/')

printf 'staff: %s, changes in the first cycle: %s\n' "$staff" "$changes"
printf '%-34s %9s %9s %7s\n' phase mentord reference ratio
printf '%-34s %8.3fs %8.3fs %7s\n' "sync vs ldapsearch -E pr=1000" "$t_sync" "$t_search" "$(ratio "$t_sync" "$t_search")"
printf '%-34s %8.3fs %8.3fs %7s\n' "write vs ldapmodify -a (same LDIF)" "$t_write" "$t_ldapmodify" "$(ratio "$t_write" "$t_ldapmodify")"
printf '%-34s %8.3fs\n' "match and plan" "$t_plan"
printf '%-34s %8.3fs   (%s)\n' "second cycle, nothing to change" "$t_again" "$again"
case "$again" in "0 adds, 0 modifies, 0 deletes") ;; *) echo "second cycle wrote something" >&2; exit 1;; esac
