// nvrtc_cubin.cu - run-time compilation as NVIDIA's *_nvrtc samples do it: NVRTC compiles CUDA
// source with --gpu-architecture=sm_XY, XY being the device's compute capability read with
// cuDeviceGetAttribute, and the program loads the CUBIN with cuModuleLoadData. Also: templated
// kernels found through name expressions (nvrtcAddNameExpression / nvrtcGetLoweredName), the
// cubin loaded as a library (cuLibraryLoadData, also before any context exists), a relocatable
// cubin through cuLinkAddData, and a cubin for another GPU generation, which the device must
// refuse as a GPU would. A GPU runs the cubins; a device without SASS (the CPU device) gets
// their PTX from gpushim's NVRTC face.
// Results are checked against a CPU reference. Build: nvcc -cudart shared ... -lcuda -lnvrtc.
#include <cuda.h>
#include <nvrtc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#define CHECK_CU(call)                                                                 \
  do {                                                                                 \
    CUresult check_cu_err_ = (call);                                                   \
    if (check_cu_err_ != CUDA_SUCCESS) {                                               \
      const char *name_ = "?";                                                         \
      cuGetErrorName(check_cu_err_, &name_);                                           \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, name_);     \
      exit(1);                                                                         \
    }                                                                                  \
  } while (0)

#define CHECK_NVRTC(call)                                                              \
  do {                                                                                 \
    nvrtcResult check_nvrtc_err_ = (call);                                             \
    if (check_nvrtc_err_ != NVRTC_SUCCESS) {                                           \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,             \
              nvrtcGetErrorString(check_nvrtc_err_));                                  \
      exit(1);                                                                         \
    }                                                                                  \
  } while (0)

static int failures;
#define EXPECT(cond)                                                   \
  do {                                                                 \
    if (!(cond)) {                                                     \
      printf("  expectation failed at line %d: %s\n", __LINE__, #cond); \
      failures++;                                                      \
    }                                                                  \
  } while (0)

static const char kernels_src[] = R"(
template <typename T>
__device__ T combine(T a, T x, T y) { return a * x + y; }

template <typename T>
__global__ void axpy(T a, const T *x, T *y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = combine(a, x[i], y[i]);
}

extern "C" __global__ void block_sums(const int *v, int *sums, int n) {
  extern __shared__ int part[];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  part[threadIdx.x] = i < n ? v[i] : 0;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) sums[blockIdx.x] = part[0];
}
)";

// For the relocatable (-rdc) cubin that goes through cuLinkAddData.
static const char linked_src[] = R"(
__device__ int bias = 11;
__device__ __noinline__ int shift(int x) { return 3 * x + bias; }
extern "C" __global__ void shifted(int *v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) v[i] = shift(v[i]);
}
)";

struct Compiled {
  std::vector<char> cubin;
  std::vector<std::string> lowered;  // one per name expression, in order
};

static Compiled compile(const char *src, const std::vector<std::string> &options,
                        const std::vector<const char *> &names) {
  nvrtcProgram prog;
  CHECK_NVRTC(nvrtcCreateProgram(&prog, src, "nvrtc_cubin.cu", 0, nullptr, nullptr));
  for (const char *n : names) CHECK_NVRTC(nvrtcAddNameExpression(prog, n));
  std::vector<const char *> opts;
  for (const std::string &o : options) opts.push_back(o.c_str());
  nvrtcResult r = nvrtcCompileProgram(prog, (int)opts.size(), opts.data());
  if (r != NVRTC_SUCCESS) {
    size_t len = 0;
    nvrtcGetProgramLogSize(prog, &len);
    std::string log(len, '\0');
    nvrtcGetProgramLog(prog, &log[0]);
    fprintf(stderr, "compile failed: %s\n%s\n", nvrtcGetErrorString(r), log.c_str());
    exit(1);
  }
  Compiled c;
  for (const char *n : names) {
    const char *lowered = nullptr;
    CHECK_NVRTC(nvrtcGetLoweredName(prog, n, &lowered));
    c.lowered.push_back(lowered);
  }
  size_t size = 0;
  CHECK_NVRTC(nvrtcGetCUBINSize(prog, &size));
  c.cubin.resize(size);
  CHECK_NVRTC(nvrtcGetCUBIN(prog, c.cubin.data()));
  CHECK_NVRTC(nvrtcDestroyProgram(&prog));   // the cubin outlives its program, as in the samples
  return c;
}

