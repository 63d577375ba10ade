/*
 * widget.c — the small widget layer every screen is drawn with: colours
 * (with a monochrome fallback chosen by has_colors()), the title bar and
 * footer, clipped and wrapped text, message and yes/no boxes, and a line
 * editor.  The menu widget is in menu.c.  Everything is ASCII apart from
 * the ncurses line-drawing set, and that is replaced by + - | where the
 * terminal may not draw it (tui_set_ascii: serial lines, LIFEBOAT_ASCII=1),
 * so a VGA console, a serial line (vt100) and xterm show the same screen.
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui_int.h"

static attr_t attrs[TC_COUNT];
static volatile sig_atomic_t stop_signal;
static int ascii_borders;

void tui_set_ascii(int on)
{
	ascii_borders = on;
}

static void on_stop(int sig)
{
	stop_signal = sig;
}

void tui_catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;        /* no SA_RESTART: a waiting getch() returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int tui_stopping(void)
{
	return stop_signal;
}

/* Pair number, foreground, background, and the attribute used instead
 * when the terminal has no colour. */
static const struct { short fg, bg; attr_t extra, mono; } palette[TC_COUNT] = {
	[TC_NORMAL] = { -1, -1, 0, 0 },
	[TC_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
	[TC_SEL] = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[TC_DANGER] = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
	[TC_OK] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[TC_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[TC_DIM] = { COLOR_BLUE, -1, A_BOLD, A_DIM },
	[TC_KEY] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[TC_MAP_COPIED] = { COLOR_BLACK, COLOR_GREEN, 0, A_BOLD },
	[TC_MAP_UNUSED] = { COLOR_WHITE, COLOR_BLUE, 0, 0 },
	[TC_MAP_ZERO] = { COLOR_BLACK, COLOR_CYAN, 0, 0 },
	[TC_MAP_PENDING] = { -1, -1, 0, 0 },
	[TC_MAP_BAD] = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE },
};

void tui_colors_init(void)
{
	int color = has_colors() && !getenv("NO_COLOR");

	if (color) {
		start_color();
		use_default_colors();
	}
	for (int i = 0; i < TC_COUNT; i++) {
		if (!color) {
			attrs[i] = palette[i].mono;
		} else if (i == TC_NORMAL) {
			attrs[i] = 0;
		} else {
			init_pair((short)i, palette[i].fg, palette[i].bg);
			attrs[i] = COLOR_PAIR(i) | palette[i].extra;
		}
	}
}

attr_t tui_attr(enum tui_color c)
{
	return c < TC_COUNT ? attrs[c] : 0;
}

static void put_clipped(WINDOW *w, int y, int x, attr_t a, const char *s)
{
	int room = getmaxx(w) - x;

	if (y < 0 || y >= getmaxy(w) || room <= 0)
		return;
	wattron(w, a);
	mvwaddnstr(w, y, x, s, room);
	wattroff(w, a);
}

void tui_put(int y, int x, enum tui_color c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put_clipped(stdscr, y, x, tui_attr(c), buf);
}

static void fill_row(int y, attr_t a)
{
	attron(a);
	mvhline(y, 0, ' ', COLS);
	attroff(a);
}

void tui_frame(const char *title, const char *footer)
{
	erase();
	fill_row(0, tui_attr(TC_TITLE));
	put_clipped(stdscr, 0, 1, tui_attr(TC_TITLE), title);
	fill_row(LINES - 1, tui_attr(TC_TITLE));
	put_clipped(stdscr, LINES - 1, 1, tui_attr(TC_TITLE),
		    COLS < 80 || LINES < 24 ? "This window is smaller than 80x25:"
		    " make it larger to see everything" : footer);
}

/* Length of the next line of TEXT that fits W columns, breaking at a
 * space or newline; *skip is set to the separator bytes to skip. */
static int wrap_len(const char *text, int w, int *skip)
{
	int len = 0, last_space = -1;

	*skip = 0;
	while (text[len] && text[len] != '\n' && len < w) {
		if (text[len] == ' ')
			last_space = len;
		len++;
	}
	if (text[len] == '\n' || text[len] == '\0') {
		*skip = text[len] == '\n';
		return len;
	}
	if (text[len] == ' ') {
		*skip = 1;
		return len;
	}
	if (last_space > 0) {
		*skip = 1;
		return last_space;
	}
	return len;
}

static int wrap_in(WINDOW *win, int y, int x, int w, attr_t a,
		   const char *text)
{
	char line[512];
	int rows = 0, skip;

	if (w <= 0)
		return 0;
	if (w > (int)sizeof line - 1)
		w = sizeof line - 1;
	while (*text) {
		int len = wrap_len(text, w, &skip);

		memcpy(line, text, (size_t)len);
		line[len] = '\0';
		put_clipped(win, y + rows, x, a, line);
		rows++;
		text += len + skip;
	}
	return rows;
}

int tui_wrap(int y, int x, int w, enum tui_color c, const char *text)
{
	return wrap_in(stdscr, y, x, w, tui_attr(c), text);
}

int tui_key(void)
{
	if (stop_signal)
		return 27;
	int k = getch();

	if (stop_signal)
		return 27;
	return k == ERR ? KEY_RESIZE : k;
}

int tui_is_enter(int k)
{
	return k == '\n' || k == '\r' || k == KEY_ENTER;
}

/* Draws a centred box with TITLE and wrapped TEXT; returns its window. */
static WINDOW *popup(const char *title, const char *text, int extra_rows)
{
	int w = COLS - 8 < 66 ? COLS - 8 : 66, rows;
	WINDOW *probe, *win;

	if (w < 20)
		w = COLS > 2 ? COLS - 2 : 1;
	probe = newpad(40, w);
	rows = wrap_in(probe, 0, 0, w - 4, 0, text);
	delwin(probe);
	int h = rows + 4 + extra_rows;
	if (h > LINES)
		h = LINES;
	win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	wbkgd(win, ' ' | tui_attr(TC_NORMAL));
	werase(win);
	if (ascii_borders)      /* a serial line may not switch to ACS */
		wborder(win, '|', '|', '-', '-', '+', '+', '+', '+');
	else
		box(win, 0, 0);
	put_clipped(win, 0, 2, tui_attr(TC_TITLE), title);
	wrap_in(win, 2, 2, w - 4, 0, text);
	keypad(win, TRUE);
	return win;
}

/* Puts the screen below and then the popup on the terminal in one update
 * (trial finding 8: a popup must be on the screen before its key is read). */
static void show(WINDOW *win)
{
	wnoutrefresh(stdscr);
	touchwin(win);
	wnoutrefresh(win);
	doupdate();
}

void tui_message(const char *title, const char *text)
{
	WINDOW *win = popup(title, text, 1);

	int k = 0;

	do {
		if (k == KEY_RESIZE) {  /* centre it again in the new size */
			delwin(win);
			win = popup(title, text, 1);
		}
		put_clipped(win, getmaxy(win) - 2, 2, tui_attr(TC_KEY),
			    "Press Enter to go on");
		show(win);
	} while (!stop_signal && ((k = wgetch(win)) == KEY_RESIZE || k == ERR));
	delwin(win);
	touchwin(stdscr);
}

int tui_ask(const char *title, const char *question)
{
	WINDOW *win = popup(title, question, 1);
	int yes = 0;

	for (;;) {
		int y = getmaxy(win) - 2;

		put_clipped(win, y, 2, yes ? tui_attr(TC_SEL) : 0, "[ Y  Yes ]");
		put_clipped(win, y, 14, yes ? 0 : tui_attr(TC_SEL), "[ N  No ]");
		show(win);
		int k = stop_signal ? 27 : wgetch(win);
		if (stop_signal) {
			yes = 0;
			break;
		}
		if (k == 'y' || k == 'Y') {
			yes = 1;
			break;
		}
		if (k == 'n' || k == 'N' || k == 27) {
			yes = 0;
			break;
		}
		if (tui_is_enter(k))
			break;
		if (k == KEY_LEFT || k == KEY_RIGHT || k == '\t')
			yes = !yes;
		if (k == KEY_RESIZE) {
			delwin(win);
			win = popup(title, question, 1);
		}
	}
	delwin(win);
	touchwin(stdscr);
	return yes;
}

int tui_input(int y, int x, int w, char *buf, size_t size)
{
	size_t len = strlen(buf);
	int k, shown;

	curs_set(1);
	for (;;) {
		shown = len < (size_t)w - 1 ? 0 : (int)len - (w - 1);
		attron(tui_attr(TC_SEL));
		mvhline(y, x, ' ', w);
		mvaddnstr(y, x, buf + shown, w - 1);
		attroff(tui_attr(TC_SEL));
		move(y, x + (int)len - shown);
		refresh();
		k = stop_signal ? 27 : getch();
		if (stop_signal)
			k = 27;
		if (tui_is_enter(k) || k == 27 || k == KEY_RESIZE)
			break;
		if ((k == KEY_BACKSPACE || k == 127 || k == 8) && len > 0)
			buf[--len] = '\0';
		else if (k == 21)       /* ^U: clear */
			buf[len = 0] = '\0';
		else if (k >= 32 && k < 256 && k != 127 && len + 1 < size) {
			buf[len++] = (char)k;
			buf[len] = '\0';
		}
	}
	curs_set(0);
	return k == KEY_RESIZE ? 2 : k != 27;
}
