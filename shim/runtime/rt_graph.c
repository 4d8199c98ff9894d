/* rt_graph.c - CUDA graphs on the client: cudaGraph* node API, instantiation, launch, update.
 *
 * A graph is a DAG of rt_op records (the same operation descriptions the runtime's direct
 * stream calls build, see rt_submit in rt_capture.c), each node owning copies of what it needs
 * (kernel argument bytes, child graphs). An executable graph is a private clone plus a
 * topological order; cudaGraphLaunch issues the nodes in that order on the launch stream
 * through rt_op_issue, the path direct calls take, so a launch is batched over the link like
 * the same calls made one by one. Independent nodes run in order on one stream, which CUDA
 * allows. Nodes carry an id that clones keep: the executable graph's node for a node of the
 * original (cudaGraphExec*SetParams) and a clone's (cudaGraphNodeFindInClone) are found by it. */
#include "runtime.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct CUgraphNode_st {
  struct CUgraph_st *graph;
  size_t index;    /* position in graph->nodes */
  unsigned long id; /* kept by clones */
  bool disabled;   /* cudaGraphNodeSetEnabled on an executable graph's node */
  rt_op op;
  unsigned char *arg_bytes; /* kernel nodes: the argument buffer, op.u.kernel.args into it */
  void **arg_ptrs;
  struct CUgraphNode_st **deps;
  size_t ndeps;
};

struct CUgraph_st {
  struct CUgraphNode_st **nodes;
  size_t n, cap;
  unsigned long next_id;
  size_t *order; /* topological order, NULL until computed (reset by any change) */
};

struct CUgraphExec_st {
  struct CUgraph_st *graph;
  unsigned long long flags;
};

typedef struct CUgraphNode_st node;
typedef struct CUgraph_st graph;

#define DPTR(p) ((CUdeviceptr)(uintptr_t)(p))

/* ---- issuing one operation ---- */

static CUresult memset_async(const struct cudaMemsetParams *m, CUstream s) {
  size_t pitch = m->pitch ? m->pitch : m->width * m->elementSize;
  if (m->height <= 1 && m->elementSize == 1)
    return cuMemsetD8Async(DPTR(m->dst), (unsigned char)m->value, m->width, s);
  switch (m->elementSize) {
  case 1: return cuMemsetD2D8Async(DPTR(m->dst), pitch, (unsigned char)m->value, m->width, m->height, s);
  case 2: return cuMemsetD2D16Async(DPTR(m->dst), pitch, (unsigned short)m->value, m->width, m->height, s);
  case 4: return cuMemsetD2D32Async(DPTR(m->dst), pitch, m->value, m->width, m->height, s);
  }
  return CUDA_ERROR_INVALID_VALUE;
}

static CUresult replay(graph *g, CUstream s);

CUresult rt_op_issue(const rt_op *op, CUstream s) {
  switch (op->kind) {
  case RT_OP_KERNEL: {
    const dim3 gr = op->u.kernel.grid, bl = op->u.kernel.block;
    if (op->u.kernel.coop)
      return cuLaunchCooperativeKernel(op->u.kernel.f, gr.x, gr.y, gr.z, bl.x, bl.y, bl.z, op->u.kernel.shared,
                                       s, op->u.kernel.args);
    return cuLaunchKernel(op->u.kernel.f, gr.x, gr.y, gr.z, bl.x, bl.y, bl.z, op->u.kernel.shared,
                          s, op->u.kernel.args, NULL);
  }
  case RT_OP_MEMCPY:
    if (op->u.copy.count == 0) return CUDA_SUCCESS;
    return rt_copy_async(op->u.copy.dst, op->u.copy.src, op->u.copy.count, op->u.copy.kind, s);
  case RT_OP_MEMCPY2D: return cuMemcpy2DAsync(&op->u.copy2d, s);
  case RT_OP_MEMSET: return memset_async(&op->u.memset, s);
  case RT_OP_HOST: return cuLaunchHostFunc(s, op->u.host.fn, op->u.host.userData);
  case RT_OP_EVENT_RECORD: return cuEventRecord(op->u.event.event, s);
  case RT_OP_EVENT_WAIT: return cuStreamWaitEvent(s, op->u.event.event, 0);
  case RT_OP_GRAPH: return replay(op->u.graph, s);
  case RT_OP_EMPTY:
  case RT_OP_MEM_ALLOC:
  case RT_OP_MEM_FREE: return CUDA_SUCCESS;
  }
  return CUDA_ERROR_INVALID_VALUE;
}

/* ---- graph memory ----
 * A graph allocation belongs to the graph: every alloc node holding it (in graphs, clones and
 * executable graphs) counts a reference. Freeing it - a free node, or cudaFree/cudaFreeAsync
 * outside the graph - only marks it free: the next launch "allocates" it again at the same
 * address, as CUDA does. The memory goes back to the device once it is free and no node
 * holds it any more. */

typedef struct graph_mem {
  void *ptr;
  size_t size;
  unsigned refs;
  bool freed;
  struct graph_mem *next;
} graph_mem;

static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static graph_mem *mems;
static uint64_t mem_used, mem_high; /* bytes of graph memory, and the most since reset */

static graph_mem **mem_find(void *ptr) {
  graph_mem **p = &mems;
  while (*p && (*p)->ptr != ptr) p = &(*p)->next;
  return p;
}

/* Lock held: gives m's memory back when nothing can use it any more. */
static void mem_settle(graph_mem **p) {
  graph_mem *m = *p;
  if (m->refs || !m->freed) return;
  *p = m->next;
  cuMemFree((CUdeviceptr)(uintptr_t)m->ptr);
  mem_used -= m->size;
  free(m);
}

/* delta: +1/-1 reference from an alloc node; 0 marks the memory freed (a free node). */
static void mem_note(void *ptr, size_t size, int delta) {
  pthread_mutex_lock(&mem_lock);
  graph_mem **p = mem_find(ptr);
  if (!*p && delta > 0 && (*p = calloc(1, sizeof **p))) {
    (*p)->ptr = ptr;
    (*p)->size = size;
    mem_used += size;
    if (mem_used > mem_high) mem_high = mem_used;
  }
  if (*p) {
    if (delta > 0) (*p)->refs++;
    else if (delta < 0 && (*p)->refs) (*p)->refs--;
    else if (delta == 0) (*p)->freed = true;
    mem_settle(p);
  }
  pthread_mutex_unlock(&mem_lock);
}

bool rt_graph_mem_free(void *ptr) {
  pthread_mutex_lock(&mem_lock);
  graph_mem **p = mem_find(ptr);
  bool ours = *p != NULL;
  if (ours) {
    (*p)->freed = true;
    mem_settle(p);
  }
  pthread_mutex_unlock(&mem_lock);
  return ours;
}

static void mem_op_note(const rt_op *op, int delta) {
  if (op->kind == RT_OP_MEM_ALLOC) mem_note(op->u.mem.ptr, op->u.mem.size, delta);
  if (op->kind == RT_OP_MEM_FREE && delta > 0) mem_note(op->u.mem.ptr, 0, 0);
}

