/* test_big_copies.c - copies far larger than one chunk: a compressible and an incompressible
 * buffer each go to the device and back intact; the agent's counters show they travelled in
 * chunks, that the compressible one was compressed on the wire both ways and that the
 * incompressible one was not inflated. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "inprocess.h"

#define N ((size_t)24 << 20)
#define CHUNK ((size_t)1 << 20)

static void round_trip(const uint8_t *src, uint8_t *back, agent_counters *delta) {
  agent_counters before, after;
  CUdeviceptr d;
  CU_OK(cuMemAlloc(&d, N));
  CU_OK(cuCtxSynchronize());
  CHECK(gs_inprocess_counters(&before) == 0);
  CU_OK(cuMemcpyHtoD(d, src, N));
  memset(back, 0, N);
  CU_OK(cuMemcpyDtoH(back, d, N));
  CHECK(gs_inprocess_counters(&after) == 0);
  CHECK(memcmp(src, back, N) == 0);
  CU_OK(cuMemFree(d));
  delta->calls = after.calls - before.calls;
  delta->round_trips = after.round_trips - before.round_trips;
  delta->bytes_in_wire = after.bytes_in_wire - before.bytes_in_wire;
  delta->bytes_in_raw = after.bytes_in_raw - before.bytes_in_raw;
  delta->bytes_out_wire = after.bytes_out_wire - before.bytes_out_wire;
  delta->bytes_out_raw = after.bytes_out_raw - before.bytes_out_raw;
  printf("calls %llu round trips %llu in %llu->%llu out %llu->%llu\n",
         (unsigned long long)delta->calls, (unsigned long long)delta->round_trips,
         (unsigned long long)delta->bytes_in_raw, (unsigned long long)delta->bytes_in_wire,
         (unsigned long long)delta->bytes_out_raw, (unsigned long long)delta->bytes_out_wire);
}

int main(void) {
  test_setup();
  uint8_t *src = malloc(N), *back = malloc(N);
  CHECK(src && back);
  agent_counters d;

  /* compressible: a slowly varying pattern */
  for (size_t i = 0; i < N; i++) src[i] = (uint8_t)((i / 4096) ^ (i % 7 == 0));
  round_trip(src, back, &d);
  CHECK(d.calls >= 2 * N / CHUNK);                  /* chunked both ways */
  CHECK(d.round_trips <= 4);                        /* streamed, not one trip per chunk */
  CHECK(d.bytes_in_wire * 4 < d.bytes_in_raw);      /* compressed going out ... */
  CHECK(d.bytes_out_wire * 4 < d.bytes_out_raw);    /* ... and coming back */

  /* incompressible: random bytes */
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i + 8 <= N; i += 8) {
    uint64_t r = test_rand(&seed);
    memcpy(src + i, &r, 8);
  }
  round_trip(src, back, &d);
  CHECK(d.calls >= 2 * N / CHUNK);
  CHECK(d.bytes_in_wire >= N && d.bytes_in_wire < N + N / 50);   /* raw, framing only */
  CHECK(d.bytes_out_wire >= N && d.bytes_out_wire < N + N / 50);
  CHECK(d.bytes_in_raw == d.bytes_in_wire);

  free(src);
  free(back);

  /* bigger than one reply may be (64 MiB): still one call for the program, intact */
  size_t big = (size_t)72 << 20;
  uint8_t *s2 = malloc(big), *b2 = malloc(big);
  CHECK(s2 && b2);
  for (size_t i = 0; i + 8 <= big; i += 8) {
    uint64_t r = test_rand(&seed);
    memcpy(s2 + i, &r, 8);
  }
  CUdeviceptr dbig;
  CU_OK(cuMemAlloc(&dbig, big));
  CU_OK(cuMemcpyHtoD(dbig, s2, big));
  memset(b2, 0, big);
  CU_OK(cuMemcpyDtoH(b2, dbig, big));
  CHECK(memcmp(s2, b2, big) == 0);
  CU_OK(cuMemFree(dbig));
  free(s2);
  free(b2);
  printf("big copies: ok\n");
  return 0;
}
