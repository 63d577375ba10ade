/* t_dev_errors.c — the error-to-exit-code table (enum lb_exit, documented
 * in `lifeboat --help` and docs/cli.md), phase names, and the sysfs
 * helpers that do not need a device: human sizes and sysfs names. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "lifeboat.h"
#include "devices_sys.h"
#include "unit.h"

int main(void)
{
	char buf[32], name[64];
	struct stat st;

	CHECK("exit: success is 0", lb_exit_code(0) == LB_EXIT_OK);
	CHECK("exit: refusals are 3", lb_exit_code(-LB_EREFUSED) == 3 && lb_exit_code(-EBUSY) == 3);
	CHECK("exit: source I/O is 4", lb_exit_code(-EIO) == 4 && lb_exit_code(-ENODEV) == 4 &&
	      lb_exit_code(-LB_ESOURCE) == 4);
	CHECK("exit: target I/O and full are 5", lb_exit_code(-ENOSPC) == 5 &&
	      lb_exit_code(-EFBIG) == 5 && lb_exit_code(-LB_ETARGET) == 5);
	CHECK("exit: bad image is 6", lb_exit_code(-EBADMSG) == 6 && lb_exit_code(-LB_EBADIMAGE) == 6);
	CHECK("exit: mismatch is 7", lb_exit_code(-LB_EMISMATCH) == 7);
	CHECK("exit: cancel is 8", lb_exit_code(-ECANCELED) == 8);
	CHECK("exit: anything else is 1", lb_exit_code(-ENOMEM) == 1);
	CHECK("strerror: engine codes have words", strstr(lb_strerror(-LB_EREFUSED), "safety"));
	CHECK("strerror: errnos use strerror", !strcmp(lb_strerror(-EIO), strerror(EIO)));
	CHECK("phase names", !strcmp(lb_phase_name(LB_PHASE_COPY), "copy") &&
	      !strcmp(lb_phase_name((enum lb_phase)99), "unknown"));
	CHECK("human: bytes", !strcmp(lb_human_size(512, buf, sizeof buf), "512 B"));
	CHECK("human: MiB", !strcmp(lb_human_size(16 << 20, buf, sizeof buf), "16.0 MiB"));
	CHECK("human: GiB", !strcmp(lb_human_size(3ULL << 29, buf, sizeof buf), "1.50 GiB"));
	if (stat("/", &st) == 0 && lb_sys_name(st.st_dev, name) == 0)
		CHECK("sysfs: the root filesystem's device has a name", name[0] != 0);
	else
		printf("SKIP sysfs: root device name — / is not on a block device here\n");
	UNIT_EXIT();
}