/* ---- graph structure ---- */

graph *rt_graph_new(void) { return calloc(1, sizeof(graph)); }

static void node_free(node *n) {
  if (n->op.kind == RT_OP_GRAPH) rt_graph_free(n->op.u.graph);
  mem_op_note(&n->op, -1);
  free(n->arg_bytes);
  free(n->arg_ptrs);
  free(n->deps);
  free(n);
}

void rt_graph_free(graph *g) {
  if (!g) return;
  for (size_t i = 0; i < g->n; i++) node_free(g->nodes[i]);
  free(g->nodes);
  free(g->order);
  free(g);
}

static void changed(graph *g) {
  free(g->order);
  g->order = NULL;
}

static cudaError_t add_dep(node *n, node *dep) {
  for (size_t i = 0; i < n->ndeps; i++)
    if (n->deps[i] == dep) return cudaSuccess;
  node **d = realloc(n->deps, (n->ndeps + 1) * sizeof *d);
  if (!d) return cudaErrorMemoryAllocation;
  n->deps = d;
  n->deps[n->ndeps++] = dep;
  changed(n->graph);
  return cudaSuccess;
}

/* Copies a kernel's arguments into the node, laid out as cuFuncGetParamInfo describes. */
static cudaError_t copy_kernel_args(node *n) {
  void **args = n->op.u.kernel.args;
  size_t count = 0, total = 0, off, size;
  while (cuFuncGetParamInfo(n->op.u.kernel.f, count, &off, &size) == CUDA_SUCCESS) {
    if (off + size > total) total = off + size;
    count++;
  }
  if (count > 0 && !args) return cudaErrorInvalidValue;
  unsigned char *bytes = calloc(1, total ? total : 1);
  void **ptrs = calloc(count ? count : 1, sizeof *ptrs);
  if (!bytes || !ptrs) {
    free(bytes);
    free(ptrs);
    return cudaErrorMemoryAllocation;
  }
  for (size_t i = 0; i < count; i++) {
    cuFuncGetParamInfo(n->op.u.kernel.f, i, &off, &size);
    memcpy(bytes + off, args[i], size);
    ptrs[i] = bytes + off;
  }
  free(n->arg_bytes);
  free(n->arg_ptrs);
  n->arg_bytes = bytes;
  n->arg_ptrs = ptrs;
  n->op.u.kernel.args = ptrs;
  return cudaSuccess;
}

static graph *graph_clone(const graph *g);
static bool topological_order(graph *g);

/* Gives node n its own copy of op's out-of-line data (arguments, child graph). */
static cudaError_t own_op(node *n, const rt_op *op) {
  rt_op old = n->op;
  n->op = *op;
  cudaError_t err = cudaSuccess;
  if (op->kind == RT_OP_KERNEL) err = copy_kernel_args(n);
  if (op->kind == RT_OP_GRAPH && !(n->op.u.graph = graph_clone(op->u.graph))) err = cudaErrorMemoryAllocation;
  if (op->kind == RT_OP_GRAPH && err == cudaSuccess) topological_order(n->op.u.graph); /* see ordered() */
  if (err != cudaSuccess) {
    n->op = old;
    return err;
  }
  if (old.kind == RT_OP_GRAPH) rt_graph_free(old.u.graph);
  mem_op_note(op, +1);
  mem_op_note(&old, -1);
  return cudaSuccess;
}

cudaError_t rt_graph_add(graph *g, const rt_op *op, node *const *deps, size_t ndeps, node **out) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 16;
    node **nodes = realloc(g->nodes, cap * sizeof *nodes);
    if (!nodes) return cudaErrorMemoryAllocation;
    g->nodes = nodes;
    g->cap = cap;
  }
  node *n = calloc(1, sizeof *n);
  if (!n) return cudaErrorMemoryAllocation;
  n->graph = g;
  n->index = g->n;
  n->id = g->next_id;
  n->op.kind = RT_OP_EMPTY;
  cudaError_t err = own_op(n, op);
  for (size_t i = 0; err == cudaSuccess && i < ndeps; i++) err = add_dep(n, deps[i]);
  if (err != cudaSuccess) {
    node_free(n);
    return err;
  }
  g->nodes[g->n++] = n;
  g->next_id++;
  changed(g);
  if (out) *out = n;
  return cudaSuccess;
}

/* Nodes first, then edges: cudaGraphAddDependencies may point an edge at a later node. */
static graph *graph_clone(const graph *g) {
  graph *c = rt_graph_new();
  if (!c) return NULL;
  for (size_t i = 0; i < g->n; i++) {
    node *n;
    c->next_id = g->nodes[i]->id;
    if (rt_graph_add(c, &g->nodes[i]->op, NULL, 0, &n) != cudaSuccess) goto fail;
    n->disabled = g->nodes[i]->disabled;
  }
  for (size_t i = 0; i < g->n; i++)
    for (size_t d = 0; d < g->nodes[i]->ndeps; d++)
      if (add_dep(c->nodes[i], c->nodes[g->nodes[i]->deps[d]->index]) != cudaSuccess) goto fail;
  c->next_id = g->next_id;
  return c;
fail:
  rt_graph_free(c);
  return NULL;
}

/* A walk over in-edges with an explicit stack, each node visited once (fork/join chains make
 * the number of paths exponential, long captures make recursion deep). */
bool rt_graph_reaches(node *const *nodes, size_t n, const node *target) {
  size_t total = target->graph->n, top = 0;
  bool *seen = calloc(total + 1, sizeof *seen); /* marked when pushed: each node once */
  const node **stack = malloc((total + 1) * sizeof *stack);
  if (!seen || !stack) {
    free(seen);
    free(stack);
    return true; /* out of memory: do not refuse the capture */
  }
  bool found = false;
  for (size_t i = 0; i < n && !found; i++) {
    found = nodes[i] == target;
    if (!seen[nodes[i]->index]) seen[nodes[i]->index] = true, stack[top++] = nodes[i];
  }
  while (top > 0 && !found) {
    const node *cur = stack[--top];
    for (size_t d = 0; d < cur->ndeps && !found; d++) {
      const node *dep = cur->deps[d];
      found = dep == target;
      if (!seen[dep->index]) seen[dep->index] = true, stack[top++] = dep;
    }
  }
  free(seen);
  free(stack);
  return found;
}

/* Depth-first over in-edges (dependencies first), with an explicit stack: O(nodes + edges),
 * no recursion however long the graph. False when the graph has a cycle. */
