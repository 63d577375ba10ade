# /etc/lifeboat.sh — shell helpers for the live system's scripts.

# cmdline KEY: prints the value of KEY=VALUE from the kernel command line
# (the last one wins; "double quotes" group words, as the kernel's own
# parser does).  Returns 1 when KEY is absent.  Never evaluates the text.
cmdline() {
	awk -v key="$1" '{
		s = $0; n = length(s); i = 1; found = 0
		while (i <= n) {
			while (i <= n && substr(s, i, 1) ~ /[ \t\n]/) i++
			if (i > n) break
			w = ""; q = 0
			while (i <= n) {
				c = substr(s, i, 1)
				if (c == "\"") q = !q
				else if (!q && c ~ /[ \t\n]/) break
				else w = w c
				i++
			}
			eq = index(w, "=")
			if (eq > 0 && substr(w, 1, eq - 1) == key) { val = substr(w, eq + 1); found = 1 }
			else if (eq == 0 && w == key) { val = ""; found = 1 }
		}
		if (found) print val
		exit !found
	}' /proc/cmdline
}

# serial_present TTY: true when TTY is a serial port with a UART behind it.
serial_present() {
	t=$(cat "/sys/class/tty/$1/type" 2>/dev/null) && [ -n "$t" ] && [ "$t" != 0 ]
}
