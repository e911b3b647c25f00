// C shim for libedit, used only by the Terminal target.
//
// Swift 6 cannot touch libedit's mutable C globals (they are "not concurrency-safe") and cannot
// call variadic C functions, so every such access goes through a small static inline function.
#ifndef RETUNE_CEDITLINE_SHIM_H
#define RETUNE_CEDITLINE_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <histedit.h>
#include <editline/readline.h>

// MARK: readline-compatible globals

static inline void retune_rl_set_catch_signals(int on) { rl_catch_signals = on; }
static inline void retune_rl_set_catch_sigwinch(int on) { rl_catch_sigwinch = on; }
static inline void retune_rl_set_readline_name(const char *name) { rl_readline_name = name; }
static inline void retune_rl_set_completion_function(rl_completion_func_t *fn) {
    rl_attempted_completion_function = fn;
}
static inline void retune_rl_set_completion_over(int over) { rl_attempted_completion_over = over; }
static inline void retune_rl_set_word_breaks(const char *breaks) {
    rl_basic_word_break_characters = breaks;
}
static inline void retune_rl_set_append_character(int ch) { rl_completion_append_character = ch; }
static inline void retune_rl_set_query_items(int n) { rl_completion_query_items = n; }
static inline void retune_rl_set_instream(FILE *f) { rl_instream = f; }
static inline void retune_rl_set_outstream(FILE *f) { rl_outstream = f; }
static inline const char *retune_rl_line_buffer(void) { return rl_line_buffer; }
static inline int retune_rl_point(void) { return rl_point; }
static inline int retune_rl_end(void) { return rl_end; }

// MARK: stdio globals

static inline FILE *retune_stdin(void) { return stdin; }
static inline FILE *retune_stdout(void) { return stdout; }
static inline FILE *retune_stderr(void) { return stderr; }

// MARK: terminal

/// Columns of the terminal on `fd`, or 0 when unknown.
static inline int retune_terminal_columns(int fd) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return (int)ws.ws_col;
    return 0;
}

#endif