static bool topological_order(graph *g) {
  if (g->order) return true;
  size_t n = g->n, done = 0, top = 0;
  size_t *order = malloc((n + 1) * sizeof *order), *stack = malloc((n + 1) * sizeof *stack);
  size_t *next_dep = calloc(n + 1, sizeof *next_dep);
  unsigned char *state = calloc(n + 1, 1); /* 0 new, 1 on the stack, 2 ordered */
  bool ok = order && stack && next_dep && state;
  for (size_t root = 0; ok && root < n; root++) {
    if (state[root]) continue;
    state[root] = 1;
    stack[top++] = root;
    while (ok && top > 0) {
      const node *cur = g->nodes[stack[top - 1]];
      if (next_dep[cur->index] == cur->ndeps) {
        state[cur->index] = 2;
        order[done++] = cur->index;
        top--;
        continue;
      }
      size_t d = cur->deps[next_dep[cur->index]++]->index;
      if (state[d] == 1) ok = false; /* back to a node on the stack: a cycle */
      if (state[d] == 0) state[d] = 1, stack[top++] = d;
    }
  }
  free(stack);
  free(next_dep);
  free(state);
  if (!ok) {
    free(order);
    return false;
  }
  g->order = order;
  return true;
}

/* g and every child graph in it have their order: launches then only read the graph, so
 * several threads may launch one executable graph. False when some graph has a cycle. */
static bool ordered(graph *g) {
  if (!topological_order(g)) return false;
  for (size_t i = 0; i < g->n; i++)
    if (g->nodes[i]->op.kind == RT_OP_GRAPH && !ordered(g->nodes[i]->op.u.graph)) return false;
  return true;
}

static CUresult replay(graph *g, CUstream s) {
  if (!topological_order(g)) return CUDA_ERROR_INVALID_VALUE;
  for (size_t i = 0; i < g->n; i++) {
    const node *n = g->nodes[g->order[i]];
    CUresult r = n->disabled ? CUDA_SUCCESS : rt_op_issue(&n->op, s);
    if (r != CUDA_SUCCESS) return r;
  }
  return CUDA_SUCCESS;
}

/* ---- building ops from the runtime's node parameters ---- */

static cudaError_t kernel_op(const struct cudaKernelNodeParams *p, rt_op *op) {
  if (!p || p->extra) return p ? cudaErrorNotSupported : cudaErrorInvalidValue;
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  rt_function *fn = rt_find_function(p->func);
  if (!fn) return cudaErrorInvalidDeviceFunction;
  CUfunction f;
  if ((err = rt_function_handle(fn, &f)) != cudaSuccess) return err;
  *op = (rt_op){.kind = RT_OP_KERNEL};
  op->u.kernel.func = p->func;
  op->u.kernel.f = f;
  op->u.kernel.grid = p->gridDim;
  op->u.kernel.block = p->blockDim;
  op->u.kernel.shared = p->sharedMemBytes;
  op->u.kernel.args = p->kernelParams;
  return cudaSuccess;
}

static void memory_types(enum cudaMemcpyKind kind, CUmemorytype *src, CUmemorytype *dst) {
  bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  *src = kind == cudaMemcpyDefault ? CU_MEMORYTYPE_UNIFIED : src_dev ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
  *dst = kind == cudaMemcpyDefault ? CU_MEMORYTYPE_UNIFIED : dst_dev ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
}

/* A 3D copy between pitched pointers of depth 1 is a 2D copy; arrays and depth > 1 are not
 * supported yet. */
static cudaError_t memcpy_op(const struct cudaMemcpy3DParms *p, rt_op *op) {
  if (!p) return cudaErrorInvalidValue;
  if (p->srcArray || p->dstArray || p->extent.depth > 1 || p->srcPos.z || p->dstPos.z)
    return cudaErrorNotSupported;
  if (p->kind < cudaMemcpyHostToHost || p->kind > cudaMemcpyDefault) return cudaErrorInvalidMemcpyDirection;
  *op = (rt_op){.kind = RT_OP_MEMCPY2D};
  CUDA_MEMCPY2D *c = &op->u.copy2d;
  memory_types(p->kind, &c->srcMemoryType, &c->dstMemoryType);
  const char *src = (const char *)p->srcPtr.ptr + p->srcPos.y * p->srcPtr.pitch + p->srcPos.x;
  char *dst = (char *)p->dstPtr.ptr + p->dstPos.y * p->dstPtr.pitch + p->dstPos.x;
  c->srcHost = src;
  c->srcDevice = DPTR(src);
  c->srcPitch = p->srcPtr.pitch;
  c->dstHost = dst;
  c->dstDevice = DPTR(dst);
  c->dstPitch = p->dstPtr.pitch;
  c->WidthInBytes = p->extent.width;
  c->Height = p->extent.height ? p->extent.height : 1;
  return cudaSuccess;
}

static cudaError_t memcpy1d_op(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind, rt_op *op) {
  if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) return cudaErrorInvalidMemcpyDirection;
  *op = (rt_op){.kind = RT_OP_MEMCPY};
  op->u.copy.dst = dst;
  op->u.copy.src = src;
  op->u.copy.count = count;
  op->u.copy.kind = kind;
  return cudaSuccess;
}

static cudaError_t memset_op(const struct cudaMemsetParams *p, rt_op *op) {
  if (!p || (p->elementSize != 1 && p->elementSize != 2 && p->elementSize != 4) || p->height == 0)
    return cudaErrorInvalidValue;
  *op = (rt_op){.kind = RT_OP_MEMSET};
  op->u.memset = *p;
  return cudaSuccess;
}

static cudaError_t host_op(const struct cudaHostNodeParams *p, rt_op *op) {
  if (!p || !p->fn) return cudaErrorInvalidValue;
  *op = (rt_op){.kind = RT_OP_HOST};
  op->u.host = *p;
  return cudaSuccess;
}

static rt_op event_op(rt_op_kind kind, cudaEvent_t event) {
  rt_op op = {.kind = kind};
  op.u.event.event = (CUevent)event;
  return op;
}

/* ---- the cudaGraph* API ---- */

static bool deps_valid(graph *g, const cudaGraphNode_t *deps, size_t n) {
  if (n && !deps) return false;
  for (size_t i = 0; i < n; i++)
    if (!deps[i] || deps[i]->graph != g) return false;
  return true;
}

/* Every cudaGraphAdd*Node ends here: checks, then adds the node built in op. */
static cudaError_t add_node(cudaGraphNode_t *out, cudaGraph_t g, const cudaGraphNode_t *deps,
                            size_t ndeps, cudaError_t built, const rt_op *op) {
  if (!out || !g || !deps_valid(g, deps, ndeps)) return rt_set_error(cudaErrorInvalidValue);
  if (built != cudaSuccess) return rt_set_error(built);
  return rt_set_error(rt_graph_add(g, op, deps, ndeps, out));
}

RT_EXPORT cudaError_t cudaGraphCreate(cudaGraph_t *pGraph, unsigned int flags) {
  if (!pGraph || flags) return rt_set_error(cudaErrorInvalidValue);
  *pGraph = rt_graph_new();
  return *pGraph ? cudaSuccess : rt_set_error(cudaErrorMemoryAllocation);
}

RT_EXPORT cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  if (!graph) return rt_set_error(cudaErrorInvalidValue);
  rt_graph_free(graph);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphAddKernelNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                             const cudaGraphNode_t *pDependencies, size_t numDependencies,
                                             const struct cudaKernelNodeParams *pNodeParams) {
  rt_op op;
  cudaError_t built = kernel_op(pNodeParams, &op);
  return add_node(pGraphNode, graph, pDependencies, numDependencies, built, &op);
}

