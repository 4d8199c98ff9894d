/* cli_run.h - the `gpushim run` subcommand (the gpushim command's table calls cmd_run). */
#ifndef GPUSHIM_CLI_RUN_H
#define GPUSHIM_CLI_RUN_H
#include <stddef.h>

int cmd_run(int argc, char **argv);
/* Finds the folder of libgpushim.so's faces; 0 and the path in out, or -1. */
int gpushim_faces_dir(char *out, size_t len);

#endif
