/*
 * cli.c — main of the `lifeboat` binary: with no arguments on a terminal
 * it starts the menus (tui_main, tui/); otherwise it runs one command of
 * the table in cli_help.c and exits with a code of enum lb_exit.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tui.h"

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
			return tui_main(argc, argv);
		cli_usage(stdout);
		return LB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_usage(stdout);
		return LB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("lifeboat %s\n", LB_VERSION);
		return LB_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			cli_usage(stdout);
			return LB_EXIT_OK;
		}
		return cli_help_cmd(argv[2]);
	}
	if (!(c = cli_find(argv[1]))) {
		fprintf(stderr, "lifeboat: no command '%s'\n\n", argv[1]);
		cli_usage(stderr);
		return LB_EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
