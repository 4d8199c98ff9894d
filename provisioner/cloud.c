/* cloud.c: the bootstrap script, offer matching and error mapping shared by the HTTPS
 * providers. */
#include "cloud.h"
#include "config.h"
#include "http.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cloud_agent_port(void) { return (int)gs_cfg_num("agent_port", 8000); }

void cloud_bootstrap(char *out, size_t n)
{
    const char *custom = gs_cfg("agent_bootstrap", NULL);
    if (custom) {
        gs_strlcpy(out, custom, n);
        return;
    }
    int watchdog = gs_watchdog_seconds();
    snprintf(out, n,
             "umask 077; d=\"${HOME:-/root}/.gpushim\"; mkdir -p \"$d\"; "
             "printf '%%s\\n' \"$GPUSHIM_SECRET\" > \"$d/secret\"; unset GPUSHIM_SECRET; "
             "nohup gpushim-agent --listen \"0.0.0.0:${GPUSHIM_AGENT_PORT:-%d}\" "
             "--secret-file \"$d/secret\" --idle-shutdown %d > \"$d/agent.log\" 2>&1 &",
             cloud_agent_port(), watchdog);
}

int cloud_offer_matches(const char *gpu, double price)
{
    const char *want = gs_cfg("gpu", NULL);
    double max = gs_cfg_num("max_price", 0);
    if (max > 0 && price > max)
        return 0;
    if (!want || !*want)
        return 1;
    /* case-insensitive substring, ignoring spaces and dashes ("RTX 4090" ~ "rtx-4090") */
    char a[128], b[128];
    size_t i = 0, j = 0;
    for (const char *p = gpu; *p && i + 1 < sizeof a; p++)
        if (*p != ' ' && *p != '-' && *p != '_')
            a[i++] = (char)(*p | 0x20);
    for (const char *p = want; *p && j + 1 < sizeof b; p++)
        if (*p != ' ' && *p != '-' && *p != '_')
            b[j++] = (char)(*p | 0x20);
    a[i] = b[j] = '\0';
    return strstr(a, b) != NULL;
}

int cloud_http_error(const char *what, long status, json_t *answer, char *err, size_t n)
{
    const char *msg = gs_http_error_text(answer);
    gs_errf(err, n, "%s: HTTP %ld%s%s", what, status, msg ? ": " : "", msg ? msg : "");
    if (status == 404)
        return GS_EGONE;
    if (msg && (strcasestr(msg, "capacity") || strcasestr(msg, "unavailable")))
        return GS_ECAPACITY;
    return GS_EFAIL;
}

double cloud_num(json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v))
        return atof(json_string_value(v));
    return 0;
}

const char *cloud_str(json_t *v, const char *def)
{
    const char *s = json_string_value(v);
    return s ? s : def;
}
