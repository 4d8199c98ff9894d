/* http.h: one HTTPS request with a JSON body and answer, through libcurl, for the cloud
 * providers. Retries 429 and 5xx with backoff (Retry-After when given, else 0.2 s x 1.5
 * per try up to 10 s, as Vast needs; 5xx for http_retries tries, 429 for up to
 * http_retry_budget seconds), never retries auth errors, trusts GPUSHIM_CA_FILE when set
 * (verification is never turned off). Keys travel only in the Authorization header. */
#ifndef GS_PROV_HTTP_H
#define GS_PROV_HTTP_H

#include <jansson.h>
#include <stddef.h>

/* Sends method url with body (may be NULL) and "Authorization: Bearer key".
 * Returns GS_OK when an answer came (status set; *out the parsed JSON or NULL, caller
 * json_decref's it), GS_EAUTH on 401/403, GS_EMAYBE when a non-GET timed out or lost its
 * answer, GS_EFAIL otherwise (err says why, with the server's message when there is one). */
int gs_http_json(const char *method, const char *url, const char *key, json_t *body,
                 long *status, json_t **out, char *err, size_t n);
/* The same with the retry policy explicit: a 5xx answer to a request that is not
 * idempotent (a create) is not retried but reported as GS_EMAYBE, since the provider may
 * have carried it out. gs_http_json treats POST as not idempotent, other methods as
 * idempotent. 429 is always retried (the request was refused before it ran). */
int gs_http_json_ex(const char *method, const char *url, const char *key, json_t *body,
                    int idempotent, long *status, json_t **out, char *err, size_t n);

/* Joins base and path ("https://x/api" + "/instances/") into out. */
void gs_url(char *out, size_t n, const char *base, const char *path);

/* Best human message from a provider's error answer (Vast msg/error, RunPod detail/title,
 * Lambda error.message, GraphQL errors[0].message). */
const char *gs_http_error_text(json_t *answer);

#endif
