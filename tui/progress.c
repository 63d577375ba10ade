/*
 * progress.c — the progress screen: phase, a bar, bytes done and total,
 * current and average rate, time left, errors so far, and a strip map of
 * the disk where each cell is a slice of the source (copied, unused, all
 * zeros, still to do, unreadable).  Drawn from a snapshot (job.c), never
 * from engine state directly.  Cells are letters as well as colours so the
 * map reads the same on a monochrome serial console.
 */
#include <stdio.h>
#include <string.h>
#include "tui_int.h"

static const struct { char ch; enum tui_color c; const char *word; }
cell[] = {
	[LB_REGION_PENDING] = { '-', TC_MAP_PENDING, "still to do" },
	[LB_REGION_COPIED] = { '#', TC_MAP_COPIED, "copied" },
	[LB_REGION_UNUSED] = { '.', TC_MAP_UNUSED, "unused" },
	[LB_REGION_ZERO] = { '0', TC_MAP_ZERO, "zeros" },
	[LB_REGION_BAD] = { 'X', TC_MAP_BAD, "unreadable" },
};

static const char *phase_words(enum lb_phase p)
{
	switch (p) {
	case LB_PHASE_PREPARE: return "Preparing (checking and planning)";
	case LB_PHASE_COPY: return "Copying";
	case LB_PHASE_FINISH: return "Finishing (writing tables, syncing)";
	case LB_PHASE_VERIFY: return "Verifying (reading back, comparing)";
	case LB_PHASE_DONE: return "Done";
	case LB_PHASE_RESCUE_COPY: return "Rescue: copying what reads easily";
	case LB_PHASE_RESCUE_TRIM: return "Rescue: trimming the edges of bad "
					  "areas";
	case LB_PHASE_RESCUE_SCRAPE: return "Rescue: scraping inside bad areas";
	case LB_PHASE_RESCUE_RETRY: return "Rescue: retrying bad sectors";
	default: return lb_phase_name(p);
	}
}

static void bar(int y, const struct tui_snap *s)
{
	int w = COLS - 12 > 10 ? COLS - 12 : 10, fill = 0;
	double frac = 0;

	if (s->have_p && s->p.total)
		frac = (double)s->p.done / (double)s->p.total;
	if (frac > 1)
		frac = 1;
	fill = (int)(frac * w);
	mvaddch(y, 2, '[');
	attron(tui_attr(TC_MAP_COPIED));
	for (int i = 0; i < fill; i++)
		mvaddch(y, 3 + i, '=');
	attroff(tui_attr(TC_MAP_COPIED));
	for (int i = fill; i < w; i++)
		mvaddch(y, 3 + i, ' ');
	mvaddch(y, 3 + w, ']');
	tui_put(y, 5 + w, TC_NORMAL, "%3d%%", (int)(frac * 100));
}

static void numbers(int y, const struct tui_snap *s)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];
	const struct lb_progress *p = &s->p;

	tui_put(y, 2, TC_NORMAL, "Done:      %s of %s   (written %s)",
		tui_size(a, sizeof a, p->done), tui_size(b, sizeof b, p->total),
		tui_size(c, sizeof c, p->written));
	tui_put(y + 1, 2, TC_NORMAL, "Speed:     %s now, %s on average",
		tui_rate(d, sizeof d, p->rate), tui_rate(e, sizeof e, p->avg_rate));
	tui_put(y + 2, 2, TC_NORMAL, "Time left: %-12s Elapsed: %s",
		s->have_p ? tui_duration(a, sizeof a, p->eta) : "unknown",
		tui_duration(f, sizeof f, s->elapsed));
	tui_put(y + 3, 2, p->errors ? TC_WARN : TC_NORMAL,
		"Errors so far: %llu%s", (unsigned long long)p->errors,
		p->errors ? "  (unreadable areas; see the log with L)" : "");
}

/* Rescue only: what is unreadable so far and when a read last worked
 * (case C056: a person must see that a slow area is being worked on). */
static void rescue_line(int y, const struct tui_snap *s)
{
	char bad[32], ago[32];
	const struct lb_rescue_stats *r = &s->rs;

	tui_put(y, 2, r->bad ? TC_WARN : TC_NORMAL, "Unreadable: %s in %zu "
		"area%s   Pass %d   Reading at byte %llu",
		tui_size(bad, sizeof bad, r->bad), r->bad_areas,
		r->bad_areas == 1 ? "" : "s", r->pass,
		(unsigned long long)r->pos);
	if (r->last_good > 0)
		tui_put(y + 1, 2, TC_NORMAL, "Last good read: %s ago",
			tui_duration(ago, sizeof ago, s->now - r->last_good));
}

static void strip_map(int y, const struct tui_snap *s)
{
	int cols = 76, x0 = (COLS - cols) / 2 > 0 ? (COLS - cols) / 2 : 0;
	char sz[32];

	tui_put(y, 2, TC_NORMAL, "Disk map (each cell is %s):",
		tui_size(sz, sizeof sz, s->cell_bytes));
	for (int c = 0; c < TUI_MAP_CELLS; c++) {
		unsigned st = s->map[c] <= LB_REGION_BAD ? s->map[c] : 0;
		attron(tui_attr(cell[st].c));
		mvaddch(y + 1 + c / cols, x0 + c % cols, (chtype)cell[st].ch);
		attroff(tui_attr(cell[st].c));
	}
	int ly = y + 2 + TUI_MAP_CELLS / cols, x = 2;
	for (unsigned st = 0; st <= LB_REGION_BAD; st++) {
		unsigned i = (st + 1) % (LB_REGION_BAD + 1);  /* copied first */
		attron(tui_attr(cell[i].c));
		mvaddch(ly, x, (chtype)cell[i].ch);
		attroff(tui_attr(cell[i].c));
		tui_put(ly, x + 2, TC_NORMAL, "%s", cell[i].word);
		x += 4 + (int)strlen(cell[i].word);
	}
}

void tui_progress_draw(const struct tui_job *j, const struct tui_snap *s)
{
	tui_frame(j->title, s->cancelling ?
		  "Cancelling - waiting for the job to stop safely..." :
		  "Esc cancel  L log");
	tui_put(2, 2, TC_NORMAL, "Phase:     %s", s->have_p ?
		phase_words(s->p.phase) : "Starting");
	if (s->cancelling)
		tui_put(3, 2, TC_WARN, "Cancelling: the job stops at the next "
			"safe point.");
	bar(4, s);
	numbers(6, s);
	if (s->is_rescue)
		rescue_line(10, s);
	strip_map(12, s);
	refresh();
}
