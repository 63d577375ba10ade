/*
 * confirm.c — the last screen before anything is written to a disk.  It
 * says in plain words (and in red where there is colour) what will be
 * erased: device, size, model, serial and what is on it now, then asks the
 * person to type the device's name.  Anything else, or Esc, goes back with
 * nothing changed.
 */
#include <stdio.h>
#include <string.h>
#include "tui_int.h"

/* The name people know a filesystem by ("NTFS" for libblkid's "ntfs"). */
static const char *fs_words(const char *t)
{
	static const char *const names[][2] = { { "ntfs", "NTFS" },
		{ "vfat", "FAT" }, { "exfat", "exFAT" }, { "xfs", "XFS" },
		{ "btrfs", "btrfs" }, { "swap", "swap" } };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(t, names[i][0]))
			return names[i][1];
	return t;
}

static int contents(int y, const struct lb_device *d)
{
	char buf[300];
	int max = LINES - 10 - y, shown = 0;

	tui_put(y++, 4, TC_NORMAL, "On it now:");
	if (!d->nparts && d->fstype[0]) {     /* trial 2 F11 */
		const char *w = fs_words(d->fstype);
		tui_put(y++, 8, TC_WARN, "%s %s filesystem on the whole disk%s%s%s",
			strchr("aeiouAEIOU", w[0]) || !strcmp(w, "NTFS") ||
			!strcmp(w, "XFS") ? "an" : "a", w, d->label[0] ?
			", label \"" : "", d->label, d->label[0] ? "\"" : "");
		return 2;
	}
	if (!d->nparts) {
		tui_put(y++, 8, TC_NORMAL, "%s", d->pttype[0] ?
			"an empty partition table" :
			"no partitions that Lifeboat recognises (data may still "
			"be there)");
		return 2;
	}
	for (size_t i = 0; i < d->nparts && shown < max; i++, shown++) {
		tui_part_row(&d->parts[i], buf, sizeof buf);
		tui_put(y++, 4, TC_WARN, "%s", buf);
	}
	if ((size_t)shown < d->nparts)
		tui_put(y++, 8, TC_WARN, "... and %zu more partitions",
			d->nparts - (size_t)shown);
	return 1 + shown + ((size_t)shown < d->nparts);
}

static int draw(const struct lb_device *d, const char *action,
		int partition)
{
	char sz[32], title[128];
	int y = 2;

	snprintf(title, sizeof title, "Erase %s?", d->name);
	tui_frame(title, "Type the device name and Enter to go on   Esc go back");
	attron(tui_attr(TC_DANGER));
	mvhline(y, 2, ' ', COLS - 4);
	attroff(tui_attr(TC_DANGER));
	tui_put(y++, 4, TC_DANGER, "WARNING: EVERYTHING %s WILL BE ERASED",
		partition ? "IN THIS PARTITION" : "ON THIS DISK");
	y++;
	y += tui_wrap(y, 2, COLS - 4, TC_NORMAL, action);
	y++;
	tui_put(y++, 4, TC_NORMAL, "Device:    %s", d->path);
	tui_put(y++, 4, TC_NORMAL, "Size:      %s", tui_size(sz, sizeof sz,
							    d->size));
	tui_put(y++, 4, TC_NORMAL, "Model:     %s", d->model[0] ? d->model :
		"(none reported)");
	tui_put(y++, 4, TC_NORMAL, "Serial:    %s", d->serial[0] ? d->serial :
		"(none reported)");
	y += contents(y, d);
	y++;
	tui_put(y++, 2, TC_WARN, "All of this will be replaced. This cannot be "
		"undone.");
	tui_put(y++, 2, TC_NORMAL, "To go on, type the device name  %s  and "
		"press Enter.", d->name);
	return y;
}

int tui_confirm_erase(const struct lb_device *d, const char *action,
		      int partition)
{
	char typed[80] = "";

	for (;;) {
		int y = draw(d, action, partition);
		tui_put(y, 2, TC_NORMAL, ">");
		int r = tui_input(y, 4, 30, typed, sizeof typed);
		if (r == TUI_RESIZED)
			continue;
		if (!r)
			return 0;
		const char *t = typed;
		if (!strcmp(t, d->name) || !strcmp(t, d->path)) {
			tui_log("confirmed: erase %s (%s)", d->path, d->model);
			return 1;
		}
		char msg[200];
		snprintf(msg, sizeof msg, "\"%s\" is not %s. Nothing was changed. "
			 "Type %s exactly, or press Esc to go back.", t, d->name,
			 d->name);
		tui_message("Not confirmed", msg);
		typed[0] = '\0';
	}
}
