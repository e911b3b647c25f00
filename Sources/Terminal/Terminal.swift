// Terminal: line editing over libedit, signals, colour and TTY detection.
