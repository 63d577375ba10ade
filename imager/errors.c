/*
 * errors.c — turns the engine's negative error codes into exit codes and
 * words, and names the job phases.  The table of exit codes is enum
 * lb_exit in lifeboat.h; `lifeboat --help` prints it (cli.c).
 */
#include <errno.h>
#include <string.h>

#include "lifeboat.h"

int lb_exit_code(int err)
{
	if (err >= 0)
		return LB_EXIT_OK;
	switch (-err) {
	case LB_EREFUSED: case EBUSY:
		return LB_EXIT_REFUSED;
	case LB_ESOURCE: case EIO: case ENXIO: case ENODEV: case ENOMEDIUM:
		return LB_EXIT_SOURCE_IO;
	case LB_ETARGET: case ENOSPC: case EFBIG: case EDQUOT: case EROFS:
		return LB_EXIT_TARGET_IO;
	case LB_EBADIMAGE: case EBADMSG: case EUCLEAN: case ENOEXEC:
	case EPROTO:
		return LB_EXIT_BAD_IMAGE;
	case LB_EMISMATCH:
		return LB_EXIT_MISMATCH;
	case ECANCELED:
		return LB_EXIT_CANCELLED;
	case ERANGE:            /* --offset/--length outside the device */
		return LB_EXIT_USAGE;
	default:
		return LB_EXIT_FAILURE;
	}
}

const char *lb_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case LB_EREFUSED: return "refused by a safety rule";
	case LB_ESOURCE: return "reading the source failed";
	case LB_ETARGET: return "writing the target failed";
	case LB_EBADIMAGE: return "image is corrupt or incomplete";
	case LB_EMISMATCH: return "contents differ";
	default: return strerror(err < 0 ? -err : err);
	}
}

const char *lb_phase_name(enum lb_phase p)
{
	static const char *const names[] = {
		[LB_PHASE_PREPARE] = "prepare",
		[LB_PHASE_COPY] = "copy",
		[LB_PHASE_FINISH] = "finish",
		[LB_PHASE_VERIFY] = "verify",
		[LB_PHASE_RESCUE_COPY] = "rescue copy",
		[LB_PHASE_RESCUE_TRIM] = "rescue trim",
		[LB_PHASE_RESCUE_SCRAPE] = "rescue scrape",
		[LB_PHASE_RESCUE_RETRY] = "rescue retry",
		[LB_PHASE_DONE] = "done",
	};

	if ((unsigned)p < sizeof names / sizeof names[0] && names[p])
		return names[p];
	return "unknown";
}
