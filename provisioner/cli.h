/* cli.h: the gpushim command's subcommands and its exit codes. */
#ifndef GS_PROV_CLI_H
#define GS_PROV_CLI_H

/* Exit codes scripts can rely on (also listed by `gpushim --help`). */
enum {
    EXIT_OK_ = 0,
    EXIT_FAILED = 1,     /* the operation failed (provider error, boot failure…) */
    EXIT_USAGE = 2,      /* bad command line */
    EXIT_NO_DAEMON = 3,  /* no daemon / could not reach or start it */
    EXIT_AUTH = 4,       /* the provider refused the credentials */
    EXIT_BUSY = 5,       /* sessions attached (down without --force) */
    EXIT_CONFIG = 6,     /* provider unknown or not configured */
};

int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_usage(int argc, char **argv);
int cmd_offers(int argc, char **argv);
int cmd_providers(int argc, char **argv);
int cmd_daemon(int argc, char **argv);

/* Added by the lead (shim side); weak so that the provisioner builds without them. */
int cmd_run(int argc, char **argv) __attribute__((weak));
int cmd_stats(int argc, char **argv) __attribute__((weak));

/* Shared option parsing: 1 when argv[i] is --NAME (and consumes nothing). */
int cli_flag(const char *arg, const char *name);
/* For "--name VALUE" / "--name=VALUE": returns the value or NULL; advances *i. */
const char *cli_value(int argc, char **argv, int *i, const char *name);
/* Prints "gpushim CMD: unknown option X" and the usage line; returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, const char *arg);
/* Whether argv holds --help / -h; prints the command's help when so. */
int cli_wants_help(const char *cmd, int argc, char **argv);
/* For a command whose one option is --json: answers --help and refuses other options.
 * Returns -1 to go on (with *json set), else the exit status to return at once. */
int cli_json_option(const char *cmd, int argc, char **argv, int *json);

#endif
