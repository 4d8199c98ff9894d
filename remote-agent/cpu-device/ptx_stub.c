/* ptx_stub.c - stand-in for the PTX engine until ptx/ provides ptx_engine_dep.
 * Every entry point of ptx.h exists; parsing always fails with a message saying why,
 * so modules cannot load and nothing else is ever reached.
 */
#include "ptx.h"

#include <stdio.h>

ptx_module *ptx_module_parse(const char *text, size_t len, char *err, size_t errlen) {
  (void)text;
  (void)len;
  if (err && errlen) snprintf(err, errlen, "unsupported: the PTX engine is not built into this libcuda");
  return NULL;
}

void ptx_module_free(ptx_module *mod) { (void)mod; }
size_t ptx_module_var_count(const ptx_module *mod) { (void)mod; return 0; }
const ptx_var_info *ptx_module_var(const ptx_module *mod, size_t index) { (void)mod, (void)index; return NULL; }
void ptx_module_bind_var(ptx_module *mod, size_t index, uintptr_t address) { (void)mod, (void)index, (void)address; }
size_t ptx_module_kernel_count(const ptx_module *mod) { (void)mod; return 0; }
const ptx_kernel *ptx_module_kernel_at(const ptx_module *mod, size_t index) { (void)mod, (void)index; return NULL; }
const ptx_kernel *ptx_module_kernel(const ptx_module *mod, const char *name) { (void)mod, (void)name; return NULL; }
const ptx_kernel_info *ptx_kernel_get_info(const ptx_kernel *k) { (void)k; return NULL; }

ptx_status ptx_kernel_param(const ptx_kernel *k, size_t index, size_t *offset, size_t *size) {
  (void)k, (void)index, (void)offset, (void)size;
  return PTX_ERR_UNSUPPORTED;
}

ptx_status ptx_launch(const ptx_kernel *k, const ptx_launch_config *cfg, char *err, size_t errlen) {
  (void)k, (void)cfg;
  if (err && errlen) snprintf(err, errlen, "the PTX engine is not built");
  return PTX_ERR_UNSUPPORTED;
}

void ptx_set_print_handler(ptx_print_fn fn, void *user) { (void)fn, (void)user; }

const char *ptx_status_name(ptx_status s) { return s == PTX_OK ? "PTX_OK" : "PTX_ERR_UNSUPPORTED"; }
