#!/bin/sh
# bench/sync.sh [STAFF]: mentord's people sync on a throwaway slapd holding a
# generated company of STAFF people (default 100000), against a reference
# measured in the same run:
#   full:        a cycle's sync phase (RFC 4533 without a cookie, into an
#                empty SQLite state database) vs ldapsearch -E pr=1000/noprompt
#                of the same entries to /dev/null. Measured ROUNDS times
#                (default 3), the reference and mentord taking turns, after
#                one untimed read that warms the server up for both; each
#                round's ratio and the median are shown, with the CPU times.
#                These rounds are dry runs (mentord --dry-run on a new state
#                database each): the same sync phase as the first real
#                cycle, which runs after them, but they leave the directory
#                as it was, so every round reads the same entries.
#   catch-up:    the second cycle (the first one's own pair writes are newer
#                than its cookie)
#   incremental: a cycle after 100 ldapmodify changes: sync phase, whole
#                cycle, entries read; once with mentord --once (a new process
#                loads the roster from the state database) and twice inside
#                one running daemon (mentord -f, a cycle per SIGUSR1), which
#                keeps the roster between cycles and applies the changes to it
#   peak RSS of mentord when the full sync ended (from its log) and for the
#   whole cycle, matching included (GNU time, when installed)
# Times are wall clock; the sync phase's CPU time is shown too, since the
# machines are shared and noisy.
# Run from a build tree (make bench-sync) or with top_builddir set.
set -eu
staff=${1:-100000}
rounds=${ROUNDS:-3}
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
plan_s() { sed -n 's/.*cycle phases: .*match and plan \([0-9.]*\) s, write \([0-9.]*\) s.*/match and plan \1 s, write \2 s/p' "$work/$1.log"; }
sync_cpu() { sed -n 's/.*sync CPU \([0-9.]*\) s.*/\1/p' "$work/$1.log"; }
read_n() { sed -n 's/.*cycle sync: \(read [0-9]* entries ([a-z, ]*)\), \([0-9]*\) ids.*roster \([a-z ]*\);.*/\1, \2 ids, roster \3/p' "$work/$1.log"; }

# change_titles ROUND: 100 modifications spread over the company
change_titles() {
	i=1
	while [ "$i" -le "$changes" ]; do
		printf 'dn: uid=u%06d,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: title\ntitle: Bench %s-%d\n\n' \
			$(( i * (staff / changes) )) "$1" "$i"
		i=$((i + 1))
	done >"$work/changes.ldif"
	ldapmodify -x -H "$uri_a" -D cn=admin,dc=example,dc=com -w secret -f "$work/changes.ldif" >/dev/null
}

# finished_cycles: how many cycles the daemon's log shows finished (0 before it has a log)
finished_cycles() {
	grep -c 'cycle [a-z-]* in [0-9.]* s' "$work/daemon.log" 2>/dev/null || echo 0
}

# daemon_cycles N: wait (up to 10 minutes) until the daemon's log shows N finished cycles
daemon_cycles() {
	n=0
	while [ "$(finished_cycles | head -n 1)" -lt "$1" ]; do
		kill -0 "$daemon_pid" 2>/dev/null || { echo "mentord -f exited; its log:" >&2; cat "$work/daemon.log" >&2; exit 1; }
		n=$((n + 1))
		[ $n -lt 6000 ] || { echo "the daemon did not finish cycle $1" >&2; exit 1; }
		sleep 0.1
	done
}

# daemon_round NAME: the daemon's last cycle's lines, as $work/NAME.log for the helpers above
daemon_round() {
	for pat in 'cycle phases' 'cycle [a-z-]* in' 'cycle sync:'; do
		grep "$pat" "$work/daemon.log" | tail -n 1
	done >"$work/$1.log"
}

attrs="entryUUID cn mail title departmentNumber manager l mentoringBirthYear mentoringHireDate mentoringCompetence mentoringCapacity"
# reference NAME: the ldapsearch; wall seconds to $work/NAME.wall, user+system CPU seconds to $work/NAME.cpu
reference() {
	t0=$(now)
	# shellcheck disable=SC2086
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S' -o "$work/$1.time" ldapsearch -x -H "$uri_a" -D "$service_dn" -w mentord-secret \
			-b dc=example,dc=com -E pr=1000/noprompt '(objectClass=inetOrgPerson)' $attrs >/dev/null
		awk '{ printf "%.3f", $1 + $2 }' "$work/$1.time" >"$work/$1.cpu"
	else
		ldapsearch -x -H "$uri_a" -D "$service_dn" -w mentord-secret \
			-b dc=example,dc=com -E pr=1000/noprompt '(objectClass=inetOrgPerson)' $attrs >/dev/null
		echo - >"$work/$1.cpu"
	fi
	elapsed "$t0" "$(now)" >"$work/$1.wall"
}

