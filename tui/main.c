/*
 * main.c — tui_main(): sets up the terminal (locale, curses, colours or
 * monochrome, short Esc delay, no cursor), shows the home screen, and puts
 * the terminal back however the screens end.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "tui_int.h"

/* Starts curses on TERM, falling back to vt100 then linux when TERM is
 * unset or unknown (a serial console often has no TERM).  initscr()
 * would exit the process instead of failing. */
static int start_curses(void)
{
	static const char *const fallback[] = { "vt100", "linux", NULL };
	const char *term = getenv("TERM");

	if (term && *term && newterm(term, stdout, stdin))
		return 0;
	for (int i = 0; fallback[i]; i++)
		if (newterm(fallback[i], stdout, stdin)) {
			setenv("TERM", fallback[i], 1);
			return 0;
		}
	return -1;
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
	if (start_curses() != 0) {
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
