// managed_memory.cu - managed memory as NVIDIA's samples use it (UnifiedMemoryStreams,
// simpleZeroCopy style), each step checked against a CPU reference: host init -> kernel ->
// sync -> host read; several kernels in a row; host writes between launches; a managed struct
// holding a managed pointer; streams with per-stream buffers and the hints (attach, prefetch,
// advise); memset/memcpy on managed memory; a fresh buffer filled by fread; registered host
// memory mapped for the device.
// With concurrentManagedAccess = 0 the host touches managed memory only after synchronizing.
#include <string.h>

#include "../cuda_check.h"

__global__ void affine(int *p, int n, int mul, int add) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] = p[i] * mul + add;
}

struct Vec {
  int *data;
  int n;
  long long sum;
};

// Follows the pointer stored in a managed struct; thread 0 also writes the struct itself.
__global__ void through_struct(Vec *v) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < v->n) v->data[i] += i;
  if (i == 0) v->sum = -1;
}

static void reference_affine(int *p, int n, int mul, int add) {
  for (int i = 0; i < n; i++) p[i] = p[i] * mul + add;
}

static void check_attributes(void) {
  int managed = -1, concurrent = -1;
  CUDA_CHECK(cudaDeviceGetAttribute(&managed, cudaDevAttrManagedMemory, 0));
  CUDA_CHECK(cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, 0));
  EXPECT(managed == 1);
  EXPECT(concurrent == 0);
}

static void basic_and_chain(void) {
  const int n = 100000;  // not a multiple of the page size
  int *m = nullptr;
  CUDA_CHECK(cudaMallocManaged(&m, n * sizeof(int)));
  int *ref = (int *)malloc(n * sizeof(int));
  for (int i = 0; i < n; i++) m[i] = ref[i] = i % 1000;
  affine<<<(n + 255) / 256, 256>>>(m, n, 2, 1);
  CUDA_CHECK(cudaDeviceSynchronize());
  reference_affine(ref, n, 2, 1);
  EXPECT(memcmp(m, ref, n * sizeof(int)) == 0);
  // three kernels in a row, one sync
  for (int k = 0; k < 3; k++) {
    affine<<<(n + 255) / 256, 256>>>(m, n, 3, -k);
    reference_affine(ref, n, 3, -k);
  }
  CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT(memcmp(m, ref, n * sizeof(int)) == 0);
  // host writes a few scattered elements between launches: only they must reach the device
  for (int i = 0; i < n; i += 4099) m[i] = ref[i] = 7;
  affine<<<(n + 255) / 256, 256>>>(m, n, 1, 5);
  reference_affine(ref, n, 1, 5);
  CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT(memcmp(m, ref, n * sizeof(int)) == 0);
  // memset and copies with managed memory on either side
  CUDA_CHECK(cudaMemset(m, 0, 1000 * sizeof(int)));
  CUDA_CHECK(cudaDeviceSynchronize());
  for (int i = 0; i < 1000; i++) ref[i] = 0;
  EXPECT(memcmp(m, ref, n * sizeof(int)) == 0);
  int *host = (int *)malloc(n * sizeof(int));
  m[1] = ref[1] = 4242;  // written on the host, then copied from managed memory
  CUDA_CHECK(cudaMemcpy(host, m, n * sizeof(int), cudaMemcpyDefault));
  EXPECT(memcmp(host, ref, n * sizeof(int)) == 0);
  int *dev = nullptr;
  CUDA_CHECK(cudaMalloc(&dev, n * sizeof(int)));
  CUDA_CHECK(cudaMemcpy(dev, m, n * sizeof(int), cudaMemcpyDefault));
  affine<<<(n + 255) / 256, 256>>>(dev, n, 1, 1);
  CUDA_CHECK(cudaMemcpy(m, dev, n * sizeof(int), cudaMemcpyDefault));
  CUDA_CHECK(cudaDeviceSynchronize());  // a device-to-device copy need not be done on return
  reference_affine(ref, n, 1, 1);
  EXPECT(memcmp(m, ref, n * sizeof(int)) == 0);
  cudaPointerAttributes a;
  CUDA_CHECK(cudaPointerGetAttributes(&a, m + 10));
  EXPECT(a.type == cudaMemoryTypeManaged);
  EXPECT(a.devicePointer == m + 10 && a.hostPointer == m + 10);
  CUDA_CHECK(cudaFree(dev));
  CUDA_CHECK(cudaFree(m));
  free(host);
  free(ref);
}

static void managed_struct(void) {
  Vec *v = nullptr;
  CUDA_CHECK(cudaMallocManaged(&v, sizeof(Vec)));
  v->n = 3000;
  CUDA_CHECK(cudaMallocManaged(&v->data, v->n * sizeof(int)));
  for (int i = 0; i < v->n; i++) v->data[i] = 10;
  v->sum = 99;
  through_struct<<<(v->n + 127) / 128, 128>>>(v);
  CUDA_CHECK(cudaDeviceSynchronize());
  int bad = 0;
  for (int i = 0; i < v->n; i++) bad += v->data[i] != 10 + i;
  EXPECT(bad == 0);
  EXPECT(v->sum == -1);
  CUDA_CHECK(cudaFree(v->data));
  CUDA_CHECK(cudaFree(v));
}

