/* driver_device.c - cuInit, the driver version and the CPU device(s) as cuda.h describes them.
 *
 * Configuration (read once by cuInit):
 *   GPUSHIM_CPU_DEVICES        number of devices (default 1, at most 8)
 *   GPUSHIM_CPU_CC             compute capability "MAJOR.MINOR" (default 9.0)
 *   GPUSHIM_CPU_DEVICE_MEMORY  bytes per device, suffixes K/M/G/T allowed (default 16G)
 * Every CU_DEVICE_ATTRIBUTE_* comes from one table below.
 */
#include "driver.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_done;
static int device_count;
static cpudev_device devices[CPUDEV_MAX_DEVICES];

static size_t parse_size(const char *text, size_t fallback) {
  if (!text || !*text) return fallback;
  char *end;
  unsigned long long v = strtoull(text, &end, 10);
  switch (toupper((unsigned char)*end)) {
  case 'T': v <<= 40; break;
  case 'G': v <<= 30; break;
  case 'M': v <<= 20; break;
  case 'K': v <<= 10; break;
  case '\0': break;
  default: return fallback;
  }
  return v ? (size_t)v : fallback;
}

static void parse_cc(const char *text, int *major, int *minor) {
  int a, b;
  if (text && sscanf(text, "%d.%d", &a, &b) == 2 && a >= 3 && a <= 12 && b >= 0 && b <= 9) {
    *major = a;
    *minor = b;
  }
}

static int host_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

static void init_devices(void) {
  const char *count_env = getenv("GPUSHIM_CPU_DEVICES");
  int count = count_env ? atoi(count_env) : 1;
  if (count < 0) count = 0;
  if (count > CPUDEV_MAX_DEVICES) count = CPUDEV_MAX_DEVICES;
  int major = 9, minor = 0;
  parse_cc(getenv("GPUSHIM_CPU_CC"), &major, &minor);
  size_t mem = parse_size(getenv("GPUSHIM_CPU_DEVICE_MEMORY"), (size_t)16 << 30);
  for (int i = 0; i < count; i++) {
    cpudev_device *d = &devices[i];
    d->ordinal = i;
    d->cc_major = major;
    d->cc_minor = minor;
    d->sm_count = host_cores();
    d->total_mem = mem;
    /* A stable UUID: "gpushim-cpu-dev" + the ordinal. */
    memcpy(d->uuid.bytes, "gpushim-cpu-dev", 15);
    d->uuid.bytes[15] = (char)i;
  }
  device_count = count;
  init_done = 1;
}

int cpudev_initialized(void) { return init_done; }
int cpudev_device_count(void) { return device_count; }

cpudev_device *cpudev_device_at(int ordinal) {
  if (!init_done || ordinal < 0 || ordinal >= device_count) return NULL;
  return &devices[ordinal];
}

static CUresult device_lookup(CUdevice dev, cpudev_device **out) {
  if (!init_done) return CUDA_ERROR_NOT_INITIALIZED;
  *out = cpudev_device_at(dev);
  return *out ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

CPUDEV_API CUresult cuInit(unsigned int Flags) {
  if (Flags != 0) return CUDA_ERROR_INVALID_VALUE;
  pthread_once(&init_once, init_devices);
  return device_count > 0 ? CUDA_SUCCESS : CUDA_ERROR_NO_DEVICE;
}

CPUDEV_API CUresult cuDriverGetVersion(int *driverVersion) {
  if (!driverVersion) return CUDA_ERROR_INVALID_VALUE;
  *driverVersion = CPUDEV_DRIVER_VERSION;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  if (!init_done) return CUDA_ERROR_NOT_INITIALIZED;
  if (!device) return CUDA_ERROR_INVALID_VALUE;
  if (ordinal < 0 || ordinal >= device_count) return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGetCount(int *count) {
  if (!init_done) return CUDA_ERROR_NOT_INITIALIZED;
  if (!count) return CUDA_ERROR_INVALID_VALUE;
  *count = device_count;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  snprintf(name, (size_t)len, "gpushim CPU device");
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice dev) {
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!uuid) return CUDA_ERROR_INVALID_VALUE;
  *uuid = d->uuid;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGetLuid(char *luid, unsigned int *deviceNodeMask, CUdevice dev) {
  (void)luid;
  (void)deviceNodeMask;
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  return r ? r : CUDA_ERROR_NOT_SUPPORTED;   /* LUIDs exist on Windows only */
}

CPUDEV_API CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!bytes) return CUDA_ERROR_INVALID_VALUE;
  *bytes = d->total_mem;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceComputeCapability(int *major, int *minor, CUdevice dev) {
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!major || !minor) return CUDA_ERROR_INVALID_VALUE;
  *major = d->cc_major;
  *minor = d->cc_minor;
  return CUDA_SUCCESS;
}

