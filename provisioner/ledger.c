/* ledger.c: the SQLite ledger of instances, events and billed periods. Every write is a
 * durable commit (WAL, synchronous=FULL) so a crash right after a provider call still
 * finds the intent written. */
#include "ledger.h"
#include "paths.h"
#include "util.h"

#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static sqlite3 *db;
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *schema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS instances("
    " provider TEXT NOT NULL, id TEXT NOT NULL, tag TEXT, state TEXT, host TEXT, port INT,"
    " gpu TEXT, price REAL, offer TEXT, secret_path TEXT, created_at REAL, updated_at REAL,"
    " PRIMARY KEY(provider, id));"
    "CREATE TABLE IF NOT EXISTS events("
    " seq INTEGER PRIMARY KEY, ts REAL, provider TEXT, instance TEXT, event TEXT,"
    " price REAL, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS periods("
    " seq INTEGER PRIMARY KEY, provider TEXT, instance TEXT, gpu TEXT, price REAL,"
    " granularity TEXT, min_seconds INT, started_at REAL, stopped_at REAL, reason TEXT);";

/* Columns added after the first release: added to older ledgers, "duplicate column"
 * ignored. storage_price is $/hour while the instance exists (running or stopped);
 * periods.storage_until is when the storage a run carries ends: the next run's start or
 * the instance's destruction (NULL: still counting). */
static const char *const migrations[] = {
    "ALTER TABLE instances ADD COLUMN storage_price REAL DEFAULT 0",
    "ALTER TABLE periods ADD COLUMN storage_price REAL DEFAULT 0",
    "ALTER TABLE periods ADD COLUMN storage_until REAL",
    /* Traffic: $/GB into (down) and out of (up) the instance; the bytes a run moved; the
     * agent's counters at the last reading (reset when a run starts: a new agent). */
    "ALTER TABLE instances ADD COLUMN inet_down_price REAL DEFAULT 0",
    "ALTER TABLE instances ADD COLUMN inet_up_price REAL DEFAULT 0",
    "ALTER TABLE instances ADD COLUMN agent_bytes_in INT DEFAULT 0",
    "ALTER TABLE instances ADD COLUMN agent_bytes_out INT DEFAULT 0",
    "ALTER TABLE instances ADD COLUMN agent_uptime_ms INT DEFAULT 0",
    "ALTER TABLE periods ADD COLUMN inet_down_price REAL DEFAULT 0",
    "ALTER TABLE periods ADD COLUMN inet_up_price REAL DEFAULT 0",
    "ALTER TABLE periods ADD COLUMN bytes_in INT DEFAULT 0",
    "ALTER TABLE periods ADD COLUMN bytes_out INT DEFAULT 0",
};

int ledger_open(char *err, size_t n)
{
    char dir[3900], path[4096];
    if (gs_state_dir(dir, sizeof dir) == -1) {
        gs_errf(err, n, "cannot create the state directory %s", dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        gs_errf(err, n, "cannot open the ledger %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        gs_errf(err, n, "ledger schema: %s", msg ? msg : "?");
        sqlite3_free(msg);
        ledger_close();
        return -1;
    }
    for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++)
        sqlite3_exec(db, migrations[i], NULL, NULL, NULL);
    return 0;
}

void ledger_close(void)
{
    if (db)
        sqlite3_close(db);
    db = NULL;
}

/* Binds a list of values described by a type string: 's' text, 'd' double, 'i' int. */
static int exec_bound(const char *sql, const char *types, const void **vals)
{
    sqlite3_stmt *st;
    pthread_mutex_lock(&db_lock);
    if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        if (db)
            fprintf(stderr, "gpushim: ledger: %s\n", sqlite3_errmsg(db));
        pthread_mutex_unlock(&db_lock);
        return -1;
    }
    for (int i = 0; types[i]; i++) {
        if (types[i] == 's')
            sqlite3_bind_text(st, i + 1, (const char *)vals[i], -1, SQLITE_TRANSIENT);
        else if (types[i] == 'd')
            sqlite3_bind_double(st, i + 1, *(const double *)vals[i]);
        else
            sqlite3_bind_int(st, i + 1, *(const int *)vals[i]);
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        fprintf(stderr, "gpushim: ledger: %s\n", sqlite3_errmsg(db));
    pthread_mutex_unlock(&db_lock);
    return rc == SQLITE_DONE ? 0 : -1;
}

int ledger_event(const char *provider, const char *instance, const char *event,
                 double price, const char *detail)
{
    double now = gs_now();
    const void *v[] = { &now, provider, instance, event, &price, detail ? detail : "" };
    return exec_bound("INSERT INTO events(ts,provider,instance,event,price,detail)"
                      " VALUES(?,?,?,?,?,?)", "dsssds", v);
}

/* The instance is gone: its storage stops counting at t. */
static int end_storage(const char *provider, const char *id, double t)
{
    const void *v[] = { &t, provider, id };
    return exec_bound("UPDATE periods SET storage_until=MAX(?1, IFNULL(stopped_at, ?1))"
                      " WHERE provider=?2 AND instance=?3 AND storage_until IS NULL",
                      "dss", v);
}

int ledger_put_instance(const char *provider, const gs_inst *in, const char *state)
{
    char key[160];
    if (in->id[0])
        gs_strlcpy(key, in->id, sizeof key);
    else
        snprintf(key, sizeof key, "pending:%s", in->tag);
    double now = gs_now();
    const void *v[] = { provider, key, in->tag, state, in->host, &in->port, in->gpu,
                        &in->price, in->offer, in->secret_path, &now, &now,
                        &in->storage_price, &in->inet_down_price, &in->inet_up_price };
    int rc = exec_bound(
        "INSERT INTO instances(provider,id,tag,state,host,port,gpu,price,offer,secret_path,"
        "created_at,updated_at,storage_price,inet_down_price,inet_up_price)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(provider,id) DO UPDATE SET tag=excluded.tag, state=excluded.state,"
        " host=excluded.host, port=excluded.port, gpu=excluded.gpu, price=excluded.price,"
        " offer=excluded.offer, secret_path=excluded.secret_path,"
        " updated_at=excluded.updated_at, storage_price=excluded.storage_price,"
        " inet_down_price=excluded.inet_down_price, inet_up_price=excluded.inet_up_price",
        "sssssisdssddddd", v);
    if (rc == 0 && strcmp(state, "destroyed") == 0)
        end_storage(provider, key, now);
    return rc;
}

int ledger_rename_pending(const char *provider, const char *tag, const char *id)
{
    char key[160];
    snprintf(key, sizeof key, "pending:%s", tag);
    const void *v[] = { id, provider, key };
    return exec_bound("UPDATE instances SET id=? WHERE provider=? AND id=?", "sss", v);
}

int ledger_set_state(const char *provider, const char *id, const char *state)
{
    double now = gs_now();
    const void *v[] = { state, &now, provider, id };
    int rc = exec_bound("UPDATE instances SET state=?, updated_at=? WHERE provider=? AND id=?",
                        "sdss", v);
    if (rc == 0 && strcmp(state, "destroyed") == 0)
        end_storage(provider, id, now);
    return rc;
}

static void row_to_inst(sqlite3_stmt *st, gs_inst *out)
{
    memset(out, 0, sizeof *out);
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (id && strncmp(id, "pending:", 8) != 0)
        gs_strlcpy(out->id, id, sizeof out->id);
    gs_strlcpy(out->tag, (const char *)sqlite3_column_text(st, 1), sizeof out->tag);
    gs_strlcpy(out->host, (const char *)sqlite3_column_text(st, 2), sizeof out->host);
    out->port = sqlite3_column_int(st, 3);
    gs_strlcpy(out->gpu, (const char *)sqlite3_column_text(st, 4), sizeof out->gpu);
    out->price = sqlite3_column_double(st, 5);
    gs_strlcpy(out->offer, (const char *)sqlite3_column_text(st, 6), sizeof out->offer);
    gs_strlcpy(out->secret_path, (const char *)sqlite3_column_text(st, 7),
               sizeof out->secret_path);
    out->storage_price = sqlite3_column_double(st, 9);
    out->inet_down_price = sqlite3_column_double(st, 10);
    out->inet_up_price = sqlite3_column_double(st, 11);
}

#define INST_COLUMNS "id,tag,host,port,gpu,price,offer,secret_path,state," \
                     "IFNULL(storage_price,0),IFNULL(inet_down_price,0),IFNULL(inet_up_price,0)"

static int select_instances(const char *sql, const char *provider, gs_inst *out,
                            char states[][16], int max)
{
    sqlite3_stmt *st;
    int count = 0;
    pthread_mutex_lock(&db_lock);
    if (db && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, provider, -1, SQLITE_TRANSIENT);
        while (count < max && sqlite3_step(st) == SQLITE_ROW) {
            row_to_inst(st, &out[count]);
            if (states)
                gs_strlcpy(states[count], (const char *)sqlite3_column_text(st, 8), 16);
            count++;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&db_lock);
    return count;
}

int ledger_find_stopped(const char *provider, gs_inst *out)
{
    return select_instances("SELECT " INST_COLUMNS " FROM instances WHERE provider=?"
                            " AND state='stopped' ORDER BY updated_at DESC LIMIT 1",
                            provider, out, NULL, 1);
}

int ledger_live_instances(const char *provider, gs_inst *out, char states[][16], int max)
{
    return select_instances("SELECT " INST_COLUMNS " FROM instances WHERE provider=?"
                            " AND state<>'destroyed' ORDER BY created_at",
                            provider, out, states, max);
}

int ledger_period_open(const char *provider, const gs_inst *in, const char *granularity,
                       int min_seconds, double started_at)
{
    /* The storage the previous run carried ends where this run's begins. */
    end_storage(provider, in->id, started_at);
    /* A run starts a new agent, whose traffic counters start from zero. */
    const void *r[] = { provider, in->id };
    exec_bound("UPDATE instances SET agent_bytes_in=0, agent_bytes_out=0, agent_uptime_ms=0"
               " WHERE provider=? AND id=?", "ss", r);
    const void *v[] = { provider, in->id, in->gpu, &in->price, granularity, &min_seconds,
                        &started_at, &in->storage_price, &in->inet_down_price,
                        &in->inet_up_price };
    return exec_bound("INSERT INTO periods(provider,instance,gpu,price,granularity,"
                      "min_seconds,started_at,storage_price,inet_down_price,inet_up_price)"
                      " VALUES(?,?,?,?,?,?,?,?,?,?)", "sssdsidddd", v);
}

/* Runs sql with up to three int64 and two text parameters (in that order) in the open
 * transaction. Must hold db_lock. */
static int traffic_step(const char *sql, const sqlite3_int64 *nums, int n_nums,
                        const char *provider, const char *id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    for (int i = 0; i < n_nums; i++)
        sqlite3_bind_int64(st, i + 1, nums[i]);
    sqlite3_bind_text(st, n_nums + 1, provider, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, n_nums + 2, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The previous reading of the instance's agent counters: in, out, uptime. */
static int traffic_last(const char *provider, const char *id, sqlite3_int64 last[3])
{
    sqlite3_stmt *st;
    last[0] = last[1] = last[2] = 0;
    if (sqlite3_prepare_v2(db, "SELECT IFNULL(agent_bytes_in,0),IFNULL(agent_bytes_out,0),"
                           "IFNULL(agent_uptime_ms,0) FROM instances WHERE provider=? AND id=?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, provider, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    for (int i = 0; rc == SQLITE_ROW && i < 3; i++)
        last[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int ledger_traffic(const char *provider, const char *id, long long bytes_in,
                   long long bytes_out, long long uptime_ms, long long *din, long long *dout)
{
    sqlite3_int64 last[3];
    *din = *dout = 0;
    pthread_mutex_lock(&db_lock);
    int rc = db && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    if (rc == 0)
        rc = traffic_last(provider, id, last);
    if (rc == 0) {
        /* Counters below the last reading (or a younger agent): it restarted, and counts
         * from zero again. */
        int reset = bytes_in < last[0] || bytes_out < last[1] || uptime_ms < last[2];
        *din = reset ? bytes_in : bytes_in - last[0];
        *dout = reset ? bytes_out : bytes_out - last[1];
        const sqlite3_int64 add[2] = { *din, *dout };
        const sqlite3_int64 now[3] = { bytes_in, bytes_out, uptime_ms };
        rc = traffic_step("UPDATE periods SET bytes_in=IFNULL(bytes_in,0)+?1,"
                          " bytes_out=IFNULL(bytes_out,0)+?2 WHERE seq=(SELECT MAX(seq) FROM"
                          " periods WHERE provider=?3 AND instance=?4)", add, 2, provider, id);
        if (rc == 0)
            rc = traffic_step("UPDATE instances SET agent_bytes_in=?, agent_bytes_out=?,"
                              " agent_uptime_ms=? WHERE provider=? AND id=?", now, 3,
                              provider, id);
    }
    if (db)
        sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    if (rc != 0 && db)
        fprintf(stderr, "gpushim: ledger: traffic: %s\n", sqlite3_errmsg(db));
    pthread_mutex_unlock(&db_lock);
    return rc;
}

int ledger_period_close(const char *provider, const char *id, double stopped_at,
                        const char *reason)
{
    const void *v[] = { &stopped_at, reason, provider, id };
    return exec_bound("UPDATE periods SET stopped_at=?, reason=? WHERE provider=? AND"
                      " instance=? AND stopped_at IS NULL", "dsss", v);
}

int ledger_usage(double since, double until, const char *provider, ledger_usage_fn fn,
                 void *arg)
{
    const char *sql =
        "SELECT provider,instance,gpu,price,granularity,min_seconds,started_at,"
        "IFNULL(stopped_at,0),IFNULL(storage_price,0),IFNULL(storage_until,0),"
        "IFNULL(inet_down_price,0),IFNULL(inet_up_price,0),IFNULL(bytes_in,0),"
        "IFNULL(bytes_out,0) FROM periods"
        " WHERE (?1=0 OR MAX(IFNULL(stopped_at,?3+1e12), CASE WHEN storage_price>0 THEN"
        " IFNULL(storage_until,?3+1e12) ELSE 0 END)>=?1)"
        " AND (?2=0 OR started_at<?2) AND (?4 IS NULL OR provider=?4) ORDER BY started_at";
    sqlite3_stmt *st;
    int count = 0;
    double now = gs_now();
    pthread_mutex_lock(&db_lock);
    if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&db_lock);
        return -1;
    }
    sqlite3_bind_double(st, 1, since);
    sqlite3_bind_double(st, 2, until);
    sqlite3_bind_double(st, 3, now);
    if (provider)
        sqlite3_bind_text(st, 4, provider, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 4);
    int stop = 0;
    while (!stop && sqlite3_step(st) == SQLITE_ROW) {
        ledger_usage_row r;
        memset(&r, 0, sizeof r);
        gs_strlcpy(r.provider, (const char *)sqlite3_column_text(st, 0), sizeof r.provider);
        gs_strlcpy(r.instance, (const char *)sqlite3_column_text(st, 1), sizeof r.instance);
        gs_strlcpy(r.gpu, (const char *)sqlite3_column_text(st, 2), sizeof r.gpu);
        r.price = sqlite3_column_double(st, 3);
        gs_strlcpy(r.granularity, (const char *)sqlite3_column_text(st, 4),
                   sizeof r.granularity);
        r.min_seconds = sqlite3_column_int(st, 5);
        r.started_at = sqlite3_column_double(st, 6);
        r.stopped_at = sqlite3_column_double(st, 7);
        double end = r.stopped_at > 0 ? r.stopped_at : now;
        r.seconds = end > r.started_at ? end - r.started_at : 0;
        r.billed_seconds = gs_billed_seconds(r.seconds, r.granularity, r.min_seconds);
        r.compute_cost = r.billed_seconds * r.price / 3600.0;
        r.storage_price = sqlite3_column_double(st, 8);
        r.storage_until = sqlite3_column_double(st, 9);
        double send = r.storage_until > 0 ? r.storage_until : now;
        /* Storage is billed per second while the instance exists (stopped included). */
        r.storage_seconds = r.storage_price > 0 && send > r.started_at
                                ? ceil(send - r.started_at - 1e-9) : 0;
        r.storage_cost = r.storage_seconds * r.storage_price / 3600.0;
        r.inet_down_price = sqlite3_column_double(st, 10);
        r.inet_up_price = sqlite3_column_double(st, 11);
        r.bytes_in = sqlite3_column_int64(st, 12);
        r.bytes_out = sqlite3_column_int64(st, 13);
        r.bandwidth_cost = ((double)r.bytes_in * r.inet_down_price +
                            (double)r.bytes_out * r.inet_up_price) / LEDGER_BYTES_PER_GB;
        r.cost = r.compute_cost + r.storage_cost + r.bandwidth_cost;
        count++;
        stop = fn(&r, arg) != 0;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db_lock);
    return count;
}
