/*
 * menu.c — the list widget: a title, wrapped intro text, then rows the
 * person moves through with the arrow keys (PgUp/PgDn, Home/End) and
 * chooses with Enter.  Rows that cannot be chosen are drawn dim and the
 * cursor skips them, so a refused disk stays visible with its reason.
 */
#include <ctype.h>
#include <string.h>
#include "tui_int.h"

static int row_ok(const struct tui_menu *m, int i)
{
	return i >= 0 && i < m->n && (!m->enabled || m->enabled[i]);
}

/* Moves the selection by DIR steps of one, skipping rows not allowed. */
static void step(struct tui_menu *m, int dir, int count)
{
	int i = m->sel;

	while (count-- > 0) {
		int j = i + dir;
		while (j >= 0 && j < m->n && !row_ok(m, j))
			j += dir;
		if (j < 0 || j >= m->n)
			break;
		i = j;
	}
	m->sel = i;
}

static void draw(struct tui_menu *m, int *top)
{
	int y = 2, h;

	tui_frame(m->title, m->footer ? m->footer :
		  "Up/Down move  Enter choose  Esc back");
	if (m->intro)
		y += tui_wrap(2, 2, COLS - 4, TC_NORMAL, m->intro) + 1;
	h = LINES - 2 - y;
	if (h < 1)
		h = 1;
	if (m->sel >= 0 && m->sel < *top)
		*top = m->sel;
	if (m->sel >= *top + h)
		*top = m->sel - h + 1;
	for (int r = 0; r < h && *top + r < m->n; r++) {
		int i = *top + r;
		enum tui_color c = i == m->sel && row_ok(m, i) ? TC_SEL :
				   row_ok(m, i) ? TC_NORMAL : TC_DIM;
		if (c == TC_SEL) {
			attron(tui_attr(TC_SEL));
			mvhline(y + r, 1, ' ', COLS - 2);
			attroff(tui_attr(TC_SEL));
		}
		if (c == TC_SEL)
			tui_put(y + r, 0, TC_SEL, ">");
		tui_put(y + r, 2, c, "%s", m->rows[i]);
	}
	if (*top > 0)
		tui_put(y - 1, COLS - 10, TC_DIM, "(more ^)");
	if (*top + h < m->n)
		tui_put(y + h, COLS - 10, TC_DIM, "(more v)");
	refresh();
}

int tui_menu_run(struct tui_menu *m)
{
	int top = 0, page;

	if (m->no_default) {
		m->sel = -1;
	} else if (!row_ok(m, m->sel)) {
		m->sel = -1;
		step(m, 1, 1);
		if (m->sel < 0)
			m->sel = 0;
	}
	for (;;) {
		draw(m, &top);
		page = LINES - 8 > 1 ? LINES - 8 : 1;
		int k = tui_key();
		if (m->sel < 0 && (k == KEY_UP || k == KEY_DOWN || k == '\t')) {
			step(m, 1, 1);
			continue;
		}
		if (k == KEY_UP) step(m, -1, 1);
		else if (k == KEY_DOWN || k == '\t') step(m, 1, 1);
		else if (k == KEY_PPAGE) step(m, -1, page);
		else if (k == KEY_NPAGE) step(m, 1, page);
		else if (k == KEY_HOME) step(m, -1, m->n);
		else if (k == KEY_END) step(m, 1, m->n);
		else if (k == 27) return -1;
		else if (tui_is_enter(k) && row_ok(m, m->sel)) return m->sel;
		else if (m->keys && k > 0 && k < 256 && isalpha(k) &&
			 strchr(m->keys, toupper(k)))
			return -2 - toupper(k);
	}
}