RT_EXPORT cudaError_t cudaGraphAddMemcpyNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                             const cudaGraphNode_t *pDependencies, size_t numDependencies,
                                             const struct cudaMemcpy3DParms *pCopyParams) {
  rt_op op;
  cudaError_t built = memcpy_op(pCopyParams, &op);
  return add_node(pGraphNode, graph, pDependencies, numDependencies, built, &op);
}

RT_EXPORT cudaError_t cudaGraphAddMemcpyNode1D(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                               const cudaGraphNode_t *pDependencies, size_t numDependencies,
                                               void *dst, const void *src, size_t count,
                                               enum cudaMemcpyKind kind) {
  rt_op op;
  cudaError_t built = memcpy1d_op(dst, src, count, kind, &op);
  return add_node(pGraphNode, graph, pDependencies, numDependencies, built, &op);
}

RT_EXPORT cudaError_t cudaGraphAddMemsetNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                             const cudaGraphNode_t *pDependencies, size_t numDependencies,
                                             const struct cudaMemsetParams *pMemsetParams) {
  rt_op op;
  cudaError_t built = memset_op(pMemsetParams, &op);
  return add_node(pGraphNode, graph, pDependencies, numDependencies, built, &op);
}

RT_EXPORT cudaError_t cudaGraphAddHostNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                           const cudaGraphNode_t *pDependencies, size_t numDependencies,
                                           const struct cudaHostNodeParams *pNodeParams) {
  rt_op op;
  cudaError_t built = host_op(pNodeParams, &op);
  return add_node(pGraphNode, graph, pDependencies, numDependencies, built, &op);
}

RT_EXPORT cudaError_t cudaGraphAddChildGraphNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                                 const cudaGraphNode_t *pDependencies,
                                                 size_t numDependencies, cudaGraph_t childGraph) {
  rt_op op = {.kind = RT_OP_GRAPH};
  op.u.graph = childGraph;
  return add_node(pGraphNode, graph, pDependencies, numDependencies,
                  childGraph && childGraph != graph ? cudaSuccess : cudaErrorInvalidValue, &op);
}

RT_EXPORT cudaError_t cudaGraphAddEmptyNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                            const cudaGraphNode_t *pDependencies, size_t numDependencies) {
  rt_op op = {.kind = RT_OP_EMPTY};
  return add_node(pGraphNode, graph, pDependencies, numDependencies, cudaSuccess, &op);
}

RT_EXPORT cudaError_t cudaGraphAddEventRecordNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                                  const cudaGraphNode_t *pDependencies,
                                                  size_t numDependencies, cudaEvent_t event) {
  rt_op op = event_op(RT_OP_EVENT_RECORD, event);
  return add_node(pGraphNode, graph, pDependencies, numDependencies,
                  event ? cudaSuccess : cudaErrorInvalidValue, &op);
}

RT_EXPORT cudaError_t cudaGraphAddEventWaitNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                                const cudaGraphNode_t *pDependencies,
                                                size_t numDependencies, cudaEvent_t event) {
  rt_op op = event_op(RT_OP_EVENT_WAIT, event);
  return add_node(pGraphNode, graph, pDependencies, numDependencies,
                  event ? cudaSuccess : cudaErrorInvalidValue, &op);
}

/* Graph memory: the allocation is made with the node, so its address is fixed as CUDA
 * promises, and stays reserved for the graph (and its clones and executable graphs) while
 * any of them holds it, and until it is freed (see "graph memory" above); alloc and free
 * nodes themselves do nothing when run. */
RT_EXPORT cudaError_t cudaGraphAddMemAllocNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                               const cudaGraphNode_t *pDependencies, size_t numDependencies,
                                               struct cudaMemAllocNodeParams *nodeParams) {
  if (!pGraphNode || !graph || !nodeParams || nodeParams->bytesize == 0 ||
      nodeParams->poolProps.allocType != cudaMemAllocationTypePinned ||
      nodeParams->poolProps.location.type != cudaMemLocationTypeDevice ||
      !deps_valid(graph, pDependencies, numDependencies))
    return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  CUdeviceptr p = 0;
  CUresult r = cuMemAlloc(&p, nodeParams->bytesize);
  if (r != CUDA_SUCCESS) return rt_check(r);
  rt_op op = {.kind = RT_OP_MEM_ALLOC};
  op.u.mem.ptr = (void *)(uintptr_t)p;
  op.u.mem.size = nodeParams->bytesize;
  err = add_node(pGraphNode, graph, pDependencies, numDependencies, cudaSuccess, &op);
  if (err != cudaSuccess && !rt_graph_mem_free(op.u.mem.ptr)) cuMemFree(p);
  else if (err == cudaSuccess) nodeParams->dptr = op.u.mem.ptr;
  return err;
}

