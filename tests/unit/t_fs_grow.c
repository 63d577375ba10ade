/* t_fs_grow.c — lb_run_prog, the one place the engine runs another
 * program (fs_grow.c: e2fsck and resize2fs for --grow-last): exit status,
 * output captured with newlines as "; ", only the tail kept, the bounded
 * wait (-ETIMEDOUT) and cancel (-ECANCELED) kill the child, a program
 * that cannot be executed exits 127, and the child gets no descriptor of
 * ours beyond 0-2 and stdin is /dev/null. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "fs_grow.h"

int main(void)
{
	struct lb_ctx ctx = { 0 };
	char out[256];

	char *echo[] = { "echo", "hello", "world", NULL };
	int r = lb_run_prog(&ctx, "/bin/echo", echo, 10, 1, out, sizeof out);
	CHECK("run: exit 0 and the output, newline as '; '",
	      r == 0 && !strcmp(out, "hello world; "));

	char *fal[] = { "false", NULL };
	CHECK("run: exit status 1 is returned",
	      lb_run_prog(&ctx, "/bin/false", fal, 10, 1, out, sizeof out) == 1);

	char small[32];
	char *seq[] = { "seq", "1", "1000", NULL };
	r = lb_run_prog(&ctx, "/usr/bin/seq", seq, 10, 1, small, sizeof small);
	CHECK("run: only the last bytes are kept",
	      r == 0 && strlen(small) == sizeof small - 1 &&
	      strstr(small, "999; 1000; ") != NULL);

	char *slp[] = { "sleep", "30", NULL };
	CHECK("run: the bounded wait stops a program that runs too long",
	      lb_run_prog(&ctx, "/bin/sleep", slp, 1, 0, out, sizeof out) ==
	      -ETIMEDOUT);
	ctx.cancel = 1;
	CHECK("run: cancel stops a killable program",
	      lb_run_prog(&ctx, "/bin/sleep", slp, 60, 1, out, sizeof out) ==
	      -ECANCELED);
	ctx.cancel = 0;

	char *none[] = { "none", NULL };
	CHECK("run: a program that cannot be executed exits 127",
	      lb_run_prog(&ctx, "/nonexistent/prog", none, 10, 1, out,
			  sizeof out) == 127);

	/* An open descriptor of ours (not close-on-exec) must not reach it;
	 * stdin reads as /dev/null (empty). */
	int fd = open("/dev/null", O_RDONLY);
	char fdarg[16];
	snprintf(fdarg, sizeof fdarg, "/proc/self/fd/%d", fd);
	char *ls[] = { "ls", fdarg, NULL };
	r = lb_run_prog(&ctx, "/bin/ls", ls, 10, 1, out, sizeof out);
	CHECK("run: the child holds none of our descriptors", fd > 2 && r != 0);
	close(fd);
	char *wc[] = { "wc", "-c", NULL };
	r = lb_run_prog(&ctx, "/usr/bin/wc", wc, 10, 1, out, sizeof out);
	CHECK("run: stdin is /dev/null", r == 0 && !strcmp(out, "0; "));
	UNIT_EXIT();
}