static std::string arch_option(int sm) {
  return "--gpu-architecture=sm_" + std::to_string(sm);
}

template <typename T>
static void check_axpy(CUfunction f, T a, int n, const char *what) {
  std::vector<T> x(n), y(n), out(n);
  for (int i = 0; i < n; i++) {
    x[i] = (T)(i % 17) - (T)3;
    y[i] = (T)(i % 5) * (T)2;
  }
  CUdeviceptr dx, dy;
  CHECK_CU(cuMemAlloc(&dx, n * sizeof(T)));
  CHECK_CU(cuMemAlloc(&dy, n * sizeof(T)));
  CHECK_CU(cuMemcpyHtoD(dx, x.data(), n * sizeof(T)));
  CHECK_CU(cuMemcpyHtoD(dy, y.data(), n * sizeof(T)));
  void *args[] = {&a, &dx, &dy, &n};
  CHECK_CU(cuLaunchKernel(f, (n + 127) / 128, 1, 1, 128, 1, 1, 0, nullptr, args, nullptr));
  CHECK_CU(cuCtxSynchronize());
  CHECK_CU(cuMemcpyDtoH(out.data(), dy, n * sizeof(T)));
  int bad = 0;
  for (int i = 0; i < n; i++) bad += out[i] != a * x[i] + y[i];
  if (bad) printf("  %s: %d mismatches\n", what, bad);
  failures += bad != 0;
  CHECK_CU(cuMemFree(dx));
  CHECK_CU(cuMemFree(dy));
}

static void check_block_sums(CUfunction f, const char *what) {
  const int n = 1000, threads = 128, blocks = (n + threads - 1) / threads;
  std::vector<int> v(n), sums(blocks);
  for (int i = 0; i < n; i++) v[i] = (i * 37) % 101 - 50;
  CUdeviceptr dv, ds;
  CHECK_CU(cuMemAlloc(&dv, n * sizeof(int)));
  CHECK_CU(cuMemAlloc(&ds, blocks * sizeof(int)));
  CHECK_CU(cuMemcpyHtoD(dv, v.data(), n * sizeof(int)));
  int count = n;
  void *args[] = {&dv, &ds, &count};
  CHECK_CU(cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, threads * sizeof(int), nullptr, args, nullptr));
  CHECK_CU(cuCtxSynchronize());
  CHECK_CU(cuMemcpyDtoH(sums.data(), ds, blocks * sizeof(int)));
  int bad = 0;
  for (int b = 0; b < blocks; b++) {
    int ref = 0;
    for (int i = b * threads; i < n && i < (b + 1) * threads; i++) ref += v[i];
    bad += sums[b] != ref;
  }
  if (bad) printf("  %s: %d mismatches\n", what, bad);
  failures += bad != 0;
  CHECK_CU(cuMemFree(dv));
  CHECK_CU(cuMemFree(ds));
}

// The module path of the samples: cuModuleLoadData of the cubin.
static void run_module(const Compiled &c) {
  EXPECT(c.cubin.size() > 4 && memcmp(c.cubin.data(), "\177ELF", 4) == 0);  // a real cubin
  CUmodule mod;
  CHECK_CU(cuModuleLoadData(&mod, c.cubin.data()));
  CUfunction f_int, f_double, f_sums;
  CHECK_CU(cuModuleGetFunction(&f_int, mod, c.lowered[0].c_str()));
  CHECK_CU(cuModuleGetFunction(&f_double, mod, c.lowered[1].c_str()));
  CHECK_CU(cuModuleGetFunction(&f_sums, mod, "block_sums"));
  check_axpy<int>(f_int, 3, 1000, "module axpy<int>");
  check_axpy<double>(f_double, 0.5, 777, "module axpy<double>");
  check_block_sums(f_sums, "module block_sums");
  CHECK_CU(cuModuleUnload(mod));
}

