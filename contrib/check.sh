#!/bin/sh
# The whole test suite from a clean checkout: install what is missing, build
# with warnings as errors, run `make distcheck` (build, unit and integration
# tests against a real slapd, install, dist), then the suite again under
# AddressSanitizer and UndefinedBehaviorSanitizer.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

"$top/contrib/deps.sh"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi

# Print the logs of failed tests before giving up.
show_failures() {
	find "$1" -name '*.log' ! -name config.log -newer "$top/configure" \
		-exec grep -l -E '^(FAIL|ERROR)' {} + 2>/dev/null | while read -r f; do
		echo "===== $f"; cat "$f"
		t="${f%.log}.log"; [ -f "$t" ] && cat "$t"
	done
}

run_suite() {
	dir=$1; shift
	rm -rf "$dir"; mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -j"$jobs" >/dev/null) || exit 1
	if ! (cd "$dir" && make -j"$jobs" check); then
		show_failures "$dir"; exit 1
	fi
}

start=$(date +%s)
run_suite "$top/build-check" --enable-werror
(cd "$top/build-check" && make -j"$jobs" distcheck >distcheck.log 2>&1) || {
	tail -n 100 "$top/build-check/distcheck.log"; echo "check.sh: make distcheck failed" >&2; exit 1; }
echo "check.sh: make distcheck passed"
san="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	LSAN_OPTIONS=suppressions="$top/tests/lsan.supp":print_suppressions=0 \
	run_suite "$top/build-asan" --enable-werror CFLAGS="$san" LDFLAGS="-fsanitize=address,undefined"
echo "check.sh: all passed in $(( $(date +%s) - start )) s (plain, distcheck, ASan+UBSan)"
