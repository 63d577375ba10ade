/*
 * result.c — the result screen: success or failure in plain words, then
 * what the flow adds (image, checksum, where the log is, what to do next).
 * Also the words every screen uses for what an image's SHA-256 is of and
 * for the bytes a rescue image holds as zeros (from lb_image_info).
 */
#include <errno.h>
#include <stdio.h>
#include "tui_int.h"

const char *tui_err_words(int rc)
{
	int code = lb_exit_code(rc);

	if (rc == -ECANCELED)
		code = LB_EXIT_CANCELLED;
	switch (code) {
	case LB_EXIT_REFUSED: return "A safety rule refused the job.";
	case LB_EXIT_SOURCE_IO: return "Reading the source failed.";
	case LB_EXIT_TARGET_IO: return "Writing failed (the destination may "
				       "be full or failing).";
	case LB_EXIT_BAD_IMAGE: return "The image is damaged, incomplete or "
				       "not one Lifeboat can read.";
	case LB_EXIT_MISMATCH: return "Verification found a difference.";
	case LB_EXIT_CANCELLED: return "You cancelled the job.";
	default: return "The job failed.";
	}
}

const char *tui_sha_zeros(const struct lb_image_info *i)
{
	switch (lb_image_sha_kind(i)) {
	case LB_SHA_UNREADABLE_AS_ZEROS: return "unreadable bytes";
	case LB_SHA_FREE_AS_ZEROS: return "free space";
	default: return NULL;
	}
}

const char *tui_sha_kind(const struct lb_image_info *i)
{
	switch (lb_image_sha_kind(i)) {
	case LB_SHA_PENDING: return "not computed yet";
	case LB_SHA_UNREADABLE_AS_ZEROS:
		return "of the rescued disk, unreadable bytes as zeros";
	case LB_SHA_FREE_AS_ZEROS:
		return "of the restored disk, free space as zeros";
	default: return "of the source disk";
	}
}

const char *tui_rescue_bytes(const struct lb_image_info *i, char *buf,
			     size_t n)
{
	uint64_t bad = i->rescue_bad + i->rescue_untried;
	char sz[32];

	if (!i->rescue || !bad)
		return NULL;
	snprintf(buf, n, "%llu bytes (%s) in %llu area%s",
		 (unsigned long long)bad, tui_size(sz, sizeof sz, bad),
		 (unsigned long long)i->rescue_areas,
		 i->rescue_areas == 1 ? "" : "s");
	return buf;
}

void tui_result(int ok, const char *title, const char *headline,
		const char *const *lines, int n)
{
	for (;;) {
		int y = 2;
		tui_frame(title, "Enter home   L log");
		attron(tui_attr(ok ? TC_OK : TC_DANGER));
		mvhline(y, 2, ' ', COLS - 4);
		tui_put(y, 4, ok ? TC_OK : TC_DANGER, "%s", headline);
		attroff(tui_attr(ok ? TC_OK : TC_DANGER));
		y += 2;
		for (int i = 0; i < n && y < LINES - 2; i++)
			y += lines[i] ? tui_wrap(y, 2, COLS - 4, TC_NORMAL,
						 lines[i]) : 1;
		tui_put(LINES - 3, 2, TC_NORMAL, "The log of this session is in "
			"%s", tui_log_path());
		refresh();
		int k = tui_key();
		if (k == 'l' || k == 'L')
			tui_log_screen();
		else if (tui_is_enter(k) || k == 27)
			return;
	}
}