static CUlibrary load_library(const Compiled &c) {
  CUlibrary lib;
  CHECK_CU(cuLibraryLoadData(&lib, c.cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  return lib;
}

// The same cubin as a library (loaded with or without a current context).
static void run_library(const Compiled &c, CUlibrary lib) {
  CUkernel k;
  CUfunction f;
  CHECK_CU(cuLibraryGetKernel(&k, lib, c.lowered[0].c_str()));
  CHECK_CU(cuKernelGetFunction(&f, k));
  check_axpy<int>(f, -2, 513, "library axpy<int>");
  CHECK_CU(cuLibraryUnload(lib));
}

// A relocatable cubin (-rdc=true) linked with cuLink*.
static void run_linked(int sm) {
  Compiled c = compile(linked_src, {arch_option(sm), "--relocatable-device-code=true"}, {});
  CUlinkState link;
  void *linked = nullptr;
  size_t linked_size = 0;
  CHECK_CU(cuLinkCreate(0, nullptr, nullptr, &link));
  CHECK_CU(cuLinkAddData(link, CU_JIT_INPUT_CUBIN, c.cubin.data(), c.cubin.size(), "linked.cubin", 0,
                         nullptr, nullptr));
  CHECK_CU(cuLinkComplete(link, &linked, &linked_size));
  CUmodule mod;
  CHECK_CU(cuModuleLoadData(&mod, linked));
  CHECK_CU(cuLinkDestroy(link));
  CUfunction f;
  CHECK_CU(cuModuleGetFunction(&f, mod, "shifted"));
  const int n = 300;
  std::vector<int> v(n);
  for (int i = 0; i < n; i++) v[i] = i - 100;
  CUdeviceptr dv;
  CHECK_CU(cuMemAlloc(&dv, n * sizeof(int)));
  CHECK_CU(cuMemcpyHtoD(dv, v.data(), n * sizeof(int)));
  int count = n;
  void *args[] = {&dv, &count};
  CHECK_CU(cuLaunchKernel(f, (n + 63) / 64, 1, 1, 64, 1, 1, 0, nullptr, args, nullptr));
  CHECK_CU(cuCtxSynchronize());
  std::vector<int> out(n);
  CHECK_CU(cuMemcpyDtoH(out.data(), dv, n * sizeof(int)));
  int bad = 0;
  for (int i = 0; i < n; i++) bad += out[i] != 3 * (i - 100) + 11;
  if (bad) printf("  linked shifted: %d mismatches\n", bad);
  failures += bad != 0;
  CHECK_CU(cuMemFree(dv));
  CHECK_CU(cuModuleUnload(mod));
}

// A cubin for a GPU generation other than the device's: a GPU refuses it, and so must we.
static void run_foreign(int sm) {
  int count = 0;
  CHECK_NVRTC(nvrtcGetNumSupportedArchs(&count));
  std::vector<int> archs(count);
  CHECK_NVRTC(nvrtcGetSupportedArchs(archs.data()));
  int foreign = 0;
  for (int a : archs)
    if (a / 10 != sm / 10 && !foreign) foreign = a;
  if (!foreign) return;
  Compiled c = compile(kernels_src, {arch_option(foreign)}, {"axpy<int>"});
  CUmodule mod;
  CUresult e = cuModuleLoadData(&mod, c.cubin.data());
  EXPECT(e == CUDA_ERROR_NO_BINARY_FOR_GPU);
  if (e == CUDA_SUCCESS) cuModuleUnload(mod);
}

int main() {
  CHECK_CU(cuInit(0));
  CUdevice dev;
  int major = 0, minor = 0;
  CHECK_CU(cuDeviceGet(&dev, 0));
  CHECK_CU(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
  CHECK_CU(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
  const int sm = major * 10 + minor;
  // Compiled before any context exists, as nvrtc_helper.h does.
  Compiled c = compile(kernels_src, {arch_option(sm), "-std=c++17"}, {"axpy<int>", "axpy<double>"});
  CUlibrary early = load_library(c);   // context-independent loading: no context yet
  CUcontext ctx;
  CHECK_CU(cuDevicePrimaryCtxRetain(&ctx, dev));
  CHECK_CU(cuCtxSetCurrent(ctx));
  run_module(c);
  run_library(c, load_library(c));
  run_library(c, early);
  run_linked(sm);
  run_foreign(sm);
  CHECK_CU(cuDevicePrimaryCtxRelease(dev));
  printf("%s nvrtc_cubin (sm_%d, %d failures)\n", failures ? "FAIL" : "PASS", sm, failures);
  return failures ? 1 : 0;
}
