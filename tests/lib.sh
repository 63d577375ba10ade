# tests/lib.sh — helpers for Lifeboat's shell tests.  Source it from a test.
#
# A test script is tests/<area>/t_*.sh.  It runs one or more cases; each
# case ends in exactly one of pass, fail or skip, which append a line to
# $LB_RESULTS for tests/run to count.  Scripts get a private scratch folder
# in $T (removed afterwards) and the binary under test in $LIFEBOAT.
set -u
: "${LB_RESULTS:=/dev/stdout}"
: "${LIFEBOAT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/host/lifeboat}"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$TOP/../shared}
T=$(mktemp -d "${TMPDIR:-/tmp}/lbtest.XXXXXX")
trap 'lb_cleanup' EXIT
# Cleanup hooks live in a file, not a shell array, so that a hook registered
# inside $(...) or a pipeline (a subshell) still runs.  They run last-in
# first-out: an unmount registered after its losetup runs before the detach.
lb_cleanup() {
	local h
	if [ -f "$T/.on_exit" ]; then
		tac "$T/.on_exit" | while IFS= read -r h; do eval "$h" </dev/null >/dev/null 2>&1 || true; done
	fi
	rm -rf "$T"
}
on_exit() { printf '%s\n' "$1" >>"$T/.on_exit"; }

_name() { echo "$(basename "$(dirname "$0")")/$(basename "$0" .sh): $1"; }
pass() { echo "PASS $(_name "$1")" >>"$LB_RESULTS"; echo "PASS $1"; }
fail() { echo "FAIL $(_name "$1")${2:+ — $2}" >>"$LB_RESULTS"; echo "FAIL $1${2:+ — $2}"; }
skip() { echo "SKIP $(_name "$1") — $2" >>"$LB_RESULTS"; echo "SKIP $1 — $2"; }

# check NAME CMD...: pass when CMD exits 0, fail (with its output) otherwise.
check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(echo "$out" | tail -5 | tr '\n' ' ')"; fi
}
# same_bytes NAME A B: files (or devices) hold identical bytes.
same_bytes() {
	if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$2 and $3 differ: $(cmp "$2" "$3" 2>&1 | head -1)"; fi
}
need_root() { [ "$(id -u)" = 0 ]; }
have() { command -v "$1" >/dev/null 2>&1; }
