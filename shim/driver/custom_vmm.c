/* custom_vmm.c - the client's half of virtual memory management: cuMemAddressReserve/Free,
 * cuMemCreate/Release, cuMemMap/Unmap, cuMemSetAccess/GetAccess, cuMemGetAllocationGranularity.
 *
 * The property and access structs are checked here and flattened to the scalars the gs_vmm_*
 * procedures carry (only pinned device memory without shareable handles exists on the wire, as
 * on a device that exports none). A range the device was granted access to is noted as device
 * memory, so cuMemcpy sees its direction; cuMemUnmap forgets it. */
#include "gs_client.h"

static int prop_ok(const CUmemAllocationProp *prop) {
  return prop && prop->type == CU_MEM_ALLOCATION_TYPE_PINNED &&
         prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE &&
         prop->requestedHandleTypes == CU_MEM_HANDLE_TYPE_NONE;
}

GS_EXPORT CUresult CUDAAPI cuMemGetAllocationGranularity(size_t *granularity, const CUmemAllocationProp *prop,
                                                         CUmemAllocationGranularity_flags option) {
  if (!granularity || !prop_ok(prop)) return CUDA_ERROR_INVALID_VALUE;
  gs_vmm_granularity_args a = {prop->location.id, (u_int)option};
  gs_vmm_granularity_res r = {0};
  CUresult e = gs_call(GS_gs_vmm_granularity, GS_F_SYNC | GS_F_CACHE, (xdrproc_t)xdr_gs_vmm_granularity_args,
                       &a, (xdrproc_t)xdr_gs_vmm_granularity_res, &r);
  if (!e) *granularity = r.granularity;
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment,
                                               CUdeviceptr addr, unsigned long long flags) {
  if (!ptr || flags) return CUDA_ERROR_INVALID_VALUE;
  gs_vmm_reserve_args a = {size, alignment, addr};
  gs_vmm_reserve_res r = {0};
  CUresult e = gs_call(GS_gs_vmm_reserve, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_reserve_args, &a,
                       (xdrproc_t)xdr_gs_vmm_reserve_res, &r);
  if (!e) *ptr = r.ptr;
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemAddressFree(CUdeviceptr ptr, size_t size) {
  gs_vmm_free_args a = {ptr, size};
  return gs_call(GS_gs_vmm_free, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_free_args, &a, 0, 0);
}

GS_EXPORT CUresult CUDAAPI cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
                                       const CUmemAllocationProp *prop, unsigned long long flags) {
  if (!handle || !prop_ok(prop) || flags) return CUDA_ERROR_INVALID_VALUE;
  gs_vmm_create_args a = {size, prop->location.id};
  gs_vmm_create_res r = {0};
  CUresult e = gs_call(GS_gs_vmm_create, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_create_args, &a,
                       (xdrproc_t)xdr_gs_vmm_create_res, &r);
  if (!e) *handle = r.handle;
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemRelease(CUmemGenericAllocationHandle handle) {
  gs_vmm_release_args a = {handle};
  return gs_call(GS_gs_vmm_release, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_release_args, &a, 0, 0);
}

GS_EXPORT CUresult CUDAAPI cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
                                    CUmemGenericAllocationHandle handle, unsigned long long flags) {
  if (flags) return CUDA_ERROR_INVALID_VALUE;
  gs_vmm_map_args a = {ptr, size, offset, handle};
  return gs_call(GS_gs_vmm_map, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_map_args, &a, 0, 0);
}

GS_EXPORT CUresult CUDAAPI cuMemUnmap(CUdeviceptr ptr, size_t size) {
  gs_vmm_unmap_args a = {ptr, size};
  CUresult e = gs_call(GS_gs_vmm_unmap, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_unmap_args, &a, 0, 0);
  if (!e) gs_client_forget_mapping(ptr);
  return e;
}

GS_EXPORT CUresult CUDAAPI cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc *desc,
                                          size_t count) {
  if (!desc || count == 0) return CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < count; i++)
    if (desc[i].location.type != CU_MEM_LOCATION_TYPE_DEVICE) return CUDA_ERROR_INVALID_VALUE;
  int readable = 0;
  for (size_t i = 0; i < count; i++) {
    gs_vmm_set_access_args a = {ptr, size, desc[i].location.id, (u_int)desc[i].flags};
    CUresult e = gs_call(GS_gs_vmm_set_access, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_set_access_args, &a, 0, 0);
    if (e) return e;
    readable |= desc[i].flags != CU_MEM_ACCESS_FLAGS_PROT_NONE;
  }
  gs_client_forget_mapping(ptr);
  if (readable) gs_client_note_alloc(ptr, size, 1);   /* cuMemFree refuses it */
  return CUDA_SUCCESS;
}

GS_EXPORT CUresult CUDAAPI cuMemGetAccess(unsigned long long *flags, const CUmemLocation *location,
                                          CUdeviceptr ptr) {
  if (!flags || !location || location->type != CU_MEM_LOCATION_TYPE_DEVICE) return CUDA_ERROR_INVALID_VALUE;
  gs_vmm_get_access_args a = {ptr, location->id};
  gs_vmm_get_access_res r = {0};
  CUresult e = gs_call(GS_gs_vmm_get_access, GS_F_SYNC, (xdrproc_t)xdr_gs_vmm_get_access_args, &a,
                       (xdrproc_t)xdr_gs_vmm_get_access_res, &r);
  if (!e) *flags = r.flags;
  return e;
}
