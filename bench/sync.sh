#!/bin/sh
# bench/sync.sh [STAFF]: mentord's people sync on a throwaway slapd holding a
# generated company of STAFF people (default 100000), against a reference
# measured in the same run:
#   full:        the first cycle's sync phase (RFC 4533 without a cookie, into
#                SQLite) vs ldapsearch -E pr=1000/noprompt of the same entries
#                to /dev/null
#   catch-up:    the second cycle (the first one's own pair writes are newer
#                than its cookie)
#   incremental: a cycle after 100 ldapmodify changes: sync phase, whole
#                cycle, entries read
#   peak RSS of mentord when the full sync ended (from its log) and for the
#   whole cycle, matching included (GNU time, when installed)
# Run from a build tree (make bench-sync) or with top_builddir set.
set -eu
staff=${1:-100000}
changes=100
. "$(dirname "$0")/lib.sh"
mentord="$top_builddir/src/mentord"

"$top_builddir/tests/gencompany" -n "$staff" -s 1 >"$work/company.ldif"
"$harness" start "$work/a" "$work/company.ldif" >/dev/null
uri_a=$(. "$work/a/env"; echo "$SLAPD_URI")
echo "mentord-secret" >"$work/pw"
bench_conf "$uri_a" "$work/a.db" >"$work/a.conf"

# run_cycle NAME: one mentord --once, stderr to $work/NAME.log, peak RSS (KiB) to $work/NAME.rss
run_cycle() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$work/$1.rss" "$mentord" -c "$work/a.conf" --once 2>"$work/$1.log"
	else
		"$mentord" -c "$work/a.conf" --once 2>"$work/$1.log"
		echo - >"$work/$1.rss"
	fi
}
sync_s() { sed -n 's/.*cycle phases: sync \([0-9.]*\) s.*/\1/p' "$work/$1.log"; }
cycle_s() { sed -n 's/.*cycle ok in \([0-9.]*\) s.*/\1/p' "$work/$1.log"; }
sync_rss() { sed -n 's/.*peak RSS \([0-9]*\) KiB after the sync.*/\1/p' "$work/$1.log"; }
read_n() { sed -n 's/.*cycle sync: \(read [0-9]* entries ([a-z, ]*)\), \([0-9]*\) ids.*/\1, \2 ids/p' "$work/$1.log"; }

attrs="entryUUID cn mail title departmentNumber manager l mentoringBirthYear mentoringHireDate mentoringCompetence mentoringCapacity"
t0=$(now)
# shellcheck disable=SC2086
ldapsearch -x -H "$uri_a" -D "$service_dn" -w mentord-secret \
	-b dc=example,dc=com -E pr=1000/noprompt '(objectClass=inetOrgPerson)' $attrs >/dev/null
t_search=$(elapsed "$t0" "$(now)")

run_cycle full
run_cycle catchup

# 100 modifications spread over the company
i=1
while [ "$i" -le "$changes" ]; do
	printf 'dn: uid=u%06d,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: title\ntitle: Bench %d\n\n' \
		$(( i * (staff / changes) )) "$i"
	i=$((i + 1))
done >"$work/changes.ldif"
ldapmodify -x -H "$uri_a" -D cn=admin,dc=example,dc=com -w secret -f "$work/changes.ldif" >/dev/null
run_cycle incremental

printf 'staff: %s\n' "$staff"
printf '%-40s %9s %9s %7s\n' "" mentord reference ratio
printf '%-40s %8.3fs %8.3fs %7s\n' "full sync vs ldapsearch -E pr=1000" "$(sync_s full)" "$t_search" \
	"$(ratio "$(sync_s full)" "$t_search")"
printf '%-40s %s\n' "  full cycle" "$(cycle_s full) s, $(read_n full)"
printf '%-40s %s\n' "  peak RSS" "$(sync_rss full) KiB when the sync ended, $(cat "$work/full.rss") KiB for the whole cycle"
printf '%-40s %8.3fs   (%s; cycle %s s)\n' "catch-up after the first writes" "$(sync_s catchup)" "$(read_n catchup)" \
	"$(cycle_s catchup)"
printf '%-40s %8.3fs   (%s)\n' "incremental sync after $changes changes" "$(sync_s incremental)" "$(read_n incremental)"
printf '%-40s %8.3fs   (peak RSS %s KiB)\n' "  whole incremental cycle" "$(cycle_s incremental)" \
	"$(cat "$work/incremental.rss")"
