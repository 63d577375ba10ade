/*
 * main.c — tui_main(): sets up the terminal (locale, curses, colours or
 * monochrome, short Esc delay, no cursor), shows the home screen, and puts
 * the terminal back however the screens end.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tui_int.h"

/* Starts curses on TERM, falling back to vt100 then linux when TERM is
 * unset or unknown (a serial console often has no TERM).  initscr()
 * would exit the process instead of failing.  Returns 0, 1 after a
 * fallback, -1 when no terminal description works. */
static int start_curses(void)
{
	static const char *const fallback[] = { "vt100", "linux", NULL };
	const char *term = getenv("TERM");

	if (term && *term && newterm(term, stdout, stdin))
		return 0;
	for (int i = 0; fallback[i]; i++)
		if (newterm(fallback[i], stdout, stdin)) {
			setenv("TERM", fallback[i], 1);
			return 1;
		}
	return -1;
}

/* Plain ASCII borders when LIFEBOAT_ASCII=1 (0 turns them off), on a
 * serial line (/dev/ttyS*, ttyAMA*, ttyUSB*: the terminal at the other end
 * is unknown), or when TERM had to fall back to a built-in entry. */
static int want_ascii(int fell_back)
{
	const char *e = getenv("LIFEBOAT_ASCII"), *tty = ttyname(1);

	if (e && *e)
		return strcmp(e, "0") != 0;
	if (fell_back)
		return 1;
	return tty && (!strncmp(tty, "/dev/ttyS", 9) ||
		       !strncmp(tty, "/dev/ttyAMA", 11) ||
		       !strncmp(tty, "/dev/ttyUSB", 11));
}

static void restore_terminal(void)
{
	if (!isendwin())
		endwin();
}

int tui_main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "lifeboat: the screens need a terminal; see "
			"lifeboat --help for the commands\n");
		return LB_EXIT_USAGE;
	}
	if (!getenv("ESCDELAY"))
		set_escdelay(100);
	int fell_back = start_curses();
	if (fell_back < 0) {
		fprintf(stderr, "lifeboat: cannot start the screens on this "
			"terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") :
			"unset");
		return LB_EXIT_FAILURE;
	}
	atexit(restore_terminal);
	signal(SIGINT, SIG_IGN);   /* Esc cancels; ^C must not kill a job */
	tui_catch_stop();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	typeahead(-1);  /* draw every screen even when keys are waiting */
	tui_set_ascii(want_ascii(fell_back));
	tui_colors_init();
	tui_log("Lifeboat %s screens started on %s (%dx%d, %s)", LB_VERSION,
		ttyname(0) ? ttyname(0) : "?", COLS, LINES,
		has_colors() ? "colour" : "monochrome");
	tui_home();
	tui_unmount_all();
	endwin();
	tui_log("screens closed%s", tui_stopping() ? " (asked to stop)" : "");
	tui_log_close();
	return tui_stopping() ? LB_EXIT_CANCELLED : LB_EXIT_OK;
}
