/* test_streams.c - stream and event ordering on the CPU device, observed by host functions
 * appending to a log. Work is held back by gates (host functions that wait until the test
 * opens them), so every check is about order, never about timing.
 */
#include "cpudev_test.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char log_buf[64];
static int gate_open[8];

static void append(void *arg) {
  pthread_mutex_lock(&mu);
  size_t n = strlen(log_buf);
  if (n + 1 < sizeof log_buf) log_buf[n] = (char)(uintptr_t)arg;
  pthread_mutex_unlock(&mu);
}

static void gate(void *arg) {
  int i = (int)(uintptr_t)arg;
  pthread_mutex_lock(&mu);
  while (!gate_open[i]) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
}

static void open_gate(int i) {
  pthread_mutex_lock(&mu);
  gate_open[i] = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static int log_is(const char *want) {
  pthread_mutex_lock(&mu);
  int same = !strcmp(log_buf, want);
  if (!same) fprintf(stderr, "log is \"%s\", expected \"%s\"\n", log_buf, want);
  pthread_mutex_unlock(&mu);
  return same;
}

static void reset_log(void) {
  pthread_mutex_lock(&mu);
  memset(log_buf, 0, sizeof log_buf);
  memset(gate_open, 0, sizeof gate_open);
  pthread_mutex_unlock(&mu);
}

#define CH(c) ((void *)(uintptr_t)(c))
#define GATE(i) ((void *)(uintptr_t)(i))

static void test_in_order(void) {
  reset_log();
  CUstream s;
  CUevent e;
  CHECK_CU(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
  CHECK_CU(cuEventCreate(&e, 0));
  CHECK_CU(cuEventQuery(e));   /* never recorded: complete */
  CHECK_CU(cuLaunchHostFunc(s, gate, GATE(0)));
  CHECK_CU(cuLaunchHostFunc(s, append, CH('1')));
  CHECK_CU(cuLaunchHostFunc(s, append, CH('2')));
  CHECK_CU(cuEventRecord(e, s));
  EXPECT_CU(cuStreamQuery(s), CUDA_ERROR_NOT_READY);
  EXPECT_CU(cuEventQuery(e), CUDA_ERROR_NOT_READY);
  EXPECT(log_is(""));
  open_gate(0);
  CHECK_CU(cuEventSynchronize(e));
  EXPECT(log_is("12"));
  CHECK_CU(cuStreamQuery(s));
  CHECK_CU(cuEventQuery(e));
  CHECK_CU(cuEventDestroy(e));
  CHECK_CU(cuStreamDestroy(s));
}

static void test_wait_event(void) {
  reset_log();
  CUstream s1, s2;
  CUevent e;
  CHECK_CU(cuStreamCreate(&s1, CU_STREAM_NON_BLOCKING));
  CHECK_CU(cuStreamCreate(&s2, CU_STREAM_NON_BLOCKING));
  CHECK_CU(cuEventCreate(&e, CU_EVENT_DISABLE_TIMING));
  CHECK_CU(cuLaunchHostFunc(s1, gate, GATE(1)));
  CHECK_CU(cuLaunchHostFunc(s1, append, CH('A')));
  CHECK_CU(cuEventRecord(e, s1));
  CHECK_CU(cuStreamWaitEvent(s2, e, 0));
  CHECK_CU(cuLaunchHostFunc(s2, append, CH('B')));
  EXPECT_CU(cuStreamQuery(s2), CUDA_ERROR_NOT_READY);   /* held back by s1's gate */
  open_gate(1);
  CHECK_CU(cuStreamSynchronize(s2));
  EXPECT(log_is("AB"));
  CHECK_CU(cuStreamDestroy(s1));
  CHECK_CU(cuStreamDestroy(s2));
  CHECK_CU(cuEventDestroy(e));
}

/* The legacy default stream waits for blocking streams and they wait for it; a
 * non-blocking stream is independent of it. */
static void test_legacy_default(void) {
  reset_log();
  CUstream blocking, nonblocking;
  CHECK_CU(cuStreamCreate(&blocking, 0));
  CHECK_CU(cuStreamCreate(&nonblocking, CU_STREAM_NON_BLOCKING));
  CHECK_CU(cuLaunchHostFunc(nonblocking, gate, GATE(3)));
  CHECK_CU(cuLaunchHostFunc(nonblocking, append, CH('N')));
  CHECK_CU(cuLaunchHostFunc(blocking, gate, GATE(2)));
  CHECK_CU(cuLaunchHostFunc(blocking, append, CH('X')));
  CHECK_CU(cuLaunchHostFunc(NULL, append, CH('Y')));
  CHECK_CU(cuLaunchHostFunc(blocking, append, CH('Z')));
  EXPECT_CU(cuStreamQuery(CU_STREAM_LEGACY), CUDA_ERROR_NOT_READY);
  open_gate(2);
  CHECK_CU(cuStreamSynchronize(blocking));
  EXPECT(log_is("XYZ"));          /* the non-blocking stream is still held */
  CHECK_CU(cuLaunchHostFunc(CU_STREAM_LEGACY, append, CH('L')));
  CHECK_CU(cuStreamSynchronize(NULL));   /* does not wait for the non-blocking stream */
  EXPECT(log_is("XYZL"));
  open_gate(3);
  CHECK_CU(cuCtxSynchronize());
  EXPECT(log_is("XYZLN"));
  CHECK_CU(cuStreamDestroy(blocking));
  CHECK_CU(cuStreamDestroy(nonblocking));
}

static CUstream callback_stream;
static CUresult callback_status = (CUresult)-1;
static void on_callback(CUstream s, CUresult status, void *user) {
  callback_stream = s;
  callback_status = status;
  append(user);
}

static void test_events_and_callbacks(void) {
  reset_log();
  CUstream s;
  CHECK_CU(cuStreamCreateWithPriority(&s, CU_STREAM_NON_BLOCKING, -3));
  int prio = 0;
  unsigned flags = 0;
  CHECK_CU(cuStreamGetPriority(s, &prio));
  CHECK_CU(cuStreamGetFlags(s, &flags));
  EXPECT(prio == -3 && flags == CU_STREAM_NON_BLOCKING);
  CUcontext sc, cur;
  CHECK_CU(cuStreamGetCtx(s, &sc));
  CHECK_CU(cuCtxGetCurrent(&cur));
  EXPECT(sc == cur);
  CUevent a, b, untimed, fresh;
  CHECK_CU(cuEventCreate(&a, 0));
  CHECK_CU(cuEventCreate(&b, CU_EVENT_BLOCKING_SYNC));
  CHECK_CU(cuEventCreate(&untimed, CU_EVENT_DISABLE_TIMING));
  CHECK_CU(cuEventCreate(&fresh, 0));
  CHECK_CU(cuEventRecord(a, s));
  CHECK_CU(cuStreamAddCallback(s, on_callback, CH('C'), 0));
  CHECK_CU(cuEventRecord(b, s));
  CHECK_CU(cuEventRecord(untimed, s));
  CHECK_CU(cuEventSynchronize(b));
  float ms = -1;
  CHECK_CU(cuEventElapsedTime(&ms, a, b));
  EXPECT(ms >= 0);
  EXPECT_CU(cuEventElapsedTime(&ms, a, untimed), CUDA_ERROR_INVALID_HANDLE);
  EXPECT_CU(cuEventElapsedTime(&ms, a, fresh), CUDA_ERROR_INVALID_HANDLE);
  EXPECT(log_is("C") && callback_stream == s && callback_status == CUDA_SUCCESS);
  EXPECT_CU(cuStreamAddCallback(s, on_callback, NULL, 1), CUDA_ERROR_INVALID_VALUE);
  EXPECT_CU(cuEventCreate(&fresh, 0x100), CUDA_ERROR_INVALID_VALUE);
  CHECK_CU(cuEventDestroy(a));
  CHECK_CU(cuEventDestroy(b));
  CHECK_CU(cuEventDestroy(untimed));
  CHECK_CU(cuEventDestroy(fresh));
  EXPECT_CU(cuEventRecord(a, s), CUDA_ERROR_INVALID_HANDLE);
  CHECK_CU(cuStreamDestroy(s));
  EXPECT_CU(cuStreamQuery(s), CUDA_ERROR_INVALID_HANDLE);
}

/* Per-thread default streams are separate streams per host thread. */
static CUcontext shared_ctx;
static void *other_thread(void *arg) {
  (void)arg;
  CHECK_CU(cuCtxSetCurrent(shared_ctx));
  CHECK_CU(cuLaunchHostFunc(CU_STREAM_PER_THREAD, append, CH('T')));
  CHECK_CU(cuStreamSynchronize(CU_STREAM_PER_THREAD));   /* not blocked by main's gate */
  return NULL;
}

static void test_per_thread(void) {
  reset_log();
  CHECK_CU(cuCtxGetCurrent(&shared_ctx));
  CHECK_CU(cuLaunchHostFunc(CU_STREAM_PER_THREAD, gate, GATE(4)));
  CHECK_CU(cuLaunchHostFunc(CU_STREAM_PER_THREAD, append, CH('M')));
  pthread_t t;
  pthread_create(&t, NULL, other_thread, NULL);
  pthread_join(t, NULL);
  EXPECT(log_is("T"));
  unsigned long long id = 0;
  CHECK_CU(cuStreamGetId(CU_STREAM_PER_THREAD, &id));
  open_gate(4);
  CHECK_CU(cuStreamSynchronize(CU_STREAM_PER_THREAD));
  EXPECT(log_is("TM"));
}

/* A destroyed stream still finishes the work queued on it. */
static void test_destroy_pending(void) {
  reset_log();
  CUstream s;
  CHECK_CU(cuStreamCreate(&s, 0));
  CHECK_CU(cuLaunchHostFunc(s, append, CH('D')));
  CHECK_CU(cuStreamDestroy(s));
  CHECK_CU(cuCtxSynchronize());
  EXPECT(log_is("D"));
}

int main(void) {
  CHECK_CU(cuInit(0));
  CUcontext c;
  CHECK_CU(cuDevicePrimaryCtxRetain(&c, 0));
  CHECK_CU(cuCtxSetCurrent(c));
  test_in_order();
  test_wait_event();
  test_legacy_default();
  test_events_and_callbacks();
  test_per_thread();
  test_destroy_pending();
  CHECK_CU(cuDevicePrimaryCtxRelease(0));
  return test_finish("streams");
}
