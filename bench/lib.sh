# Shared by the benchmarks (sourced): twin throwaway slapds holding the same
# generated company, a mentord configuration for each, and timing helpers.
# Expects top_srcdir and top_builddir; sets work, uri_a, uri_b, and writes
# $work/a.conf and $work/b.conf.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
harness="$top_srcdir/tests/lib/slapd-harness.sh"
service_dn=cn=mentord,ou=services,dc=example,dc=com
work=$(mktemp -d "${TMPDIR:-/tmp}/mentord-bench.XXXXXX")

daemon_pid=
bench_cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	"$harness" stop "$work/a" >/dev/null 2>&1 || true
	"$harness" stop "$work/b" >/dev/null 2>&1 || true
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap bench_cleanup EXIT INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# bench_twins STAFF: generate the company and start server a and b with it.
bench_twins() {
	"$top_builddir/tests/gencompany" -n "$1" -s 1 >"$work/company.ldif"
	"$harness" start "$work/a" "$work/company.ldif" >/dev/null
	"$harness" start "$work/b" "$work/company.ldif" >/dev/null
	uri_a=$(. "$work/a/env"; echo "$SLAPD_URI")
	uri_b=$(. "$work/b/env"; echo "$SLAPD_URI")
	echo "mentord-secret" >"$work/pw"
	bench_conf "$uri_a" "$work/a.db" >"$work/a.conf"
	bench_conf "$uri_b" "$work/b.db" >"$work/b.conf"
}

bench_conf() {
	cat <<CONF
directory = { uri = [ "$1" ]; base = "dc=example,dc=com";
  bind_dn = "$service_dn"; password_file = "$work/pw"; };
participants = { juniors = "cn=mentoring-juniors,ou=groups,dc=example,dc=com";
  seniors = "cn=mentoring-seniors,ou=groups,dc=example,dc=com"; };
state = { database = "$2"; };
CONF
}
