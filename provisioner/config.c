/* config.c: environment-first configuration with a simple "key = value" file behind it. */
#include "config.h"
#include "paths.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 128

struct entry {
    char key[64];
    char value[1024];
};

static struct entry entries[MAX_ENTRIES];
static int n_entries;
static int loaded;

int gs_cfg_is_secret(const char *key)
{
    return strstr(key, "key") || strstr(key, "secret") || strstr(key, "token");
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int gs_cfg_load(void)
{
    char path[4096];
    gs_config_path(path, sizeof path);
    n_entries = 0;
    loaded = 1;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    struct stat st;
    int shared = fstat(fileno(f), &st) == 0 && (st.st_mode & 077);
    int refused = 0;
    char line[1200];
    while (fgets(line, sizeof line, f) && n_entries < MAX_ENTRIES) {
        char *s = trim(line);
        if (*s == '#' || *s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        for (char *p = k; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (shared && gs_cfg_is_secret(k)) {
            refused = 1;
            continue;
        }
        gs_strlcpy(entries[n_entries].key, k, sizeof entries[0].key);
        gs_strlcpy(entries[n_entries].value, v, sizeof entries[0].value);
        n_entries++;
    }
    fclose(f);
    if (refused)
        fprintf(stderr, "gpushim: %s is readable by others; its API keys are ignored "
                        "(chmod 600 it)\n", path);
    return refused ? -1 : 0;
}

const char *gs_cfg(const char *key, const char *def)
{
    char env[96] = "GPUSHIM_";
    size_t i = strlen(env);
    for (const char *p = key; *p && i + 1 < sizeof env; p++)
        env[i++] = (*p == '-' || *p == '.') ? '_' : (char)toupper((unsigned char)*p);
    env[i] = '\0';
    const char *v = getenv(env);
    if (v && *v)
        return v;
    if (!loaded)
        gs_cfg_load();
    for (int j = 0; j < n_entries; j++)
        if (strcmp(entries[j].key, key) == 0)
            return entries[j].value;
    return def;
}

double gs_cfg_num(const char *key, double def)
{
    const char *v = gs_cfg(key, NULL);
    if (!v)
        return def;
    char *end;
    double d = strtod(v, &end);
    return end == v ? def : d;
}

int gs_watchdog_seconds(void)
{
    double s = gs_cfg_num("idle_grace", 300) + gs_cfg_num("watchdog_margin", 300);
    return s < 1 ? 1 : (int)(s + 0.999);
}

const char *gs_agent_cmd(void)
{
    const char *set = gs_cfg("agent_cmd", NULL);
    if (set)
        return set;
    static char found[4096];
    static const char *const beside[] = { "gpushim-agent", "../remote-agent/agent/gpushim-agent" };
    char self[3800];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++)
            if (snprintf(found, sizeof found, "%s/%s", self, beside[i]) < (int)sizeof found &&
                access(found, X_OK) == 0)
                return found;
    }
    return "gpushim-agent";
}
