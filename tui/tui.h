/*
 * tui.h — entry point of Lifeboat's ncurses front-end.
 *
 * `lifeboat` run with no arguments on a terminal calls tui_main() (from
 * imager/cli.c).  The screens live in tui/ and use only the public
 * engine API of imager/lifeboat.h; tui/tui_int.h is their private header.
 */
#ifndef LB_TUI_H
#define LB_TUI_H

/* Runs the screens until the person quits.  Returns a process exit code
 * (enum lb_exit): 0 after a normal quit. */
int tui_main(int argc, char **argv);

#endif
