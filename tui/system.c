/*
 * system.c — leaving the screens for a moment: a shell (curses suspended,
 * /bin/sh run, screens resumed when it exits), reboot and power off.
 * Reboot and power off only act on the Lifeboat medium, recognised by the
 * marker /run/lifeboat/medium that Lifeboat's init writes; on any other
 * machine they say so and do nothing, so that a developer's or a test's
 * computer is never restarted from here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tui_int.h"

#define MEDIUM_MARKER "/run/lifeboat/medium"

int tui_on_medium(void)
{
	struct stat st;

	return stat(MEDIUM_MARKER, &st) == 0;
}

static int run_wait(const char *prog, char *const argv[])
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(prog, argv);
		perror(prog);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		;
	return st;
}

void tui_sys_shell(void)
{
	const char *sh = "/bin/sh";
	char *const argv[] = { (char *)sh, "-i", NULL };

	def_prog_mode();
	endwin();
	printf("\nLifeboat: this is a shell. Type  exit  to return to the "
	       "Lifeboat screens.\n\n");
	fflush(stdout);
	tui_log("shell opened");
	run_wait(sh, argv);
	tui_log("shell closed");
	reset_prog_mode();
	clear();
	refresh();
}

void tui_sys_power(int reboot)
{
	const char *what = reboot ? "Restart" : "Power off";

	if (!tui_on_medium()) {
		tui_message(what, reboot ?
			    "Restarting is only available when Lifeboat runs "
			    "from its own medium. Here Lifeboat runs on an "
			    "ordinary system: use that system's own restart." :
			    "Powering off is only available when Lifeboat runs "
			    "from its own medium. Here Lifeboat runs on an "
			    "ordinary system: use that system's own power off.");
		return;
	}
	if (!tui_ask(what, reboot ? "Restart the computer now?" :
		     "Power the computer off now?"))
		return;
	char *const argv[] = { reboot ? "reboot" : "poweroff", NULL };
	tui_log("%s requested", reboot ? "reboot" : "power off");
	tui_log_close();
	tui_unmount_all();
	endwin();
	sync();
	run_wait(argv[0], argv);
	reset_prog_mode();
	refresh();
	tui_message(what, "The command did not take effect. See the log.");
}
