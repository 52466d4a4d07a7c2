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
. "$(dirname "$0")/lib.sh"
bench_twins "$staff"
mentord="$top_builddir/src/mentord"

# Reference read: the same base, filter and attributes mentord asks for.
attrs="entryUUID cn mail title departmentNumber manager l mentoringBirthYear mentoringHireDate mentoringCompetence mentoringCapacity"
t0=$(now)
# shellcheck disable=SC2086
ldapsearch -x -H "$uri_a" -D "$service_dn" -w mentord-secret \
	-b ou=people,dc=example,dc=com -E pr=1000/noprompt '(objectClass=inetOrgPerson)' $attrs >/dev/null
t_search=$(elapsed "$t0" "$(now)")

# The changes of a first cycle, as LDIF, applied by ldapmodify on the twin.
"$mentord" -c "$work/b.conf" --dry-run >"$work/plan.ldif" 2>/dev/null
changes=$(grep -c '^dn:' "$work/plan.ldif")
t0=$(now)
ldapmodify -x -H "$uri_b" -D "$service_dn" -w mentord-secret \
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
