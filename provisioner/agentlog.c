/* agentlog.c: finds the port the agent printed when started with --listen HOST:0. */
#include "agentlog.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int port_in_line(const char *line, size_t len)
{
    int port = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        int after_colon = line[i] == ':' && isdigit((unsigned char)line[i + 1]);
        int after_word = i + 5 < len && strncasecmp(line + i, "port ", 5) == 0 &&
                         isdigit((unsigned char)line[i + 5]);
        if (after_colon || after_word) {
            int v = atoi(line + i + (after_colon ? 1 : 5));
            if (v > 0 && v < 65536)
                port = v;
        }
    }
    return port;
}

int gs_agent_port_from_log(const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        int mentions = 0;
        for (size_t i = 0; i + 6 <= len && !mentions; i++)
            mentions = strncasecmp(text + i, "listen", 6) == 0;
        if (mentions && nl) {     /* only complete lines */
            int port = port_in_line(text, len);
            if (port)
                return port;
        }
        text = nl ? nl + 1 : NULL;
    }
    return 0;
}
