/* cli: what the subcommands of `clustersim` share, the engine's (sim/main.c)
 * and the ones the models add through the catalogue (sim/station.h,
 * catalog_t.commands): exit codes, the usage error line, counts. */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#define CLI_EXIT_GATE 1     /* a gate or an SLO failed */
#define CLI_EXIT_INPUT 2    /* bad input: usage, a scenario, a file */
#define CLI_EXIT_INTERNAL 3 /* out of memory, a file that cannot be written */

/* A subcommand: `clustersim NAME ARGS...` calls fn(argc, argv) with argv[0]
 * the name; it returns the exit status. */
typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
} cli_command_t;

/* Prints "clustersim CMD: MSG ARG" and where to find help on stderr (cmd
 * and arg may be NULL); returns CLI_EXIT_INPUT. */
int cli_usage_error(const char *cmd, const char *msg, const char *arg);
/* A whole decimal integer in [lo, hi] into *out: 0, or -1 (out untouched). */
int cli_parse_count(const char *s, long lo, long hi, long *out);

#endif
