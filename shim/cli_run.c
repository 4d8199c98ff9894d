/* cli_run.c - `gpushim run [--] APP [ARGS...]`: run APP with libgpushim.so in place of
 * libcudart.so.13, libcuda.so.1 and libnvidia-ml.so.1.
 *
 * The faces folder (symlinks to libgpushim.so) goes first on LD_LIBRARY_PATH and APP replaces
 * this process, so APP's exit code and output are its own. The folder is found from
 * GPUSHIM_LIBDIR, else next to this executable (build tree or installed layout). */
#include "cli_run.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const faces_candidates[] = {
  "../shim/faces",      /* build tree: build/provisioner/gpushim → build/shim/faces */
  "../lib/gpushim",     /* installed: PREFIX/bin/gpushim → PREFIX/lib/gpushim */
  "../lib",
};

static int has_faces(const char *dir) {
  char path[PATH_MAX + 32];
  if ((size_t)snprintf(path, sizeof path, "%s/libcudart.so.13", dir) >= sizeof path) return 0;
  return access(path, R_OK) == 0;
}

int gpushim_faces_dir(char *out, size_t len) {
  const char *env = getenv("GPUSHIM_LIBDIR");
  if (env && *env) {
    snprintf(out, len, "%s", env);
    return has_faces(out) ? 0 : -1;
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return -1;
  *slash = '\0';
  for (size_t i = 0; i < sizeof faces_candidates / sizeof faces_candidates[0]; i++) {
    char candidate[PATH_MAX + 32], resolved[PATH_MAX];
    if ((size_t)snprintf(candidate, sizeof candidate, "%s/%s", exe, faces_candidates[i]) >= sizeof candidate)
      continue;
    if (has_faces(candidate) && realpath(candidate, resolved) && strlen(resolved) < len) {
      strcpy(out, resolved);
      return 0;
    }
  }
  return -1;
}

static void run_usage(FILE *to) {
  fprintf(to,
          "usage: gpushim run [--] APP [ARGS...]\n"
          "Runs APP with gpushim standing in for libcudart.so.13, libcuda.so.1 and\n"
          "libnvidia-ml.so.1. With no configuration the first CUDA call starts a private\n"
          "agent with the CPU device; GPUSHIM_ENDPOINT=HOST:PORT (+ GPUSHIM_SECRET_FILE) uses an\n"
          "agent you started, GPUSHIM_ENDPOINT=inprocess runs the CPU device inside APP, and\n"
          "GPUSHIM_PROVIDER picks a provisioner provider. Exit code: APP's own, or 127 when APP\n"
          "cannot be started, 2 for a usage error.\n");
}

int cmd_run(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    run_usage(stdout);
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "--")) first = 2;
  if (first >= argc) {
    run_usage(stderr);
    return 2;
  }
  char faces[PATH_MAX];
  if (gpushim_faces_dir(faces, sizeof faces) != 0) {
    fprintf(stderr, "gpushim: cannot find libgpushim.so's faces (libcudart.so.13 …); "
                    "set GPUSHIM_LIBDIR to the folder that holds them\n");
    return 127;
  }
  const char *old = getenv("LD_LIBRARY_PATH");
  size_t need = strlen(faces) + (old ? strlen(old) + 2 : 1);
  char *path = malloc(need);
  if (!path) return 127;
  snprintf(path, need, "%s%s%s", faces, old && *old ? ":" : "", old && *old ? old : "");
  setenv("LD_LIBRARY_PATH", path, 1);
  free(path);
  /* The shim in APP may have to spawn the provisioner's daemon: tell it which gpushim to run. */
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    setenv("GPUSHIM_BIN", self, 0);
  }
  execvp(argv[first], &argv[first]);
  fprintf(stderr, "gpushim: cannot run %s: %m\n", argv[first]);
  return 127;
}
