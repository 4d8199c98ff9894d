// managed_segv.cu - managed memory must not steal the program's own SIGSEGV handling: host
// writes to managed memory (which gpushim tracks with write faults across a link) never reach
// the program's handler, and a genuine bad pointer still does. With the argument "crash" no
// handler is installed and the bad dereference must kill the process with SIGSEGV.
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "../cuda_check.h"

__global__ void inc(int *p, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i]++;
}

static volatile sig_atomic_t app_faults;

static void app_handler(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  app_faults++;
  if (si->si_addr == (void *)64 && app_faults == 1) {
    const char msg[] = "PASS managed_segv\n";
    if (write(1, msg, sizeof msg - 1) < 0) _exit(3);
    _exit(expect_failures ? 1 : 0);
  }
  _exit(2);
}

int main(int argc, char **argv) {
  int crash = argc > 1 && strcmp(argv[1], "crash") == 0;
  if (!crash) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = app_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
  }
  const int n = 50000;
  int *m = nullptr;
  CUDA_CHECK(cudaMallocManaged(&m, n * sizeof(int)));
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < n; i++) m[i] = i + round;
    inc<<<(n + 255) / 256, 256>>>(m, n);
    CUDA_CHECK(cudaDeviceSynchronize());
    int bad = 0;
    for (int i = 0; i < n; i++) bad += m[i] != i + round + 1;
    EXPECT(bad == 0);
  }
  EXPECT(app_faults == 0);
  fflush(stdout);
  volatile uintptr_t bad_address = 64;
  *(volatile int *)bad_address = 1;  // a genuine bad pointer
  printf("FAIL managed_segv: survived a bad pointer\n");
  return 1;
}
