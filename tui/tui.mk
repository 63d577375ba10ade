# The ncurses front-end, linked into the same lifeboat binary.
TUI_SRC := $(wildcard tui/*.c)
