/* session_client.c: a test program standing in for an application under the shim: it
 * acquires a session through provisioner/client.h, prints "READY <endpoint> <secret>",
 * connects to the agent's endpoint to show it is live, holds the session for the given
 * seconds (checking the agent still answers every 0.2 s, or only at the end with
 * "noprobe" as second argument), then releases it.
 * Exit: 0 ok, 1 acquire failed, 2 the agent stopped answering during the session. */
#include "client.h"

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int agent_answers(const char *endpoint)
{
    char host[256];
    snprintf(host, sizeof host, "%s", endpoint);
    char *colon = strrchr(host, ':');
    if (!colon)
        return 0;
    *colon = '\0';
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    double hold = argc > 1 ? atof(argv[1]) : 0;
    int probe_while_holding = !(argc > 2 && strcmp(argv[2], "noprobe") == 0);
    char endpoint[256], secret[1024], err[512];
    if (gs_provisioner_acquire(endpoint, sizeof endpoint, secret, sizeof secret, err,
                               sizeof err) != 0) {
        fprintf(stderr, "session_client: %s\n", err);
        return 1;
    }
    printf("READY %s %s\n", endpoint, secret);
    fflush(stdout);
    int rc = 0;
    struct timespec tick = { 0, 200 * 1000 * 1000 };
    for (double waited = 0; waited <= hold; waited += 0.2) {
        int last = waited + 0.2 > hold;
        if ((probe_while_holding || last) && !agent_answers(endpoint)) {
            fprintf(stderr, "session_client: the agent at %s stopped answering after %.1f s\n",
                    endpoint, waited);
            rc = 2;
            break;
        }
        nanosleep(&tick, NULL);
    }
    gs_provisioner_release();
    printf("RELEASED\n");
    return rc;
}
