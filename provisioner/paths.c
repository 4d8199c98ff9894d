/* paths.c: XDG locations of the socket, the ledger and the configuration file. */
#include "paths.h"
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_private_dir(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) == -1 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) == -1 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) == -1 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
        return -1;
    if ((st.st_mode & 077) && chmod(buf, 0700) == -1)
        return -1;
    return 0;
}

static const char *home_dir(void)
{
    const char *h = getenv("HOME");
    if (h && *h)
        return h;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_dir : "/";
}

int gs_runtime_dir(char *out, size_t n)
{
    const char *x = getenv("XDG_RUNTIME_DIR");
    if (x && *x)
        snprintf(out, n, "%s/gpushim", x);
    else
        snprintf(out, n, "/tmp/gpushim-%u", (unsigned)getuid());
    return make_private_dir(out);
}

int gs_state_dir(char *out, size_t n)
{
    const char *x = getenv("XDG_STATE_HOME");
    if (x && *x)
        snprintf(out, n, "%s/gpushim", x);
    else
        snprintf(out, n, "%s/.local/state/gpushim", home_dir());
    return make_private_dir(out);
}

int gs_state_subdir(char *out, size_t n, const char *name)
{
    if (gs_state_dir(out, n) == -1)
        return -1;
    size_t len = strlen(out);
    snprintf(out + len, n - len, "/%s", name);
    return gs_mkdir_p(out, 0700);
}

void gs_config_path(char *out, size_t n)
{
    const char *x = getenv("XDG_CONFIG_HOME");
    if (x && *x)
        snprintf(out, n, "%s/gpushim/config", x);
    else
        snprintf(out, n, "%s/.config/gpushim/config", home_dir());
}

int gs_socket_path(char *out, size_t n)
{
    char dir[3900];
    if (gs_runtime_dir(dir, sizeof dir) == -1)
        return -1;
    snprintf(out, n, "%s/daemon.sock", dir);
    return 0;
}