static void streams(void) {
  const int nstreams = 4, n = 20000;
  cudaStream_t s[nstreams];
  int *buf[nstreams];
  for (int k = 0; k < nstreams; k++) {
    CUDA_CHECK(cudaStreamCreate(&s[k]));
    CUDA_CHECK(cudaMallocManaged(&buf[k], n * sizeof(int), cudaMemAttachHost));
    CUDA_CHECK(cudaStreamAttachMemAsync(s[k], buf[k], 0, cudaMemAttachSingle));
    CUDA_CHECK(cudaStreamSynchronize(s[k]));
    for (int i = 0; i < n; i++) buf[k][i] = i + k;
    cudaMemLocation loc = {cudaMemLocationTypeDevice, 0};
    CUDA_CHECK(cudaMemAdvise(buf[k], n * sizeof(int), cudaMemAdviseSetPreferredLocation, loc));
    CUDA_CHECK(cudaMemPrefetchAsync(buf[k], n * sizeof(int), loc, 0, s[k]));
  }
  for (int k = 0; k < nstreams; k++) affine<<<(n + 255) / 256, 256, 0, s[k]>>>(buf[k], n, k + 1, k);
  for (int k = 0; k < nstreams; k++) {
    CUDA_CHECK(cudaStreamSynchronize(s[k]));
    int bad = 0;
    for (int i = 0; i < n; i++) bad += buf[k][i] != (i + k) * (k + 1) + k;
    EXPECT(bad == 0);
  }
  for (int k = 0; k < nstreams; k++) {
    CUDA_CHECK(cudaFree(buf[k]));
    CUDA_CHECK(cudaStreamDestroy(s[k]));
  }
}

static void registered_mapped(void) {
  const int n = 5000;
  int *h = (int *)malloc(n * sizeof(int) + 64);  // not page aligned on purpose
  int *p = h + 3, *d = nullptr;
  for (int i = 0; i < n; i++) p[i] = i;
  CUDA_CHECK(cudaHostRegister(p, n * sizeof(int), cudaHostRegisterMapped));
  CUDA_CHECK(cudaHostGetDevicePointer((void **)&d, p, 0));
  affine<<<(n + 255) / 256, 256>>>(d, n, 2, 0);
  CUDA_CHECK(cudaDeviceSynchronize());
  int bad = 0;
  for (int i = 0; i < n; i++) bad += p[i] != 2 * i;
  EXPECT(bad == 0);
  h[0] = 1;  // a neighbour on the same page stays the app's to write
  CUDA_CHECK(cudaHostUnregister(p));
  free(h);
}

// Fresh managed memory filled by the C library (fread writes it from inside the kernel's read
// system call, where a write-protected page would give EFAULT, not a fault), then a kernel.
static void filled_by_fread(void) {
  const int n = 300000;
  FILE *f = tmpfile();
  EXPECT(f != nullptr);
  if (!f) return;
  int *ref = (int *)malloc(n * sizeof(int));
  for (int i = 0; i < n; i++) ref[i] = (int)((long long)i * 7919 % 100003);
  EXPECT(fwrite(ref, sizeof(int), n, f) == (size_t)n);
  rewind(f);
  int *m = nullptr;
  CUDA_CHECK(cudaMallocManaged(&m, n * sizeof(int)));
  EXPECT(fread(m, sizeof(int), n, f) == (size_t)n);
  fclose(f);
  affine<<<(n + 255) / 256, 256>>>(m, n, 3, 2);
  CUDA_CHECK(cudaDeviceSynchronize());
  reference_affine(ref, n, 3, 2);
  EXPECT(memcmp(m, ref, n * sizeof(int)) == 0);
  CUDA_CHECK(cudaFree(m));
  free(ref);
}

// "measure": a 64 MiB buffer filled on the host and touched by one kernel, then one int written
// on the host and one more kernel; GPUSHIM_UVM_STATS=1 prints the bytes moved at exit.
static void measure(void) {
  const int n = 16 << 20;
  int *m = nullptr;
  CUDA_CHECK(cudaMallocManaged(&m, n * sizeof(int)));
  for (int i = 0; i < n; i++) m[i] = i;
  affine<<<(n + 255) / 256, 256>>>(m, n, 1, 1);
  CUDA_CHECK(cudaDeviceSynchronize());
  long long bad = 0;
  for (int i = 0; i < n; i++) bad += m[i] != i + 1;
  m[12345] = 0;
  affine<<<(n + 255) / 256, 256>>>(m, n, 1, 1);
  CUDA_CHECK(cudaDeviceSynchronize());
  for (int i = 0; i < n; i++) bad += m[i] != (i == 12345 ? 1 : i + 2);
  EXPECT(bad == 0);
  CUDA_CHECK(cudaFree(m));
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "measure") == 0) {
    measure();
    printf("%s managed_memory\n", expect_failures ? "FAIL" : "PASS");
    return expect_failures ? 1 : 0;
  }
  check_attributes();
  basic_and_chain();
  filled_by_fread();
  managed_struct();
  streams();
  registered_mapped();
  printf("%s managed_memory\n", expect_failures ? "FAIL" : "PASS");
  return expect_failures ? 1 : 0;
}