# dry_full NAME: a dry-run cycle on a new, empty state database: its sync phase is a full sync
dry_full() {
	bench_conf "$uri_a" "$work/$1.db" >"$work/$1.conf"
	"$mentord" -c "$work/$1.conf" --dry-run >/dev/null 2>"$work/$1.log"
	rm -f "$work/$1.db" "$work/$1.db-wal" "$work/$1.db-shm"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }

reference warmup
round=1
while [ "$round" -le "$rounds" ]; do
	reference "ref$round"
	dry_full "full$round"
	round=$((round + 1))
done

run_cycle full
run_cycle catchup

change_titles once
run_cycle incremental

# The same inside one running daemon: its first cycle builds the roster from
# the state database, the next ones (SIGUSR1 after each batch of changes)
# apply the changes to the roster they keep.
cat "$work/a.conf" >"$work/d.conf"
echo 'daemon = { interval = 604800; jitter = 0; };' >>"$work/d.conf"
: >"$work/daemon.log"
"$mentord" -c "$work/d.conf" -f 2>>"$work/daemon.log" &
daemon_pid=$!
daemon_cycles 1
for round in 1 2; do
	change_titles "daemon$round"
	kill -USR1 "$daemon_pid"
	daemon_cycles $((round + 1))
	daemon_round "daemon$round"
done
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=

printf 'staff: %s\n' "$staff"
printf '%-40s %9s %9s %7s   %s\n' "" mentord reference ratio "CPU: mentord's sync, ldapsearch; mentord's peak RSS"
round=1
while [ "$round" -le "$rounds" ]; do
	printf '%-40s %8.3fs %8.3fs %7s   %s s, %s s; %s KiB\n' "full sync vs ldapsearch -E pr=1000, $round" \
		"$(sync_s "full$round")" "$(cat "$work/ref$round.wall")" \
		"$(ratio "$(sync_s "full$round")" "$(cat "$work/ref$round.wall")")" \
		"$(sync_cpu "full$round")" "$(cat "$work/ref$round.cpu")" "$(sync_rss "full$round")"
	ratio "$(sync_s "full$round")" "$(cat "$work/ref$round.wall")" >>"$work/ratios"
	echo >>"$work/ratios"
	round=$((round + 1))
done
printf '%-40s %27s\n' "  median ratio of $rounds rounds" "$(median <"$work/ratios")"
printf '%-40s %8.3fs   (%s; CPU %s s)\n' "  the first real cycle's full sync" "$(sync_s full)" "$(read_n full)" \
	"$(sync_cpu full)"
printf '%-40s %s\n' "  full cycle" "$(cycle_s full) s, $(read_n full)"
printf '%-40s %s\n' "  peak RSS" "$(sync_rss full) KiB when the sync ended, $(cat "$work/full.rss") KiB for the whole cycle"
printf '%-40s %8.3fs   (%s; cycle %s s)\n' "catch-up after the first writes" "$(sync_s catchup)" "$(read_n catchup)" \
	"$(cycle_s catchup)"
printf '%-40s %8.3fs   (CPU %s s; %s)\n' "incremental sync, --once, $changes changes" "$(sync_s incremental)" \
	"$(sync_cpu incremental)" "$(read_n incremental)"
printf '%-40s %8.3fs   (%s; peak RSS %s KiB)\n' "  whole incremental cycle, --once" "$(cycle_s incremental)" \
	"$(plan_s incremental)" "$(cat "$work/incremental.rss")"
for round in 1 2; do
	printf '%-40s %8.3fs   (CPU %s s; %s)\n' "incremental sync in the daemon, round $round" \
		"$(sync_s "daemon$round")" "$(sync_cpu "daemon$round")" "$(read_n "daemon$round")"
	printf '%-40s %8.3fs   (%s; peak RSS %s KiB after the sync)\n' "  whole incremental cycle in the daemon" \
		"$(cycle_s "daemon$round")" "$(plan_s "daemon$round")" "$(sync_rss "daemon$round")"
done
