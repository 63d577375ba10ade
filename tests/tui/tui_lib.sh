# tests/tui/tui_lib.sh — drive the real `lifeboat` screens the way a person
# does: in an 80x25 tmux window, keys in with send-keys, screen text out
# with capture-pane.  Source it from a tests/tui/t_*.sh after nothing else
# (it sources tests/lib.sh).  Each script gets a private tmux server.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# Each tui_start gets a fresh tmux server (socket lbtui<pid>-<n>): reusing
# one right after kill-server races with its shutdown.
TUI_N=0
TUI_SOCK=lbtui$$-0
tm() { tmux -L "$TUI_SOCK" "$@"; }
on_exit 'for s in $(seq 0 $TUI_N); do tmux -L lbtui$$-$s kill-server 2>/dev/null; done' 
# Loop devices are recorded in a file: mkloop runs in $(...) subshells.
on_exit '[ -f "$T/.loops" ] && while read -r l; do losetup -d "$l" 2>/dev/null; done <"$T/.loops"'
MOUNTS=()
on_exit 'for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done'

# tui_start [VAR=VALUE...]: runs $LIFEBOAT with no arguments in a fresh
# 80x25 window; when it exits the window shows "LIFEBOAT-EXITED-<code>".
tui_start() {
	tm kill-server 2>/dev/null
	TUI_N=$((TUI_N + 1))
	TUI_SOCK=lbtui$$-$TUI_N
	tm -f /dev/null new-session -d -s lb -x 80 -y 25 \
		"env LIFEBOAT_LOG=$T/tui.log $* $LIFEBOAT; echo LIFEBOAT-EXITED-\$?; sleep 900"
	tui_wait "Disks in this machine" 15
}
screen() { tm capture-pane -t lb -p 2>/dev/null; }
keys() { tm send-keys -t lb "$@"; }
# type_text TEXT: types TEXT literally (no key names).
type_text() { tm send-keys -t lb -l "$1"; }
# esc: Esc alone (a pause after it so the next key is not read as Alt+key).
esc() { keys Escape; sleep 0.4; }

# tui_wait TEXT [SECONDS]: waits for TEXT on the screen; 1 if it never came.
tui_wait() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# shown NAME TEXT [SECONDS]: passes when TEXT appears, else fails with the
# screen as the reason.
shown() {
	if tui_wait "$2" "${3:-10}"; then pass "$1"; else fail "$1" "'$2' not on screen:
$(screen)"; fi
}
# shown_re NAME ERE [SECONDS]: like shown, for an extended regex (a line
# of the screen must match it).
shown_re() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		screen | grep -qE -- "$2" && { pass "$1"; return; }
		sleep 0.1
	done
	fail "$1" "no line matches /$2/:
$(screen)"
}
# not_shown NAME TEXT: passes when TEXT is not on the screen now.
not_shown() {
	if screen | grep -qF -- "$2"; then fail "$1" "'$2' is on screen:
$(screen)"; else pass "$1"; fi
}
# mkloop FILE: attaches FILE to a loop device and prints its path.
mkloop() {
	local l
	l=$(losetup -f --show "$1" 2>/dev/null) || return 1
	echo "$l" >>"$T/.loops"
	echo "$l"
}
# loops_or_skip CASE: returns 1 (after a skip line) unless loop devices work.
loops_or_skip() {
	if ! need_root; then skip "$1" "needs root for loop devices"; return 1; fi
	truncate -s 1M "$T/probe.img"
	local l
	if ! l=$(losetup -f --show "$T/probe.img" 2>/dev/null); then
		skip "$1" "losetup failed: no loop devices here"; return 1
	fi
	losetup -d "$l"
	have tmux || { skip "$1" "tmux is not installed"; return 1; }
	return 0
}
# random_disk FILE MIB: a disk file with a DOS table, random data in its
# first partition and zeros elsewhere (so images compress and map zeros).
random_disk() {
	truncate -s "${2}M" "$1"
	printf 'label: dos\nstart=2048, size=%d, type=83\n' $(( ($2 - 2) * 2048 )) |
		sfdisk -q "$1" >/dev/null 2>&1
	head -c $(( $2 / 2 ))M /dev/urandom | dd of="$1" bs=1M seek=1 conv=notrunc status=none
}
