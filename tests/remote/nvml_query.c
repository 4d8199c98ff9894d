/* nvml_query.c - test helper: an NVML client as monitoring tools write them, loading
 * libnvidia-ml.so.1 by name at run time (as pynvml does) and printing what it reports. */
#include <dlfcn.h>
#include <stdio.h>

typedef struct { unsigned long long total, free, used; } mem_info;
typedef struct { unsigned gpu, memory; } util_info;

int main(void) {
  void *nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW);
  if (!nvml) { printf("ERROR dlopen %s\n", dlerror()); return 1; }
  int (*init)(void) = (int (*)(void))dlsym(nvml, "nvmlInit_v2");
  int (*count)(unsigned *) = (int (*)(unsigned *))dlsym(nvml, "nvmlDeviceGetCount_v2");
  int (*handle)(unsigned, void **) = (int (*)(unsigned, void **))dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2");
  int (*name)(void *, char *, unsigned) = (int (*)(void *, char *, unsigned))dlsym(nvml, "nvmlDeviceGetName");
  int (*memory)(void *, mem_info *) = (int (*)(void *, mem_info *))dlsym(nvml, "nvmlDeviceGetMemoryInfo");
  int (*util)(void *, util_info *) = (int (*)(void *, util_info *))dlsym(nvml, "nvmlDeviceGetUtilizationRates");
  int (*shutdown)(void) = (int (*)(void))dlsym(nvml, "nvmlShutdown");
  if (!init || !count || !handle || !name || !memory || !util || !shutdown) { printf("ERROR symbols\n"); return 1; }
  int r = init();
  if (r) { printf("ERROR init %d\n", r); return 1; }
  unsigned n = 0;
  if (count(&n) || n == 0) { printf("ERROR count\n"); return 1; }
  for (unsigned i = 0; i < n; i++) {
    void *dev = NULL;
    char text[96];
    mem_info m;
    util_info u;
    if (handle(i, &dev) || name(dev, text, sizeof text) || memory(dev, &m) || util(dev, &u)) {
      printf("ERROR device %u\n", i);
      return 1;
    }
    printf("DEVICE %u NAME %s TOTAL %llu FREE %llu USED %llu GPU %u\n", i, text, m.total, m.free, m.used, u.gpu);
  }
  shutdown();
  printf("COUNT %u\n", n);
  return 0;
}
