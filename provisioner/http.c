/* http.c: JSON over HTTPS with libcurl, with retry of 429/5xx and clear auth errors. */
#include "http.h"
#include "config.h"
#include "provider.h"
#include "util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct buffer {
    char *data;
    size_t len;
    double retry_after;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct buffer *b = arg;
    size_t add = size * nmemb;
    if (b->len + add > (16u << 20))
        return 0;
    char *nd = realloc(b->data, b->len + add + 1);
    if (!nd)
        return 0;
    b->data = nd;
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct buffer *b = arg;
    size_t len = size * nmemb;
    if (len > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0)
        b->retry_after = atof(ptr + 12);
    return len;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void init_curl(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void gs_url(char *out, size_t n, const char *base, const char *path)
{
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    snprintf(out, n, "%.*s%s", (int)bl, base, path);
}

const char *gs_http_error_text(json_t *a)
{
    if (!json_is_object(a))
        return NULL;
    const char *s;
    json_t *e = json_object_get(a, "error");
    if (json_is_object(e) && (s = json_string_value(json_object_get(e, "message"))))
        return s;
    json_t *errs = json_object_get(a, "errors");
    if (json_is_array(errs) && (s = json_string_value(json_object_get(json_array_get(errs, 0),
                                                                      "message"))))
        return s;
    const char *keys[] = { "msg", "detail", "message", "title", "error" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((s = json_string_value(json_object_get(a, keys[i]))))
            return s;
    return NULL;
}

/* One attempt. Returns the curl code; status and body filled. */
static CURLcode perform_once(const char *method, const char *url, const char *key,
                             const char *payload, long *status, struct buffer *b)
{
    CURL *c = curl_easy_init();
    if (!c)
        return CURLE_FAILED_INIT;
    struct curl_slist *h = NULL;
    char auth[1200];
    if (key && *key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    h = curl_slist_append(h, "Accept: application/json");
    if (payload)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(gs_cfg_num("http_timeout", 30) * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    const char *ca = gs_cfg("ca_file", NULL);
    if (ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    if (payload)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

static void strip_query(char *dst, size_t n, const char *url)
{
    gs_strlcpy(dst, url, n);
    char *q = strchr(dst, '?');
    if (q)
        *q = '\0';
}

int gs_http_json(const char *method, const char *url, const char *key, json_t *body,
                 long *status, json_t **out, char *err, size_t n)
{
    return gs_http_json_ex(method, url, key, body, strcmp(method, "POST") != 0, status, out,
                           err, n);
}

int gs_http_json_ex(const char *method, const char *url, const char *key, json_t *body,
                    int idempotent, long *status, json_t **out, char *err, size_t n)
{
    pthread_once(&curl_once, init_curl);
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int tries = (int)gs_cfg_num("http_retries", 6);
    double backoff = 0.2;
    int is_get = strcmp(method, "GET") == 0 || (idempotent && strcmp(method, "POST") != 0);
    char shown[512];
    strip_query(shown, sizeof shown, url);
    *out = NULL;
    int result = GS_EFAIL;
    double first_try = gs_now();
    for (int attempt = 1;; attempt++) {
        struct buffer b = { NULL, 0, -1 };
        CURLcode rc = perform_once(method, url, key, payload, status, &b);
        int retry = 0;
        if (rc != CURLE_OK) {
            int lost = rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
                       rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR;
            gs_errf(err, n, "%s %s: %s", method, shown, curl_easy_strerror(rc));
            if (lost && !is_get) {
                result = GS_EMAYBE;     /* the request may have been carried out */
            } else {
                result = GS_EFAIL;
                retry = lost || rc == CURLE_COULDNT_CONNECT;
            }
        } else {
            json_t *j = b.len ? json_loads(b.data, JSON_DECODE_ANY, NULL) : NULL;
            const char *msg = gs_http_error_text(j);
            if (*status == 401 || *status == 403) {
                gs_errf(err, n, "%s %s: HTTP %ld: the API key was refused%s%s", method,
                        shown, *status, msg ? ": " : "", msg ? msg : "");
                json_decref(j);
                result = GS_EAUTH;
            } else if (*status >= 500 && !idempotent) {
                gs_errf(err, n, "%s %s: HTTP %ld%s%s", method, shown, *status,
                        msg ? ": " : "", msg ? msg : "");
                json_decref(j);
                result = GS_EMAYBE;     /* it may have been carried out: never repeat it */
            } else if (*status == 429 || *status >= 500) {
                gs_errf(err, n, "%s %s: HTTP %ld%s%s", method, shown, *status,
                        msg ? ": " : "", msg ? msg : "");
                json_decref(j);
                result = GS_EFAIL;
                retry = 1;
                if (b.retry_after > 0)
                    backoff = b.retry_after;
            } else {
                *out = j;
                result = GS_OK;
            }
        }
        free(b.data);
        /* 429 is retried for up to http_retry_budget seconds (Lambda allows one launch per
         * ~12 s); other failures for http_retries attempts. */
        int budget_left = *status == 429 && gs_now() - first_try < gs_cfg_num("http_retry_budget", 60);
        if (!retry || (attempt >= tries && !budget_left))
            break;
        gs_sleep(backoff);
        backoff = backoff * 1.5 > 10 ? 10 : backoff * 1.5;
    }
    free(payload);
    return result;
}
