/* provider.h: the provider interface. Each provider (local, ssh, command, vast, runpod,
 * lambda) is one struct of function pointers in the table returned by gs_providers();
 * the daemon drives instances only through it. Calls block; the daemon makes them from
 * its worker thread. Every call returns one of the GS_E* codes and fills err. */
#ifndef GS_PROV_PROVIDER_H
#define GS_PROV_PROVIDER_H

#include <stddef.h>

enum {
    GS_OK = 0,
    GS_EFAIL = -1,      /* failed; the message says why */
    GS_EAUTH = -2,      /* credentials refused: never retried */
    GS_EGONE = -3,      /* no such instance (already destroyed) */
    GS_EMAYBE = -4,     /* timed out: the call may or may not have taken effect */
    GS_ECAPACITY = -5,  /* no capacity / no matching offer */
    GS_ECONFIG = -6,    /* provider not configured (missing key, command, host) */
};

/* Provider-neutral instance states reported by status/list. */
#define GS_PSTATE_PENDING "pending"   /* being created / booting */
#define GS_PSTATE_RUNNING "running"
#define GS_PSTATE_STOPPED "stopped"   /* exists, not billed for compute */
#define GS_PSTATE_GONE "gone"         /* destroyed / terminated */
#define GS_PSTATE_ERROR "error"

typedef struct gs_inst {
    char id[128];          /* the provider's id ("" until created) */
    char tag[64];          /* our name / label: gpushim-<hex>, how we find our own */
    char state[16];        /* one of GS_PSTATE_* after status/list */
    char host[256];        /* where the agent listens, once known */
    int port;
    char gpu[64];
    double price;          /* $ per hour while running */
    double storage_price;  /* $ per hour while it exists, running or stopped */
    /* Traffic, $ per GB (1e9 bytes) as the instance's NIC sees it: into the instance
     * (Vast's inet_down_cost) and out of it (inet_up_cost). 0: not billed. */
    double inet_down_price, inet_up_price;
    char secret[65];       /* per-instance agent secret (hex), set before create */
    char secret_path[512]; /* local file holding it (0600), handed to the shim */
    char offer[64];        /* provider's offer / type chosen at create */
    char detail[256];      /* provider's own status message */
    /* The instance's SSH endpoint, once running (for GPUSHIM_BOOTSTRAP=ssh); port 0:
     * unknown. ssh_user: the provider's login user ("root" on Vast and RunPod). */
    char ssh_host[256];
    int ssh_port;
    char ssh_user[32];
} gs_inst;

typedef struct gs_offer {
    char provider[16];
    char id[64];
    char gpu[64];
    int num_gpus;
    double price;          /* $ per hour */
    double storage_price;  /* $ per hour for the instance's disk while it exists */
    double inet_down_price, inet_up_price; /* $ per GB into / out of the instance */
    char region[64];
} gs_offer;

typedef struct gs_provider {
    const char *name;
    const char *help;
    int can_stop;            /* 1: stop keeps the instance for a later start; 0: stop = destroy */
    const char *granularity; /* "second", "minute" or "hour" */
    int min_seconds;         /* minimum charge per start, seconds */
    /* 1: honours GPUSHIM_BOOTSTRAP=ssh (creates without the agent and reports the
     * instance's SSH endpoint; the daemon then starts the agent over SSH). */
    int ssh_bootstrap;
    /* 1 when usable (keys/commands present); else 0 with why. */
    int (*configured)(char *why, size_t n);
    /* Fills up to max offers matching GPUSHIM_GPU / GPUSHIM_MAX_PRICE; count or GS_E*. */
    int (*offers)(gs_offer *out, int max, char *err, size_t n);
    /* Creates an instance tagged in->tag that starts the agent with in->secret; sets id,
     * gpu, price. GS_EMAYBE when the answer was lost (find it by tag). */
    int (*create)(gs_inst *in, char *err, size_t n);
    int (*start)(gs_inst *in, char *err, size_t n);   /* NULL when !can_stop */
    int (*stop)(gs_inst *in, char *err, size_t n);    /* NULL when !can_stop */
    int (*destroy)(gs_inst *in, char *err, size_t n);
    /* Refreshes state, host, port, detail. GS_EGONE when it no longer exists. */
    int (*status)(gs_inst *in, char *err, size_t n);
    /* Our instances (tag starting with "gpushim-") as the provider lists them. */
    int (*list_ours)(gs_inst *out, int max, char *err, size_t n);
} gs_provider;

const gs_provider *const *gs_providers(void);       /* NULL-terminated table */
const gs_provider *gs_provider_find(const char *name);
const gs_provider *gs_provider_current(void);       /* GPUSHIM_PROVIDER, default local */
const char *gs_strerror(int code);
/* Clears f and names the provider it comes from; returns f. */
gs_offer *gs_offer_init(gs_offer *f, const char *provider);
/* offers() of a provider with one fixed offer (local, ssh, command): fills out[0] unless
 * max < 1 and returns how many it filled. */
int gs_single_offer(gs_offer *out, int max, const char *provider, const char *id,
                    const char *gpu, double price, const char *region);
/* Billed seconds for a run of `seconds` under the granularity and minimum charge. */
double gs_billed_seconds(double seconds, const char *granularity, int min_seconds);

#define GS_TAG_PREFIX "gpushim-"

#endif
