#include <stdio.h>
#include <stdlib.h>
#include <histedit.h>
#include <editline/readline.h>
