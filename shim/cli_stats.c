/* cli_stats.c - `gpushim stats [--json]`: the counters of the agent the configuration points
 * at (GPUSHIM_ENDPOINT + GPUSHIM_SECRET_FILE, or --endpoint/--secret-file): sessions, calls,
 * round trips, bytes before and after compression. */
#include "cli_run.h"
#include "gs_stats.h"

#include <stdio.h>
#include <string.h>

static void stats_usage(FILE *to) {
  fprintf(to,
          "usage: gpushim stats [--json] [--endpoint HOST:PORT] [--secret-file FILE]\n"
          "Prints the counters of a running gpushim-agent (default: the one GPUSHIM_ENDPOINT and\n"
          "GPUSHIM_SECRET_FILE name). Exit code 0, 1 when the agent cannot be asked, 2 for usage.\n");
}

int cmd_stats(int argc, char **argv) {
  const char *endpoint = NULL, *secret = NULL;
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) json = 1;
    else if (!strcmp(argv[i], "--endpoint") && i + 1 < argc) endpoint = argv[++i];
    else if (!strcmp(argv[i], "--secret-file") && i + 1 < argc) secret = argv[++i];
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      stats_usage(stdout);
      return 0;
    } else {
      stats_usage(stderr);
      return 2;
    }
  }
  gs_agent_stats stats;
  char err[512];
  if (gs_agent_stats_query(endpoint, secret, &stats, err, sizeof err) != 0) {
    fprintf(stderr, "gpushim: %s\n", err);
    return 1;
  }
  gs_agent_stats_print(stdout, &stats, json);
  gs_agent_stats_free(&stats);
  return 0;
}
