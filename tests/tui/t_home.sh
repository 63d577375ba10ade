#!/usr/bin/env bash
# The home screen at 80x25: disks with partitions, the actions with their
# letters, the honest "not available" texts for reboot and power off off
# the medium, the log screen, the shell, resize, monochrome (vt100)
# and quitting.
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip home || exit 0
random_disk "$T/a.img" 32
truncate -s 48M "$T/b.img"
A=$(mkloop "$T/a.img") && B=$(mkloop "$T/b.img") || { skip home "losetup failed"; exit 0; }
a=${A#/dev/}; b=${B#/dev/}
ENV="LIFEBOAT_TUI_DEVICES='$A $B'"

if ! tui_start "$ENV"; then fail "home: starts" "no home screen: $(screen)"; exit 0; fi
s=$(screen)
check "home: lists both loop disks with sizes" grep -qE "^  $a +32.0 MiB .*loop" <<<"$s"
check "home: second disk" grep -qE "^  $b +48.0 MiB" <<<"$s"
check "home: partition beneath its disk" grep -qE "^    ${a}p1 +30.0 MiB" <<<"$s"
for act in "B  Back up a disk" "R  Restore an image" "P  Back up a partition" \
	"C  Clone a disk" "V  Verify an image" "F  Rescue a failing disk" \
	"S  Open a shell" "T  Reboot" "O  Power off" "L  Show the log"; do
	check "home: action '$act'" grep -qF "$act" <<<"$s"
done
check "home: fits 25 rows with footer last" bash -c "[ \$(wc -l <<<'$s') -le 25 ] && tail -1 <<<'$s' | grep -q 'Enter choose'"

keys f; shown "rescue: F opens the rescue flow" "Rescue a failing disk: which one?"
esc; shown "rescue: Esc goes back home" "Disks in this machine"
if [ -e /run/lifeboat/medium ]; then
	skip "reboot: refused off the medium" "this machine has /run/lifeboat/medium"
else
	keys t; shown "reboot: refused off the medium" "only available when Lifeboat runs"
	keys Enter; tui_wait "Disks in this machine"
	keys o; shown "power off: refused off the medium" "Powering off is only available"
	keys Enter; tui_wait "Disks in this machine"
fi

keys l; shown "log: the log screen shows what happened" "screens started"
esc; tui_wait "Disks in this machine"

keys s; shown "shell: says how to come back" "Type  exit  to return"
type_text 'echo shell-$((6*7))'; keys Enter
shown "shell: runs commands" "shell-42"
type_text 'exit'; keys Enter
shown "shell: back on the home screen" "Disks in this machine"

tm resize-window -t lb -x 100 -y 30 2>/dev/null
sleep 0.5
shown "resize: redrawn at 100x30" "Back up a disk"
check "resize: footer on the new last row" bash -c "tm() { tmux -L $TUI_SOCK \"\$@\"; }; tm capture-pane -t lb -p | sed -n 30p | grep -q 'Enter choose'"
tm resize-window -t lb -x 80 -y 25 2>/dev/null

# Trial finding 8: the question is on the screen before its answer is read.
keys q; shown "quit: asks first, the question drawn" "Leave Lifeboat?"
shown "quit: the answers are drawn" "[ Y  Yes ]  [ N  No ]"
keys n; sleep 0.3
not_shown "quit: N closes the question" "Leave Lifeboat?"
shown "quit: N stays on the home screen" "Disks in this machine"
keys Q; shown "quit: Q asks again" "Leave Lifeboat?"
keys y; shown "quit: y exits 0" "LIFEBOAT-EXITED-0"

# Serial consoles print the line-drawing set as "lqqk": LIFEBOAT_ASCII=1
# (set by the medium's serial getty) draws popups in + - |.
if tui_start "LIFEBOAT_ASCII=1 $ENV"; then
	keys q; shown "ascii: the question is drawn" "Leave Lifeboat?"
	shown_re "ascii: the popup border is + and -" "^ *\+-Quit-+\+ *$"
	not_shown "ascii: no lqqk" "lqQuit"
	keys y; shown "ascii: y exits 0" "LIFEBOAT-EXITED-0"
fi

for term in vt100 linux; do
	if tui_start "TERM=$term $ENV"; then
		check "$term: home lists the disks" grep -qE "^  $a +32.0 MiB" <<<"$(screen)"
		shown "$term: actions shown" "C  Clone a disk"
		keys Down Right Enter
		shown "$term: arrow keys and Enter work" "Clone: which disk is the source?"
		esc
		shown "$term: Esc goes back" "Disks in this machine"
	else
		fail "$term: starts" "$(screen)"
	fi
done

# A serial console may have no TERM or one curses does not know.
for t in "" bogus; do
	if tui_start "TERM=$t $ENV"; then
		pass "TERM='$t': falls back to a built-in terminal and shows home"
	else
		fail "TERM='$t': falls back to a built-in terminal and shows home" "$(screen)"
	fi
done

# More disks than fit: the table says so, Tab then Down scrolls it.
list=""
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13; do
	truncate -s ${i}M "$T/many$i.img"; list="$list $T/many$i.img"
done
if tui_start "LIFEBOAT_TUI_DEVICES='$list'"; then
	shown "scroll: the table says more lines follow" "more lines: Tab, then Down"
	not_shown "scroll: the last disk is not shown yet" "many13.img"
	keys Tab; sleep 0.2
	for i in 1 2 3 4 5; do keys Down; done
	shown "scroll: Tab and Down bring the last disk into view" "many13.img"
	keys Tab; sleep 0.2
	keys Down Enter
	shown "scroll: Tab returns to the actions" "Back up a partition: which disk?"
else
	fail "scroll: starts" "$(screen)"
fi

# SIGTERM or SIGHUP (a serial line hanging up) ends the screens cleanly.
if tui_start "$ENV"; then
	keys c; tui_wait "which disk is the source"
	pid=$(pgrep -P "$(tm list-panes -t lb -F '#{pane_pid}')" -x lifeboat)
	if [ -n "$pid" ]; then
		kill -TERM "$pid"
		shown "SIGTERM: the screens end with the cancelled exit code" "LIFEBOAT-EXITED-8"
	else
		fail "SIGTERM: find the process" "no lifeboat child of the pane"
	fi
fi