/* ---- attributes ---- */

/* How an attribute's value is found: a constant, or a property of the device. */
typedef enum { A_CONST, A_SM_COUNT, A_CC_MAJOR, A_CC_MINOR, A_ORDINAL } attr_source;

typedef struct {
  int attrib;
  attr_source source;
  int value;
} attr_entry;

static const attr_entry attr_table[] = {
  {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, A_CONST, 1024},
  {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, A_CONST, 1024},
  {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, A_CONST, 1024},
  {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, A_CONST, 64},
  {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, A_CONST, 2147483647},
  {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, A_CONST, 65535},
  {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z, A_CONST, 65535},
  {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, A_CONST, CPUDEV_STATIC_SHARED_LIMIT},
  {CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY, A_CONST, 65536},
  {CU_DEVICE_ATTRIBUTE_WARP_SIZE, A_CONST, 32},
  {CU_DEVICE_ATTRIBUTE_MAX_PITCH, A_CONST, 2147483647},
  {CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK, A_CONST, 65536},
  {CU_DEVICE_ATTRIBUTE_CLOCK_RATE, A_CONST, 1500000},
  {CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT, A_CONST, 512},
  {CU_DEVICE_ATTRIBUTE_GPU_OVERLAP, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, A_SM_COUNT, 0},
  {CU_DEVICE_ATTRIBUTE_KERNEL_EXEC_TIMEOUT, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_INTEGRATED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_COMPUTE_MODE, A_CONST, CU_COMPUTEMODE_DEFAULT},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_WIDTH, A_CONST, 131072},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_WIDTH, A_CONST, 131072},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_HEIGHT, A_CONST, 65536},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_WIDTH, A_CONST, 16384},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_HEIGHT, A_CONST, 16384},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_DEPTH, A_CONST, 16384},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_HEIGHT, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LAYERED_LAYERS, A_CONST, 2048},
  {CU_DEVICE_ATTRIBUTE_SURFACE_ALIGNMENT, A_CONST, 512},
  {CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_ECC_ENABLED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, A_ORDINAL, 0},
  {CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_TCC_DRIVER, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, A_CONST, 2619000},
  {CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, A_CONST, 5120},
  {CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, A_CONST, 50331648},
  {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, A_CONST, 2048},
  {CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT, A_CONST, 2},
  {CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_LAYERED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_LAYERED_LAYERS, A_CONST, 2048},
  {CU_DEVICE_ATTRIBUTE_CAN_TEX2D_GATHER, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_GATHER_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_GATHER_HEIGHT, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_WIDTH_ALTERNATE, A_CONST, 8192},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_HEIGHT_ALTERNATE, A_CONST, 8192},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_DEPTH_ALTERNATE, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT, A_CONST, 32},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURECUBEMAP_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURECUBEMAP_LAYERED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURECUBEMAP_LAYERED_LAYERS, A_CONST, 2046},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE1D_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_WIDTH, A_CONST, 131072},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_HEIGHT, A_CONST, 65536},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE3D_WIDTH, A_CONST, 16384},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE3D_HEIGHT, A_CONST, 16384},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE3D_DEPTH, A_CONST, 16384},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE1D_LAYERED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE1D_LAYERED_LAYERS, A_CONST, 2048},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_LAYERED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_LAYERED_HEIGHT, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACE2D_LAYERED_LAYERS, A_CONST, 2048},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACECUBEMAP_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACECUBEMAP_LAYERED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_SURFACECUBEMAP_LAYERED_LAYERS, A_CONST, 2046},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_LINEAR_WIDTH, A_CONST, 268435456},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LINEAR_WIDTH, A_CONST, 131072},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LINEAR_HEIGHT, A_CONST, 65000},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_LINEAR_PITCH, A_CONST, 2097120},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_MIPMAPPED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_MIPMAPPED_HEIGHT, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, A_CC_MAJOR, 0},
  {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, A_CC_MINOR, 0},
  {CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_MIPMAPPED_WIDTH, A_CONST, 32768},
  {CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_GLOBAL_L1_CACHE_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_LOCAL_L1_CACHE_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, A_CONST, CPUDEV_SHARED_PER_SM},
  {CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR, A_CONST, 65536},
  {CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MULTI_GPU_BOARD_GROUP_ID, A_ORDINAL, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_NATIVE_ATOMIC_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO, A_CONST, 2},
  {CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_COMPUTE_PREEMPTION_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_CAN_USE_HOST_POINTER_FOR_REGISTERED_MEM, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_MEM_OPS_V1, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CAN_USE_64_BIT_STREAM_MEM_OPS_V1, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_WAIT_VALUE_NOR_V1, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_COOPERATIVE_MULTI_DEVICE_LAUNCH, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, A_CONST, CPUDEV_OPTIN_SHARED_LIMIT},
  {CU_DEVICE_ATTRIBUTE_CAN_FLUSH_REMOTE_WRITES, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_DIRECT_MANAGED_MEM_ACCESS_FROM_HOST, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_WIN32_HANDLE_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_WIN32_KMT_HANDLE_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR, A_CONST, 32},
  {CU_DEVICE_ATTRIBUTE_GENERIC_COMPRESSION_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MAX_ACCESS_POLICY_WINDOW_SIZE, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WITH_CUDA_VMM_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK, A_CONST, 1024},
  {CU_DEVICE_ATTRIBUTE_SPARSE_CUDA_ARRAY_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_READ_ONLY_HOST_REGISTER_SUPPORTED, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_TIMELINE_SEMAPHORE_INTEROP_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_FLUSH_WRITES_OPTIONS, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_GPU_DIRECT_RDMA_WRITES_ORDERING, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MEMPOOL_SUPPORTED_HANDLE_TYPES, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_DEFERRED_MAPPING_CUDA_ARRAY_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CAN_USE_64_BIT_STREAM_MEM_OPS, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_WAIT_VALUE_NOR, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_IPC_EVENT_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MEM_SYNC_DOMAIN_COUNT, A_CONST, 1},
  {CU_DEVICE_ATTRIBUTE_TENSOR_MAP_ACCESS_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_FABRIC_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_UNIFIED_FUNCTION_POINTERS, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_NUMA_CONFIG, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_NUMA_ID, A_CONST, -1},
  {CU_DEVICE_ATTRIBUTE_MULTICAST_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MPS_ENABLED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_NUMA_ID, A_CONST, -1},
  {CU_DEVICE_ATTRIBUTE_D3D12_CIG_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MEM_DECOMPRESS_ALGORITHM_MASK, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_MEM_DECOMPRESS_MAXIMUM_LENGTH, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_VULKAN_CIG_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_GPU_PCI_DEVICE_ID, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_GPU_PCI_SUBSYSTEM_ID, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_NUMA_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_NUMA_MEMORY_POOLS_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_NUMA_MULTINODE_IPC_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_MEMORY_POOLS_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_HOST_ALLOC_DMA_BUF_SUPPORTED, A_CONST, 0},
  {CU_DEVICE_ATTRIBUTE_ONLY_PARTIAL_HOST_NATIVE_ATOMIC_SUPPORTED, A_CONST, 0},
};

