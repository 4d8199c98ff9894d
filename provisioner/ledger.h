/* ledger.h: the SQLite ledger ($XDG_STATE_HOME/gpushim/ledger.db, WAL, synchronous=FULL).
 * Three tables: instances (what we own and its last known state), events (one row per
 * intent and state change, append-only) and periods (billed runs: started_at..stopped_at
 * at a price and granularity, from which `gpushim usage` computes cost). */
#ifndef GS_PROV_LEDGER_H
#define GS_PROV_LEDGER_H

#include "provider.h"

int ledger_open(char *err, size_t n);
void ledger_close(void);

/* Appends an event row (intent-create, created, started, agent-ready, idle, stopping,
 * stopped, destroyed, reconciled, error…). */
int ledger_event(const char *provider, const char *instance, const char *event,
                 double price, const char *detail);
/* Records / updates an instance row under (provider, key) where key is in->id, or
 * "pending:" + tag before the id is known. state is our own state name. */
int ledger_put_instance(const char *provider, const gs_inst *in, const char *state);
/* Replaces the pending row for tag with the real id once create answered. */
int ledger_rename_pending(const char *provider, const char *tag, const char *id);
int ledger_set_state(const char *provider, const char *id, const char *state);
/* Finds our stopped instance of provider (for a restart instead of create). 1 found, 0 none. */
int ledger_find_stopped(const char *provider, gs_inst *out);
/* Instances of provider whose last state is not "destroyed". Returns count (<= max). */
int ledger_live_instances(const char *provider, gs_inst *out, char states[][16], int max);

int ledger_period_open(const char *provider, const gs_inst *in, const char *granularity,
                       int min_seconds, double started_at);
int ledger_period_close(const char *provider, const char *id, double stopped_at,
                        const char *reason);

typedef struct ledger_usage_row {
    char provider[16];
    char instance[128];
    char gpu[64];
    double price;
    char granularity[16];
    int min_seconds;
    double started_at, stopped_at;  /* stopped_at 0 while open */
    double seconds, billed_seconds;
    double compute_cost;            /* billed_seconds x price */
    /* Storage, billed while the instance exists: from this run's start until the next
     * run's start or the instance's destruction (0 while still counting). */
    double storage_price, storage_until, storage_seconds, storage_cost;
    /* Traffic the run moved (as the agent counted it: see ledger_traffic) and its price
     * ($/GB) into (down) and out of (up) the instance. */
    long long bytes_in, bytes_out;
    double inet_down_price, inet_up_price, bandwidth_cost;
    double cost;                    /* compute_cost + storage_cost + bandwidth_cost */
} ledger_usage_row;

/* Providers quote traffic per GB: 1e9 bytes. */
#define LEDGER_BYTES_PER_GB 1e9

/* Records a reading of the instance's agent traffic counters (bytes in and out of the
 * agent, its uptime): the bytes since the previous reading go to the instance's latest
 * run, in one transaction with the reading itself. Counters below the previous reading, or
 * a younger agent, mean the agent restarted: everything it counted is new. The bytes
 * added are returned in *din, *dout. 0, or -1 on a ledger error. */
int ledger_traffic(const char *provider, const char *id, long long bytes_in,
                   long long bytes_out, long long uptime_ms, long long *din, long long *dout);

typedef int (*ledger_usage_fn)(const ledger_usage_row *row, void *arg);
/* Rows overlapping [since, until) (0 = open), optionally one provider, oldest first. */
int ledger_usage(double since, double until, const char *provider, ledger_usage_fn fn,
                 void *arg);

#endif
