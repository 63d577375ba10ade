/*
 * home.c — the first screen: the machine's disks as a table (partitions
 * beneath each disk, with marks for the Lifeboat medium and for mounted
 * disks) and the actions, each with the letter that starts it.  Arrow keys
 * move between actions, Tab moves to the disk table to scroll it, Enter or
 * the letter starts an action.  The disk list is read again after every
 * action, since mounts and disks change.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "tui_int.h"

struct action { char key; const char *label; const char *hint; };

static const struct action acts[] = {
	{ 'B', "Back up a disk", "Save a whole disk into an image file." },
	{ 'R', "Restore an image", "Write an image back onto a disk." },
	{ 'P', "Back up a partition", "Save one partition into an image." },
	{ 'C', "Clone a disk", "Copy a disk onto another disk." },
	{ 'V', "Verify an image", "Check that an image is complete and "
	  "intact." },
	{ 'F', "Rescue a failing disk", "Copy what still reads from a failing "
	  "disk, bad areas last." },
	{ 'S', "Open a shell", "A command line; type exit to come back." },
	{ 'L', "Show the log", "What Lifeboat did and what went wrong." },
	{ 'T', "Reboot", "Restart the computer (Lifeboat medium only)." },
	{ 'O', "Power off", "Turn the computer off (Lifeboat medium only)." },
	{ 'U', "Update the disk list", "Look for disks again (after plugging "
	  "one in)." },
	{ 'Q', "Quit", "Leave Lifeboat." },
};
#define NACTS ((int)(sizeof acts / sizeof acts[0]))

struct home {
	struct tui_disks disks;
	char **rows;
	int nrows, top, sel, focus_disks;
};

static void load(struct home *h)
{
	tui_disks_load(&h->disks);
	h->nrows = tui_disk_table(&h->disks, &h->rows);
	h->top = 0;
}

static void unload(struct home *h)
{
	tui_rows_free(h->rows, h->nrows);
	tui_disks_free(&h->disks);
}

static int table_height(void)
{
	int t = LINES - 4 - 9;

	return t < 1 ? 1 : t;
}

static void draw_table(struct home *h)
{
	int th = table_height();

	tui_put(2, 1, h->focus_disks ? TC_KEY : TC_NORMAL,
		"Disks in this machine:%s", h->focus_disks ?
		"  (Up/Down scroll, Tab back to actions)" : "");
	tui_put(3, 2, TC_DIM, "%-9s %9s  %-24s %-6s %s", "Device", "Size",
		"Model", "Link", "Notes");
	if (!h->nrows)
		tui_put(4, 2, TC_WARN, "%s", h->disks.msg);
	for (int r = 0; r < th && h->top + r < h->nrows; r++) {
		const char *row = h->rows[h->top + r];
		enum tui_color c = row[0] == ' ' ? TC_NORMAL : TC_KEY;
		if (strstr(row, "LIFEBOAT MEDIUM") || strstr(row, "MOUNTED"))
			c = TC_WARN;
		tui_put(4 + r, 2, c, "%s", row);
	}
	if (h->top + th < h->nrows)
		tui_put(4 + th, 2, TC_DIM, "(%d more lines: Tab, then Down)",
			h->nrows - h->top - th);
}

static void draw_actions(struct home *h)
{
	int y0 = LINES - 8;

	for (int i = 0; i < NACTS; i++) {
		int y = y0 + i / 2, x = i % 2 ? COLS / 2 : 2;
		int sel = !h->focus_disks && i == h->sel;
		if (sel) {
			attron(tui_attr(TC_SEL));
			mvhline(y, x - 2, ' ', COLS / 2 - 2);
			attroff(tui_attr(TC_SEL));
			tui_put(y, x - 2, TC_SEL, ">");
		}
		tui_put(y, x, sel ? TC_SEL : TC_KEY, "%c", acts[i].key);
		tui_put(y, x + 3, sel ? TC_SEL : TC_NORMAL, "%s", acts[i].label);
	}
	tui_put(LINES - 2, 2, TC_DIM, "%s", acts[h->sel].hint);
}

static void draw(struct home *h)
{
	tui_frame("Lifeboat " LB_VERSION " - back up, restore, clone and "
		  "verify disks", "Arrows move  Enter choose  Tab disks  "
		  "or press a letter");
	draw_table(h);
	draw_actions(h);
	refresh();
}

/* Runs action KEY; returns 0 to quit. */
static int act(struct home *h, int key)
{
	switch (key) {
	case 'B': tui_flow_backup(&h->disks, 0); break;
	case 'P': tui_flow_backup(&h->disks, 1); break;
	case 'R': tui_flow_restore(&h->disks); break;
	case 'C': tui_flow_clone(&h->disks); break;
	case 'V': tui_flow_verify(&h->disks); break;
	case 'F': tui_flow_rescue(&h->disks); break;
	case 'S': tui_sys_shell(); break;
	case 'L': tui_log_screen(); return 1;
	case 'T': tui_sys_power(1); break;
	case 'O': tui_sys_power(0); break;
	case 'Q': return !tui_ask("Quit", "Leave Lifeboat?");
	case 'U': {
		char said[400], msg[600];
		if (tui_disks_reread(&h->disks, said, sizeof said) > 0) {
			snprintf(msg, sizeof msg, "Asked the kernel to read the "
				 "partition tables again: %s. The disk list "
				 "is read again now.", said);
			tui_message("Update the disk list", msg);
		}
		break;
	}
	default: return 1;
	}
	unload(h);
	load(h);
	return 1;
}

static int key_index(int k)
{
	for (int i = 0; i < NACTS; i++)
		if (toupper(k) == acts[i].key)
			return i;
	return -1;
}

static void move_sel(struct home *h, int k)
{
	int th = table_height();

	if (h->focus_disks) {
		if (k == KEY_UP && h->top > 0) h->top--;
		if (k == KEY_DOWN && h->top + th < h->nrows) h->top++;
		return;
	}
	if (k == KEY_UP && h->sel >= 2) h->sel -= 2;
	if (k == KEY_DOWN && h->sel + 2 < NACTS) h->sel += 2;
	if (k == KEY_LEFT && h->sel % 2) h->sel--;
	if (k == KEY_RIGHT && !(h->sel % 2)) h->sel++;
}

void tui_home(void)
{
	struct home h = { 0 };

	load(&h);
	while (!tui_stopping()) {
		draw(&h);
		int k = tui_key(), i;
		if (tui_stopping())
			break;
		if (k == '\t' || k == KEY_BTAB)
			h.focus_disks = !h.focus_disks;
		else if (k == 27)
			h.focus_disks = 0;
		else if (tui_is_enter(k) && !h.focus_disks) {
			if (!act(&h, acts[h.sel].key))
				break;
		} else if (k > 0 && k < 256 && (i = key_index(k)) >= 0) {
			h.sel = i;
			h.focus_disks = 0;
			draw(&h);       /* the chosen action highlighted first */
			if (!act(&h, acts[i].key))
				break;
		} else
			move_sel(&h, k);
	}
	unload(&h);
}