/* Returns 0 and the value, or -1 for an attribute the table does not know. */
int cpudev_device_attribute(int attrib, const cpudev_device *dev, int *value) {
  for (size_t i = 0; i < sizeof attr_table / sizeof attr_table[0]; i++) {
    const attr_entry *e = &attr_table[i];
    if (e->attrib != attrib) continue;
    switch (e->source) {
    case A_CONST: *value = e->value; break;
    case A_SM_COUNT: *value = dev->sm_count; break;
    case A_CC_MAJOR: *value = dev->cc_major; break;
    case A_CC_MINOR: *value = dev->cc_minor; break;
    case A_ORDINAL: *value = dev->ordinal; break;
    }
    return 0;
  }
  return -1;
}

CPUDEV_API CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev) {
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!pi) return CUDA_ERROR_INVALID_VALUE;
  return cpudev_device_attribute((int)attrib, d, pi) == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CPUDEV_API CUresult cuDeviceGetProperties(CUdevprop *prop, CUdevice dev) {
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!prop) return CUDA_ERROR_INVALID_VALUE;
  memset(prop, 0, sizeof *prop);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, d, &prop->maxThreadsPerBlock);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, d, &prop->maxThreadsDim[0]);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, d, &prop->maxThreadsDim[1]);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, d, &prop->maxThreadsDim[2]);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, d, &prop->maxGridSize[0]);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, d, &prop->maxGridSize[1]);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z, d, &prop->maxGridSize[2]);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, d, &prop->sharedMemPerBlock);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY, d, &prop->totalConstantMemory);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_WARP_SIZE, d, &prop->SIMDWidth);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_PITCH, d, &prop->memPitch);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK, d, &prop->regsPerBlock);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_CLOCK_RATE, d, &prop->clockRate);
  cpudev_device_attribute(CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT, d, &prop->textureAlign);
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGetPCIBusId(char *pciBusId, int len, CUdevice dev) {
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!pciBusId || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  snprintf(pciBusId, (size_t)len, "0000:%02x:00.0", d->ordinal);
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGetByPCIBusId(CUdevice *dev, const char *pciBusId) {
  if (!init_done) return CUDA_ERROR_NOT_INITIALIZED;
  unsigned domain, bus, device, function;
  if (!dev || !pciBusId ||
      sscanf(pciBusId, "%x:%x:%x.%x", &domain, &bus, &device, &function) != 4)
    return CUDA_ERROR_INVALID_VALUE;
  if (domain != 0 || device != 0 || (int)bus >= device_count) return CUDA_ERROR_INVALID_DEVICE;
  *dev = (CUdevice)bus;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceCanAccessPeer(int *canAccessPeer, CUdevice dev, CUdevice peerDev) {
  cpudev_device *a, *b;
  CUresult r = device_lookup(dev, &a);
  if (!r) r = device_lookup(peerDev, &b);
  if (r) return r;
  if (!canAccessPeer) return CUDA_ERROR_INVALID_VALUE;
  *canAccessPeer = 0;
  return CUDA_SUCCESS;
}

CPUDEV_API CUresult cuDeviceGetTexture1DLinearMaxWidth(size_t *maxWidthInElements, CUarray_format format,
                                                       unsigned numChannels, CUdevice dev) {
  (void)format;
  (void)numChannels;
  cpudev_device *d;
  CUresult r = device_lookup(dev, &d);
  if (r) return r;
  if (!maxWidthInElements) return CUDA_ERROR_INVALID_VALUE;
  *maxWidthInElements = 268435456;
  return CUDA_SUCCESS;
}
