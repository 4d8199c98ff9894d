/* gpushim.c: the gpushim command: a table of subcommands {name, handler, help}, each
 * with --help. `daemon` is hidden (it is the provisioner daemon, spawned on demand). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    int (*handler)(int argc, char **argv);
    const char *summary;
    const char *usage;        /* options, shown by `gpushim CMD --help` */
    int hidden;
};

static const struct command commands[] = {
    /* run and stats: wired by the shim side (weak symbols until then). */
    { "run", NULL, "run a program with the shim; the first CUDA call brings up the GPU",
      "gpushim run APP [ARGS...]", 0 },
    { "stats", NULL, "show the agent's statistics", "gpushim stats", 0 },
    { "up", cmd_up, "start the instance now (it stops after the idle grace)",
      "gpushim up [--json] [--quiet]\n"
      "  Starts (or creates) an instance of the configured provider and waits until its\n"
      "  agent answers. Progress on stderr unless --quiet or GPUSHIM_QUIET is set.\n"
      "  --json  print {\"instance\",\"endpoint\",\"secret_path\"} on stdout", 0 },
    { "down", cmd_down, "stop the instance now",
      "gpushim down [--destroy] [--force] [--json]\n"
      "  --destroy  destroy instead of stop (frees its disk; never restartable)\n"
      "  --force    stop even while programs hold sessions on it", 0 },
    { "status", cmd_status, "provider, instance, state, price, idle countdown, cost",
      "gpushim status [--json]\n"
      "  state is one of none, starting, running, idle, stopping, stopped.\n"
      "  Does not start a daemon: with none running the state is none.", 0 },
    { "usage", cmd_usage, "the ledger: billed runs and their cost",
      "gpushim usage [--json | --csv] [--since TIME] [--until TIME] [--provider NAME]\n"
      "  TIME is 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS' (UTC) or seconds since the epoch.\n"
      "  Cost is what the provider bills: compute (the run's seconds rounded up to its\n"
      "  billing granularity, at least its minimum charge, times the hourly price) +\n"
      "  storage (while the instance exists, stopped included) + bandwidth (the bytes\n"
      "  its agent moved in and out, times the provider's $/GB; Vast only).", 0 },
    { "offers", cmd_offers, "cheapest matching offers across configured providers",
      "gpushim offers [--json] [--gpu NAME] [--max-price DOLLARS_PER_HOUR]\n"
      "               [--provider NAME] [--limit N]\n"
      "  Defaults come from GPUSHIM_GPU and GPUSHIM_MAX_PRICE.", 0 },
    { "providers", cmd_providers, "the providers and whether each is configured",
      "gpushim providers [--json]", 0 },
    { "daemon", cmd_daemon, "the provisioner daemon (spawned on demand)",
      "gpushim daemon   (runs in the foreground; normally started by the shim or CLI)", 1 },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_help(FILE *out)
{
    fprintf(out, "usage: gpushim COMMAND [OPTIONS]   (gpushim COMMAND --help for its options)\n"
                 "\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!commands[i].hidden)
            fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nexit codes: 0 ok, 1 failed, 2 bad usage, 3 no daemon, 4 auth refused,\n"
                 "            5 busy (sessions attached), 6 provider not configured\n"
                 "\nconfiguration: GPUSHIM_PROVIDER (local|ssh|command|vast|runpod|lambda),\n"
                 "GPUSHIM_IDLE_GRACE, GPUSHIM_GPU, GPUSHIM_MAX_PRICE, GPUSHIM_QUIET, ...;\n"
                 "then $XDG_CONFIG_HOME/gpushim/config (key = value). See docs/provisioner.md.\n");
}

int cli_flag(const char *arg, const char *name)
{
    return arg[0] == '-' && arg[1] == '-' && strcmp(arg + 2, name) == 0;
}

const char *cli_value(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (a[0] != '-' || a[1] != '-' || strncmp(a + 2, name, len) != 0)
        return NULL;
    if (a[2 + len] == '=')
        return a + 3 + len;
    if (a[2 + len] == '\0' && *i + 1 < argc) {
        (*i)++;
        return argv[*i];
    }
    return NULL;
}

int cli_bad_option(const char *cmd, const char *arg)
{
    const struct command *c = find_command(cmd);
    fprintf(stderr, "gpushim %s: unknown option or missing value: %s\nusage: %s\n", cmd, arg,
            c ? c->usage : cmd);
    return EXIT_USAGE;
}

int cli_wants_help(const char *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (cli_flag(argv[i], "help") || strcmp(argv[i], "-h") == 0) {
            const struct command *c = find_command(cmd);
            printf("gpushim %s: %s\nusage: %s\n", cmd, c ? c->summary : "", c ? c->usage : "");
            return 1;
        }
    return 0;
}

int cli_json_option(const char *cmd, int argc, char **argv, int *json)
{
    if (cli_wants_help(cmd, argc, argv))
        return 0;
    *json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv[i], "json"))
            *json = 1;
        else
            return cli_bad_option(cmd, argv[i]);
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || cli_flag(argv[1], "help") || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const struct command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "gpushim: unknown command '%s'\n", argv[1]);
        print_help(stderr);
        return EXIT_USAGE;
    }
    int (*handler)(int, char **) = c->handler;
    if (strcmp(c->name, "run") == 0)
        handler = cmd_run;
    else if (strcmp(c->name, "stats") == 0)
        handler = cmd_stats;
    if (!handler) {
        if (cli_wants_help(c->name, argc - 1, argv + 1))
            return 0;
        fprintf(stderr, "gpushim %s: not built into this gpushim\n", c->name);
        return EXIT_FAILED;
    }
    return handler(argc - 1, argv + 1);
}