RT_EXPORT cudaError_t cudaGraphMemAllocNodeGetParams(cudaGraphNode_t node, struct cudaMemAllocNodeParams *params_out) {
  if (!node || !params_out || node->op.kind != RT_OP_MEM_ALLOC) return rt_set_error(cudaErrorInvalidValue);
  memset(params_out, 0, sizeof *params_out);
  params_out->poolProps.allocType = cudaMemAllocationTypePinned;
  params_out->poolProps.location.type = cudaMemLocationTypeDevice;
  params_out->poolProps.location.id = rt_current_device();
  params_out->bytesize = node->op.u.mem.size;
  params_out->dptr = node->op.u.mem.ptr;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphAddMemFreeNode(cudaGraphNode_t *pGraphNode, cudaGraph_t graph,
                                              const cudaGraphNode_t *pDependencies, size_t numDependencies,
                                              void *dptr) {
  rt_op op = {.kind = RT_OP_MEM_FREE};
  op.u.mem.ptr = dptr;
  return add_node(pGraphNode, graph, pDependencies, numDependencies,
                  dptr ? cudaSuccess : cudaErrorInvalidValue, &op);
}

RT_EXPORT cudaError_t cudaGraphMemFreeNodeGetParams(cudaGraphNode_t node, void *dptr_out) {
  if (!node || !dptr_out || node->op.kind != RT_OP_MEM_FREE) return rt_set_error(cudaErrorInvalidValue);
  *(void **)dptr_out = node->op.u.mem.ptr;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaDeviceGraphMemTrim(int device) {
  (void)device; /* graph memory is the program's until it frees it: nothing held back */
  return cudaSuccess;
}

static bool valid_device(int device) {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && device >= 0 && device < count;
}

/* Graph memory is made when its node is, and nothing is cached beyond it (see cudaDeviceGraphMemTrim),
 * so the used and reserved figures are the same. */
RT_EXPORT cudaError_t cudaDeviceGetGraphMemAttribute(int device, enum cudaGraphMemAttributeType attr, void *value) {
  if (!value || !valid_device(device) || attr > cudaGraphMemAttrReservedMemHigh)
    return rt_set_error(valid_device(device) ? cudaErrorInvalidValue : cudaErrorInvalidDevice);
  pthread_mutex_lock(&mem_lock);
  bool high = attr == cudaGraphMemAttrUsedMemHigh || attr == cudaGraphMemAttrReservedMemHigh;
  *(uint64_t *)value = high ? mem_high : mem_used;
  pthread_mutex_unlock(&mem_lock);
  return cudaSuccess;
}

/* Only the high watermarks can be set, and only to zero (they restart from the current use). */
RT_EXPORT cudaError_t cudaDeviceSetGraphMemAttribute(int device, enum cudaGraphMemAttributeType attr, void *value) {
  if (!valid_device(device)) return rt_set_error(cudaErrorInvalidDevice);
  bool high = attr == cudaGraphMemAttrUsedMemHigh || attr == cudaGraphMemAttrReservedMemHigh;
  if (!value || !high || *(uint64_t *)value != 0) return rt_set_error(cudaErrorInvalidValue);
  pthread_mutex_lock(&mem_lock);
  mem_high = mem_used;
  pthread_mutex_unlock(&mem_lock);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphAddDependencies(cudaGraph_t graph, const cudaGraphNode_t *from,
                                               const cudaGraphNode_t *to,
                                               const cudaGraphEdgeData *edgeData, size_t numDependencies) {
  (void)edgeData; /* default edges only: data-less, full dependency */
  if (!graph || !deps_valid(graph, from, numDependencies) || !deps_valid(graph, to, numDependencies))
    return rt_set_error(cudaErrorInvalidValue);
  for (size_t i = 0; i < numDependencies; i++) {
    if (from[i] == to[i]) return rt_set_error(cudaErrorInvalidValue);
    cudaError_t err = add_dep(to[i], from[i]);
    if (err != cudaSuccess) return rt_set_error(err);
  }
  return cudaSuccess;
}

/* Fills a caller's array CUDA's way: count only when out is NULL, else up to *n entries, the
 * rest NULL, and *n the number written. */
static cudaError_t list_out(cudaGraphNode_t *out, size_t *n, node *const *items, size_t count) {
  if (!n) return rt_set_error(cudaErrorInvalidValue);
  if (!out) {
    *n = count;
    return cudaSuccess;
  }
  for (size_t i = 0; i < *n; i++) out[i] = i < count ? items[i] : NULL;
  if (count < *n) *n = count;
  return cudaSuccess;
}

static void clear_edge_data(cudaGraphEdgeData *edgeData, size_t n) {
  if (edgeData) memset(edgeData, 0, n * sizeof *edgeData);
}

RT_EXPORT cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t *nodes, size_t *numNodes) {
  if (!graph) return rt_set_error(cudaErrorInvalidValue);
  return list_out(nodes, numNodes, graph->nodes, graph->n);
}

/* Nodes of g selected by keep(node, arg), in index order, into a fresh array. */
static cudaError_t select_nodes(graph *g, bool (*keep)(const node *, const void *), const void *arg,
                                node ***out, size_t *count) {
  *out = malloc((g->n ? g->n : 1) * sizeof **out);
  if (!*out) return cudaErrorMemoryAllocation;
  *count = 0;
  for (size_t i = 0; i < g->n; i++)
    if (keep(g->nodes[i], arg)) (*out)[(*count)++] = g->nodes[i];
  return cudaSuccess;
}

static bool is_root(const node *n, const void *arg) { (void)arg; return n->ndeps == 0; }

static bool depends_on(const node *n, const void *arg) {
  for (size_t i = 0; i < n->ndeps; i++)
    if (n->deps[i] == arg) return true;
  return false;
}

static cudaError_t selected_out(graph *g, bool (*keep)(const node *, const void *), const void *arg,
                                cudaGraphNode_t *out, size_t *n) {
  node **sel;
  size_t count;
  if (!g || !n) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = select_nodes(g, keep, arg, &sel, &count);
  if (err != cudaSuccess) return rt_set_error(err);
  err = list_out(out, n, sel, count);
  free(sel);
  return err;
}

RT_EXPORT cudaError_t cudaGraphGetRootNodes(cudaGraph_t graph, cudaGraphNode_t *pRootNodes,
                                            size_t *pNumRootNodes) {
  return selected_out(graph, is_root, NULL, pRootNodes, pNumRootNodes);
}

RT_EXPORT cudaError_t cudaGraphNodeGetDependencies(cudaGraphNode_t node, cudaGraphNode_t *pDependencies,
                                                   cudaGraphEdgeData *edgeData, size_t *pNumDependencies) {
  if (!node) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = list_out(pDependencies, pNumDependencies, node->deps, node->ndeps);
  if (err == cudaSuccess && pDependencies) clear_edge_data(edgeData, *pNumDependencies);
  return err;
}

RT_EXPORT cudaError_t cudaGraphNodeGetDependentNodes(cudaGraphNode_t node, cudaGraphNode_t *pDependentNodes,
                                                     cudaGraphEdgeData *edgeData, size_t *pNumDependentNodes) {
  if (!node) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = selected_out(node->graph, depends_on, node, pDependentNodes, pNumDependentNodes);
  if (err == cudaSuccess && pDependentNodes) clear_edge_data(edgeData, *pNumDependentNodes);
  return err;
}

static const enum cudaGraphNodeType node_types[] = {
  [RT_OP_KERNEL] = cudaGraphNodeTypeKernel, [RT_OP_MEMCPY] = cudaGraphNodeTypeMemcpy,
  [RT_OP_MEMCPY2D] = cudaGraphNodeTypeMemcpy, [RT_OP_MEMSET] = cudaGraphNodeTypeMemset,
  [RT_OP_HOST] = cudaGraphNodeTypeHost, [RT_OP_EVENT_RECORD] = cudaGraphNodeTypeEventRecord,
  [RT_OP_EVENT_WAIT] = cudaGraphNodeTypeWaitEvent, [RT_OP_GRAPH] = cudaGraphNodeTypeGraph,
  [RT_OP_EMPTY] = cudaGraphNodeTypeEmpty, [RT_OP_MEM_ALLOC] = cudaGraphNodeTypeMemAlloc,
  [RT_OP_MEM_FREE] = cudaGraphNodeTypeMemFree,
};

RT_EXPORT cudaError_t cudaGraphNodeGetType(cudaGraphNode_t node, enum cudaGraphNodeType *pType) {
  if (!node || !pType) return rt_set_error(cudaErrorInvalidValue);
  *pType = node_types[node->op.kind];
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphClone(cudaGraph_t *pGraphClone, cudaGraph_t originalGraph) {
  if (!pGraphClone || !originalGraph) return rt_set_error(cudaErrorInvalidValue);
  *pGraphClone = graph_clone(originalGraph);
  return *pGraphClone ? cudaSuccess : rt_set_error(cudaErrorMemoryAllocation);
}

/* The node of g with id, or NULL. */
static node *node_by_id(const graph *g, unsigned long id) {
  for (size_t i = 0; i < g->n; i++)
    if (g->nodes[i]->id == id) return g->nodes[i];
  return NULL;
}

RT_EXPORT cudaError_t cudaGraphNodeFindInClone(cudaGraphNode_t *pNode, cudaGraphNode_t originalNode,
                                               cudaGraph_t clonedGraph) {
  node *n = pNode && originalNode && clonedGraph ? node_by_id(clonedGraph, originalNode->id) : NULL;
  if (!n) return rt_set_error(cudaErrorInvalidValue);
  *pNode = n;
  return cudaSuccess;
}

static bool remove_dep(node *n, const node *dep) {
  for (size_t i = 0; i < n->ndeps; i++)
    if (n->deps[i] == dep) {
      n->deps[i] = n->deps[--n->ndeps];
      changed(n->graph);
      return true;
    }
  return false;
}

RT_EXPORT cudaError_t cudaGraphRemoveDependencies(cudaGraph_t graph, const cudaGraphNode_t *from,
                                                  const cudaGraphNode_t *to,
                                                  const cudaGraphEdgeData *edgeData, size_t numDependencies) {
  (void)edgeData;
  if (!graph || !deps_valid(graph, from, numDependencies) || !deps_valid(graph, to, numDependencies))
    return rt_set_error(cudaErrorInvalidValue);
  for (size_t i = 0; i < numDependencies; i++)
    if (!remove_dep(to[i], from[i])) return rt_set_error(cudaErrorInvalidValue);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphDestroyNode(cudaGraphNode_t node) {
  if (!node) return rt_set_error(cudaErrorInvalidValue);
  graph *g = node->graph;
  for (size_t i = 0; i < g->n; i++) remove_dep(g->nodes[i], node);
  for (size_t i = node->index; i + 1 < g->n; i++) {
    g->nodes[i] = g->nodes[i + 1];
    g->nodes[i]->index = i;
  }
  g->n--;
  changed(g);
  node_free(node);
  return cudaSuccess;
}

/* Edges as (from, to) pairs in node order, CUDA's counting convention as list_out. */
RT_EXPORT cudaError_t cudaGraphGetEdges(cudaGraph_t graph, cudaGraphNode_t *from, cudaGraphNode_t *to,
                                        cudaGraphEdgeData *edgeData, size_t *numEdges) {
  if (!graph || !numEdges || (!from != !to)) return rt_set_error(cudaErrorInvalidValue);
  size_t count = 0;
  for (size_t i = 0; i < graph->n; i++)
    for (size_t d = 0; d < graph->nodes[i]->ndeps; d++, count++)
      if (from && count < *numEdges) {
        from[count] = graph->nodes[i]->deps[d];
        to[count] = graph->nodes[i];
      }
  if (!from) {
    *numEdges = count;
    return cudaSuccess;
  }
  for (size_t i = count; i < *numEdges; i++) from[i] = to[i] = NULL;
  if (count < *numEdges) *numEdges = count;
  clear_edge_data(edgeData, *numEdges);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphChildGraphNodeGetGraph(cudaGraphNode_t node, cudaGraph_t *pGraph) {
  if (!node || !pGraph || node->op.kind != RT_OP_GRAPH) return rt_set_error(cudaErrorInvalidValue);
  *pGraph = node->op.u.graph;
  return cudaSuccess;
}

/* ---- node parameters ---- */

static cudaError_t set_op(node *n, rt_op_kind kind, cudaError_t built, const rt_op *op) {
  if (!n || (n->op.kind != kind && !(kind == RT_OP_MEMCPY2D && n->op.kind == RT_OP_MEMCPY)))
    return rt_set_error(cudaErrorInvalidValue);
  if (built != cudaSuccess) return rt_set_error(built);
  return rt_set_error(own_op(n, op));
}

RT_EXPORT cudaError_t cudaGraphKernelNodeGetParams(cudaGraphNode_t node, struct cudaKernelNodeParams *p) {
  if (!node || !p || node->op.kind != RT_OP_KERNEL) return rt_set_error(cudaErrorInvalidValue);
  rt_function *fn = rt_find_function(node->op.u.kernel.func); /* a cudaKernel_t from <<<>>> too */
  p->func = (void *)(fn ? rt_function_host(fn) : node->op.u.kernel.func);
  p->gridDim = node->op.u.kernel.grid;
  p->blockDim = node->op.u.kernel.block;
  p->sharedMemBytes = node->op.u.kernel.shared;
  p->kernelParams = node->arg_ptrs;
  p->extra = NULL;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphKernelNodeSetParams(cudaGraphNode_t node, const struct cudaKernelNodeParams *p) {
  rt_op op;
  cudaError_t built = kernel_op(p, &op);
  return set_op(node, RT_OP_KERNEL, built, &op);
}

RT_EXPORT cudaError_t cudaGraphMemsetNodeGetParams(cudaGraphNode_t node, struct cudaMemsetParams *p) {
  if (!node || !p || node->op.kind != RT_OP_MEMSET) return rt_set_error(cudaErrorInvalidValue);
  *p = node->op.u.memset;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphMemsetNodeSetParams(cudaGraphNode_t node, const struct cudaMemsetParams *p) {
  rt_op op;
  cudaError_t built = memset_op(p, &op);
  return set_op(node, RT_OP_MEMSET, built, &op);
}

RT_EXPORT cudaError_t cudaGraphHostNodeGetParams(cudaGraphNode_t node, struct cudaHostNodeParams *p) {
  if (!node || !p || node->op.kind != RT_OP_HOST) return rt_set_error(cudaErrorInvalidValue);
  *p = node->op.u.host;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphHostNodeSetParams(cudaGraphNode_t node, const struct cudaHostNodeParams *p) {
  rt_op op;
  cudaError_t built = host_op(p, &op);
  return set_op(node, RT_OP_HOST, built, &op);
}

static enum cudaMemcpyKind kind_of(CUmemorytype src, CUmemorytype dst) {
  if (src == CU_MEMORYTYPE_UNIFIED || dst == CU_MEMORYTYPE_UNIFIED) return cudaMemcpyDefault;
  if (src == CU_MEMORYTYPE_HOST) return dst == CU_MEMORYTYPE_HOST ? cudaMemcpyHostToHost : cudaMemcpyHostToDevice;
  return dst == CU_MEMORYTYPE_HOST ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
}

RT_EXPORT cudaError_t cudaGraphMemcpyNodeGetParams(cudaGraphNode_t node, struct cudaMemcpy3DParms *p) {
  if (!node || !p || (node->op.kind != RT_OP_MEMCPY && node->op.kind != RT_OP_MEMCPY2D))
    return rt_set_error(cudaErrorInvalidValue);
  memset(p, 0, sizeof *p);
  if (node->op.kind == RT_OP_MEMCPY) {
    size_t n = node->op.u.copy.count;
    p->srcPtr = (struct cudaPitchedPtr){(void *)node->op.u.copy.src, n, n, 1};
    p->dstPtr = (struct cudaPitchedPtr){node->op.u.copy.dst, n, n, 1};
    p->extent = (struct cudaExtent){n, 1, 1};
    p->kind = node->op.u.copy.kind;
    return cudaSuccess;
  }
  const CUDA_MEMCPY2D *c = &node->op.u.copy2d;
  void *src = c->srcMemoryType == CU_MEMORYTYPE_HOST ? (void *)c->srcHost : (void *)(uintptr_t)c->srcDevice;
  void *dst = c->dstMemoryType == CU_MEMORYTYPE_HOST ? c->dstHost : (void *)(uintptr_t)c->dstDevice;
  p->srcPtr = (struct cudaPitchedPtr){src, c->srcPitch, c->WidthInBytes, c->Height};
  p->dstPtr = (struct cudaPitchedPtr){dst, c->dstPitch, c->WidthInBytes, c->Height};
  p->extent = (struct cudaExtent){c->WidthInBytes, c->Height, 1};
  p->kind = kind_of(c->srcMemoryType, c->dstMemoryType);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphMemcpyNodeSetParams(cudaGraphNode_t node, const struct cudaMemcpy3DParms *p) {
  rt_op op;
  cudaError_t built = memcpy_op(p, &op);
  return set_op(node, RT_OP_MEMCPY2D, built, &op);
}

RT_EXPORT cudaError_t cudaGraphMemcpyNodeSetParams1D(cudaGraphNode_t node, void *dst, const void *src,
                                                     size_t count, enum cudaMemcpyKind kind) {
  rt_op op;
  cudaError_t built = memcpy1d_op(dst, src, count, kind, &op);
  return set_op(node, RT_OP_MEMCPY2D, built, &op);
}

RT_EXPORT cudaError_t cudaGraphEventRecordNodeGetEvent(cudaGraphNode_t node, cudaEvent_t *event_out) {
  if (!node || !event_out || node->op.kind != RT_OP_EVENT_RECORD) return rt_set_error(cudaErrorInvalidValue);
  *event_out = (cudaEvent_t)node->op.u.event.event;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphEventWaitNodeGetEvent(cudaGraphNode_t node, cudaEvent_t *event_out) {
  if (!node || !event_out || node->op.kind != RT_OP_EVENT_WAIT) return rt_set_error(cudaErrorInvalidValue);
  *event_out = (cudaEvent_t)node->op.u.event.event;
  return cudaSuccess;
}

/* ---- executable graphs ---- */

RT_EXPORT cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
                                                    unsigned long long flags) {
  if (!pGraphExec || !graph) return rt_set_error(cudaErrorInvalidValue);
  if (flags & ~(unsigned long long)(cudaGraphInstantiateFlagAutoFreeOnLaunch | cudaGraphInstantiateFlagUpload |
                                    cudaGraphInstantiateFlagUseNodePriority))
    return rt_set_error(cudaErrorNotSupported);
  struct CUgraphExec_st *exec = calloc(1, sizeof *exec);
  if (!exec || !(exec->graph = graph_clone(graph))) {
    free(exec);
    return rt_set_error(cudaErrorMemoryAllocation);
  }
  if (!ordered(exec->graph)) {
    rt_graph_free(exec->graph);
    free(exec);
    return rt_set_error(cudaErrorInvalidValue); /* a cycle */
  }
  exec->flags = flags;
  *pGraphExec = exec;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphInstantiate(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
                                           unsigned long long flags) {
  return cudaGraphInstantiateWithFlags(pGraphExec, graph, flags);
}

RT_EXPORT cudaError_t cudaGraphInstantiateWithParams(cudaGraphExec_t *pGraphExec, cudaGraph_t graph,
                                                     cudaGraphInstantiateParams *params) {
  if (!params) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = cudaGraphInstantiateWithFlags(pGraphExec, graph, params->flags);
  params->result_out = err == cudaSuccess ? cudaGraphInstantiateSuccess : cudaGraphInstantiateError;
  params->errNode_out = NULL;
  return err;
}

RT_EXPORT cudaError_t cudaGraphExecGetFlags(cudaGraphExec_t graphExec, unsigned long long *flags) {
  if (!graphExec || !flags) return rt_set_error(cudaErrorInvalidValue);
  *flags = graphExec->flags;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphExecDestroy(cudaGraphExec_t graphExec) {
  if (!graphExec) return rt_set_error(cudaErrorInvalidValue);
  rt_graph_free(graphExec->graph);
  free(graphExec);
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphLaunch(cudaGraphExec_t graphExec, cudaStream_t stream) {
  if (!graphExec) return rt_set_error(cudaErrorInvalidValue);
  cudaError_t err = rt_ensure_context();
  if (err != cudaSuccess) return err;
  rt_op op = {.kind = RT_OP_GRAPH};
  op.u.graph = graphExec->graph;
  return rt_submit(stream, false, &op);
}

RT_EXPORT cudaError_t cudaGraphUpload(cudaGraphExec_t graphExec, cudaStream_t stream) {
  (void)stream; /* nothing to upload: nodes are issued at launch */
  return graphExec ? cudaSuccess : rt_set_error(cudaErrorInvalidValue);
}

/* The executable graph's node for a node of the graph it was instantiated from. */
static node *exec_node(cudaGraphExec_t exec, cudaGraphNode_t n, rt_op_kind kind) {
  node *e = exec && n ? node_by_id(exec->graph, n->id) : NULL;
  return e && (e->op.kind == kind || (kind == RT_OP_MEMCPY2D && e->op.kind == RT_OP_MEMCPY)) ? e : NULL;
}

/* Only kernel, memcpy and memset nodes can be disabled, as in CUDA. */
static node *exec_switchable(cudaGraphExec_t exec, cudaGraphNode_t n) {
  node *e = exec && n ? node_by_id(exec->graph, n->id) : NULL;
  rt_op_kind k = e ? e->op.kind : RT_OP_EMPTY;
  return k == RT_OP_KERNEL || k == RT_OP_MEMCPY || k == RT_OP_MEMCPY2D || k == RT_OP_MEMSET ? e : NULL;
}

RT_EXPORT cudaError_t cudaGraphNodeSetEnabled(cudaGraphExec_t hGraphExec, cudaGraphNode_t hNode,
                                              unsigned int isEnabled) {
  node *e = exec_switchable(hGraphExec, hNode);
  if (!e) return rt_set_error(cudaErrorInvalidValue);
  e->disabled = !isEnabled;
  return cudaSuccess;
}

RT_EXPORT cudaError_t cudaGraphNodeGetEnabled(cudaGraphExec_t hGraphExec, cudaGraphNode_t hNode,
                                              unsigned int *isEnabled) {
  node *e = exec_switchable(hGraphExec, hNode);
  if (!e || !isEnabled) return rt_set_error(cudaErrorInvalidValue);
  *isEnabled = !e->disabled;
  return cudaSuccess;
}

static cudaError_t exec_set(cudaGraphExec_t exec, cudaGraphNode_t n, rt_op_kind kind,
                            cudaError_t built, const rt_op *op) {
  node *e = exec_node(exec, n, kind);
  if (!e) return rt_set_error(cudaErrorInvalidValue);
  if (built != cudaSuccess) return rt_set_error(built);
  return rt_set_error(own_op(e, op));
}

RT_EXPORT cudaError_t cudaGraphExecKernelNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                       const struct cudaKernelNodeParams *p) {
  rt_op op;
  cudaError_t built = kernel_op(p, &op);
  return exec_set(hGraphExec, node, RT_OP_KERNEL, built, &op);
}

RT_EXPORT cudaError_t cudaGraphExecMemsetNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                       const struct cudaMemsetParams *p) {
  rt_op op;
  cudaError_t built = memset_op(p, &op);
  return exec_set(hGraphExec, node, RT_OP_MEMSET, built, &op);
}

RT_EXPORT cudaError_t cudaGraphExecMemcpyNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                       const struct cudaMemcpy3DParms *p) {
  rt_op op;
  cudaError_t built = memcpy_op(p, &op);
  return exec_set(hGraphExec, node, RT_OP_MEMCPY2D, built, &op);
}

RT_EXPORT cudaError_t cudaGraphExecMemcpyNodeSetParams1D(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                         void *dst, const void *src, size_t count,
                                                         enum cudaMemcpyKind kind) {
  rt_op op;
  cudaError_t built = memcpy1d_op(dst, src, count, kind, &op);
  return exec_set(hGraphExec, node, RT_OP_MEMCPY2D, built, &op);
}

RT_EXPORT cudaError_t cudaGraphExecHostNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                     const struct cudaHostNodeParams *p) {
  rt_op op;
  cudaError_t built = host_op(p, &op);
  return exec_set(hGraphExec, node, RT_OP_HOST, built, &op);
}

RT_EXPORT cudaError_t cudaGraphExecChildGraphNodeSetParams(cudaGraphExec_t hGraphExec, cudaGraphNode_t node,
                                                           cudaGraph_t childGraph) {
  rt_op op = {.kind = RT_OP_GRAPH};
  op.u.graph = childGraph;
  return exec_set(hGraphExec, node, RT_OP_GRAPH, childGraph ? cudaSuccess : cudaErrorInvalidValue, &op);
}

static bool same_deps(const node *a, const node *b) {
  if (a->ndeps != b->ndeps) return false;
  for (size_t i = 0; i < a->ndeps; i++)
    if (a->deps[i]->index != b->deps[i]->index) return false;
  return true;
}

static cudaError_t update_failed(cudaGraphExecUpdateResultInfo *info, enum cudaGraphExecUpdateResult why,
                                 node *n) {
  if (info) *info = (cudaGraphExecUpdateResultInfo){why, n, NULL};
  return rt_set_error(cudaErrorGraphExecUpdateFailure);
}

/* Same topology (node count, node types, edges; nodes paired in creation order) required;
 * then every node's parameters are taken from hGraph. */
RT_EXPORT cudaError_t cudaGraphExecUpdate(cudaGraphExec_t hGraphExec, cudaGraph_t hGraph,
                                          cudaGraphExecUpdateResultInfo *resultInfo) {
  if (!hGraphExec || !hGraph) return rt_set_error(cudaErrorInvalidValue);
  graph *e = hGraphExec->graph;
  if (e->n != hGraph->n) return update_failed(resultInfo, cudaGraphExecUpdateErrorTopologyChanged, NULL);
  for (size_t i = 0; i < e->n; i++) {
    node *want = hGraph->nodes[i];
    if (node_types[want->op.kind] != node_types[e->nodes[i]->op.kind])
      return update_failed(resultInfo, cudaGraphExecUpdateErrorNodeTypeChanged, want);
    if (!same_deps(want, e->nodes[i]))
      return update_failed(resultInfo, cudaGraphExecUpdateErrorTopologyChanged, want);
  }
  for (size_t i = 0; i < e->n; i++) {
    rt_op op = hGraph->nodes[i]->op;
    if (op.kind == RT_OP_KERNEL) op.u.kernel.args = hGraph->nodes[i]->arg_ptrs;
    if (own_op(e->nodes[i], &op) != cudaSuccess)
      return update_failed(resultInfo, cudaGraphExecUpdateError, hGraph->nodes[i]);
    e->nodes[i]->id = hGraph->nodes[i]->id; /* hGraph's node handles address it from now on */
  }
  if (resultInfo) *resultInfo = (cudaGraphExecUpdateResultInfo){cudaGraphExecUpdateSuccess, NULL, NULL};
  return cudaSuccess;
}

/* ---- cudaGraphDebugDotPrint: one box per node, one arrow per dependency ---- */

static const char *op_names[] = {
  [RT_OP_KERNEL] = "KERNEL", [RT_OP_MEMCPY] = "MEMCPY", [RT_OP_MEMCPY2D] = "MEMCPY",
  [RT_OP_MEMSET] = "MEMSET", [RT_OP_HOST] = "HOST", [RT_OP_EVENT_RECORD] = "EVENT_RECORD",
  [RT_OP_EVENT_WAIT] = "WAIT_EVENT", [RT_OP_GRAPH] = "CHILD_GRAPH", [RT_OP_EMPTY] = "EMPTY",
  [RT_OP_MEM_ALLOC] = "MEM_ALLOC", [RT_OP_MEM_FREE] = "MEM_FREE",
};

static void dot_graph(FILE *f, const graph *g, const char *prefix) {
  for (size_t i = 0; i < g->n; i++) {
    const node *n = g->nodes[i];
    const char *detail = "";
    if (n->op.kind == RT_OP_KERNEL) {
      rt_function *fn = rt_find_function(n->op.u.kernel.func);
      detail = fn ? rt_function_name(fn) : "";
    }
    fprintf(f, "  \"%s%zu\" [shape=box label=\"%s%zu %s\\n%s\"];\n", prefix, i, prefix, i,
            op_names[n->op.kind], detail);
    for (size_t d = 0; d < n->ndeps; d++)
      fprintf(f, "  \"%s%zu\" -> \"%s%zu\";\n", prefix, n->deps[d]->index, prefix, i);
    if (n->op.kind == RT_OP_GRAPH) {
      char child[64];
      snprintf(child, sizeof child, "%s%zu.", prefix, i);
      dot_graph(f, n->op.u.graph, child);
    }
  }
}

RT_EXPORT cudaError_t cudaGraphDebugDotPrint(cudaGraph_t graph, const char *path, unsigned int flags) {
  (void)flags;
  if (!graph || !path) return rt_set_error(cudaErrorInvalidValue);
  FILE *f = fopen(path, "w");
  if (!f) return rt_set_error(cudaErrorOperatingSystem);
  fprintf(f, "digraph cudaGraph {\n");
  dot_graph(f, graph, "");
  fprintf(f, "}\n");
  return fclose(f) == 0 ? cudaSuccess : rt_set_error(cudaErrorOperatingSystem);
}
