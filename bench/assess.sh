#!/bin/sh
# bench/assess.sh [ROWS]: `mentorctl assess import` of ROWS people (default
# 50000) with new levels in five areas, against ldapmodify applying exactly
# the same changes (the LDIF of a --dry-run) to a twin server in the same run;
# then the same file again, which must change nothing.
set -eu
rows=${1:-50000}
. "$(dirname "$0")/lib.sh"
bench_twins "$rows"
ctl="$top_builddir/src/mentorctl"

# New levels for everyone, deterministic.
awk -v n="$rows" 'BEGIN {
	srand(7); print "uid,digcomp.1,digcomp.2,digcomp.3,digcomp.4,digcomp.5,date"
	for (i = 1; i <= n; i++) {
		printf "u%06d", i
		for (a = 1; a <= 5; a++) printf ",%d", 1 + int(rand() * 8)
		print ",2026-11-01"
	}
}' >"$work/levels.csv"

"$ctl" -c "$work/b.conf" assess import "$work/levels.csv" --dry-run >"$work/levels.ldif" 2>"$work/dry.log"
changes=$(grep -c '^dn:' "$work/levels.ldif")
t0=$(now)
ldapmodify -x -H "$uri_b" -D "$service_dn" -w mentord-secret -f "$work/levels.ldif" >/dev/null
t_ref=$(elapsed "$t0" "$(now)")

t0=$(now)
"$ctl" -c "$work/a.conf" assess import "$work/levels.csv" 2>"$work/import.log"
t_import=$(elapsed "$t0" "$(now)")
t0=$(now)
"$ctl" -c "$work/a.conf" assess import "$work/levels.csv" 2>"$work/again.log"
t_again=$(elapsed "$t0" "$(now)")

printf 'rows: %s, people changed: %s\n' "$rows" "$changes"
printf '%-40s %9s %9s %7s\n' step mentorctl reference ratio
printf '%-40s %8.3fs %8.3fs %7s\n' "import vs ldapmodify (same changes)" "$t_import" "$t_ref" "$(ratio "$t_import" "$t_ref")"
printf '%-40s %8.3fs   (%s)\n' "same file again" "$t_again" "$(grep -o '[0-9]* changed, [0-9]* unchanged' "$work/again.log")"
grep -q ' 0 changed, ' "$work/again.log" || { echo "the second import changed something" >&2; exit 1; }
