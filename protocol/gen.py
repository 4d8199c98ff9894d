#!/usr/bin/env python3
"""gen.py - turns protocol/cuda_api.tbl into the wire protocol and both halves of its code.

Usage: gen.py TABLE CUDA_H RPCGEN OUTDIR

Writes into OUTDIR:
  gpushim.x           XDR types (NAME_args / NAME_res per row) and the ONC RPC program
  gpushim.h           rpcgen -h of gpushim.x
  gpushim_xdr.c       rpcgen -c of gpushim.x (the XDR routines)
  gs_api.h            procedure numbers, row flags, prototypes of the hand-written halves
  gs_client_stubs.c   the exported cu* client stubs for rows without 'cclient'
  gs_agent_dispatch.c the agent's per-procedure handlers and the dispatch table
  gs_names.c          error names/strings (from cuda.h) and the exported-symbol table
  gs_ptds.c           per-thread-default-stream entry points (NAME_ptds / NAME_ptsz)
Standard library only.
"""
import os
import re
import subprocess
import sys

FIRST_PROC = 16
PROC_BATCH = 1

HANDLE_KINDS = {
    'CUcontext': 'GS_H_CTX', 'CUmodule': 'GS_H_MOD', 'CUfunction': 'GS_H_FUNC',
    'CUstream': 'GS_H_STREAM', 'CUevent': 'GS_H_EVENT', 'CUlibrary': 'GS_H_LIB',
    'CUkernel': 'GS_H_KERNEL',
}
ENUMS = {'CUdevice_attribute', 'CUfunction_attribute', 'CUlimit', 'CUpointer_attribute',
         'CUfunc_cache', 'CUmoduleLoadingMode', 'CUstreamCaptureStatus'}

# C type of an 'in' argument -> (XDR declaration pattern, kind)
IN_TYPES = {
    'unsigned int': ('unsigned int %s', 'scalar'),
    'int': ('int %s', 'scalar'),
    'unsigned char': ('unsigned int %s', 'scalar'),
    'unsigned short': ('unsigned int %s', 'scalar'),
    'size_t': ('unsigned hyper %s', 'scalar'),
    'uint64_t': ('unsigned hyper %s', 'scalar'),
    'float': ('float %s', 'scalar'),
    'CUdevice': ('int %s', 'dev'),
    'CUdeviceptr': ('unsigned hyper %s', 'dptr'),
    'const char*': ('string %s<GS_MAX_NAME>', 'string'),
    'bytes': ('opaque %s<GS_MAX_BYTES>', 'bytes'),
}
# C type of an 'out' argument -> (XDR declaration pattern, kind)
OUT_TYPES = {
    'int*': ('int %s', 'scalar'),
    'unsigned int*': ('unsigned int %s', 'scalar'),
    'unsigned long long*': ('unsigned hyper %s', 'scalar'),
    'size_t*': ('unsigned hyper %s', 'scalar'),
    'uint64_t': ('unsigned hyper %s', 'scalar'),
    'unsigned int': ('unsigned int %s', 'scalar'),
    'float*': ('float %s', 'scalar'),
    'CUdevice*': ('int %s', 'dev'),
    'CUdeviceptr*': ('unsigned hyper %s', 'dptr'),
    'CUuuid*': ('opaque %s[16]', 'uuid'),
    'char*': ('string %s<GS_MAX_NAME>', 'outstring'),
    'bytes': ('opaque %s<GS_MAX_BYTES>', 'bytes'),
}


XDR_RESERVED = {'const', 'struct', 'union', 'switch', 'case', 'default', 'enum', 'typedef',
                'program', 'version', 'opaque', 'string', 'bool', 'void', 'unsigned', 'int',
                'hyper', 'float', 'double', 'quadruple', 'char', 'short', 'long'}


class Arg:
    def __init__(self, text, row):
        m = re.match(r'^\s*(in|out)\s+(.+?)\s*(\{[^}]*\})?\s*$', text)
        if not m:
            sys.exit('%s: bad argument "%s"' % (row, text))
        self.dir = m.group(1)
        words = m.group(2).replace('*', '* ').split()
        self.name = words[-1]
        self.ctype = ' '.join(words[:-1]).replace(' *', '*')
        self.annot = m.group(3)[1:-1].split() if m.group(3) else []
        base = self.ctype.rstrip('*') if self.dir == 'out' else self.ctype
        if self.dir == 'in':
            if self.ctype in HANDLE_KINDS:
                self.xdr, self.kind = 'unsigned hyper %s', 'handle'
                self.hkind = HANDLE_KINDS[self.ctype]
            elif self.ctype in ENUMS:
                self.xdr, self.kind = 'int %s', 'scalar'
            elif self.ctype in IN_TYPES:
                self.xdr, self.kind = IN_TYPES[self.ctype]
            else:
                sys.exit('%s: no wire type for in %s' % (row, self.ctype))
        else:
            if base in HANDLE_KINDS and self.ctype.endswith('*'):
                self.xdr, self.kind = 'unsigned hyper %s', 'handle'
                self.hkind = HANDLE_KINDS[base]
            elif self.ctype in OUT_TYPES:
                self.xdr, self.kind = OUT_TYPES[self.ctype]
            elif base in ENUMS and self.ctype.endswith('*'):
                self.xdr, self.kind = 'int %s', 'scalar'
            else:
                sys.exit('%s: no wire type for out %s' % (row, self.ctype))

    @property
    def field(self):
        """the XDR/C field name: the argument name unless rpcgen reserves it"""
        return self.name + '_' if self.name in XDR_RESERVED else self.name

    def decl(self):
        if self.annot and self.annot[0] == 'max':     # {max CONST}: a bound of its own
            return self.xdr.replace('GS_MAX_BYTES', self.annot[1]) % self.field
        return self.xdr % self.field


class Row:
    def __init__(self, line, proc):
        parts = line.split(None, 3)
        if len(parts) < 3:
            sys.exit('bad row: ' + line)
        self.name, self.mode, flags = parts[0], parts[1], parts[2]
        self.flags = set() if flags == '-' else set(flags.split(','))
        rest = parts[3].strip() if len(parts) > 3 else ''
        self.args = [Arg(a, self.name) for a in rest.split(',')] if rest else []
        self.proc = proc if self.mode != 'local' else None
        self.wire_only = self.name.startswith('gs_')

    @property
    def ins(self):
        return [a for a in self.args if a.dir == 'in']

    @property
    def outs(self):
        return [a for a in self.args if a.dir == 'out']


def read_table(path):
    rows, proc = [], FIRST_PROC
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].rstrip()
            if not line.strip():
                continue
            row = Row(line, proc)
            if row.mode not in ('sync', 'async', 'local'):
                sys.exit('%s: bad mode %s' % (row.name, row.mode))
            if row.mode != 'local':
                proc += 1
            rows.append(row)
    return rows


HEADER = '/* Generated by protocol/gen.py from protocol/cuda_api.tbl - do not edit. */\n'


# ---- gpushim.x ---------------------------------------------------------------------------------
def gen_x(rows):
    out = [HEADER.replace('/*', '/*', 1),
           'const GS_PROGRAM = 0x2F475348;\n', 'const GS_VERSION = 1;\n',
           'const GS_MAX_NAME = 4096;\n', 'const GS_MAX_BYTES = 4198400;\n',
           'const GS_MAX_IMAGE = 67108864;\n', 'const GS_HASH_BYTES = 32;\n',
           'const GS_PROC_BATCH = %d;\n\n' % PROC_BATCH]
    for r in rows:
        if r.proc is None:
            continue
        if r.ins:
            out.append('struct %s_args {\n' % r.name)
            out += ['  %s;\n' % a.decl() for a in r.ins]
            out.append('};\n')
        if r.outs:
            out.append('struct %s_res {\n' % r.name)
            out += ['  %s;\n' % a.decl() for a in r.outs]
            out.append('};\n')
    out.append('\n/* A batch: unsigned count, then per call: int proc, NAME_args.  Its reply:\n'
               ' * unsigned count, then per call: int CUresult, NAME_res when it is 0. */\n')
    out.append('program GPUSHIM_PROG {\n  version GPUSHIM_V1 {\n')
    out.append('    void GS_BATCH(void) = %d;\n' % PROC_BATCH)
    for r in rows:
        if r.proc is None:
            continue
        res = '%s_res' % r.name if r.outs else 'void'
        arg = '%s_args' % r.name if r.ins else 'void'
        out.append('    %s GS_%s(%s) = %d;\n' % (res, r.name, arg, r.proc))
    out.append('  } = 1;\n} = 0x2F475348;\n')
    return ''.join(out)


# ---- gs_api.h ----------------------------------------------------------------------------------
def gen_api_h(rows):
    o = [HEADER, '#ifndef GS_API_H\n#define GS_API_H\n\n',
         '#include <cuda.h>\n#include "gpushim.h"\n\n',
         '#define GS_FIRST_PROC %d\n' % FIRST_PROC,
         '#define GS_PROC_LIMIT %d\n\n' % (max(r.proc for r in rows if r.proc) + 1),
         '/* row flags */\n#define GS_F_SYNC 1u\n#define GS_F_CACHE 2u\n#define GS_F_UNCACHE 4u\n'
         '#define GS_F_REPORT 8u\n\n',
         'typedef struct { const char *name; unsigned flags; } gs_proc_info;\n',
         'extern const gs_proc_info gs_procs[GS_PROC_LIMIT];\n\n',
         'typedef struct { const char *name; void *fn; } gs_export;\n',
         'extern const gs_export gs_exports[];\n',
         'extern const gs_export gs_exports_ptds[];   /* per-thread default stream forms */\n',
         'const char *gs_error_name(CUresult e);\nconst char *gs_error_string(CUresult e);\n\n',
         '/* agent halves written by hand (remote-agent/dispatch/custom.c) */\n',
         'struct agent_session;\n']
    for r in rows:
        if r.proc is not None and 'cagent' in r.flags:
            a = ('%s_args *a' % r.name) if r.ins else 'void *a'
            res = ('%s_res *r' % r.name) if r.outs else 'void *r'
            o.append('CUresult gs_agent_%s(struct agent_session *s, %s, %s);\n' % (r.name, a, res))
    o.append('\n#endif\n')
    return ''.join(o)


# ---- names -------------------------------------------------------------------------------------
def parse_errors(cuda_h):
    text = open(cuda_h).read()
    m = re.search(r'typedef enum cudaError_enum \{(.*?)\} CUresult;', text, re.S)
    body = m.group(1)
    errs, comment = [], ''
    for tok in re.finditer(r'/\*\*(.*?)\*/|(CUDA_\w+)\s*=\s*(\d+)', body, re.S):
        if tok.group(1) is not None:
            comment = ' '.join(l.strip(' *') for l in tok.group(1).splitlines()).strip()
            comment = re.sub(r'\s+', ' ', comment).replace('::', '')
        else:
            errs.append((tok.group(2), int(tok.group(3)), comment))
            comment = ''
    return errs


def c_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def gen_names(rows, cuda_h):
    o = [HEADER, '#include "gs_api.h"\n\n', 'const char *gs_error_name(CUresult e) {\n',
         '  switch ((int)e) {\n']
    errs = parse_errors(cuda_h)
    seen = set()
    for name, val, _ in errs:
        if val not in seen:
            seen.add(val)
            o.append('  case %d: return "%s";\n' % (val, name))
    o.append('  default: return 0;\n  }\n}\n\nconst char *gs_error_string(CUresult e) {\n'
             '  switch ((int)e) {\n')
    seen = set()
    for name, val, text in errs:
        if val not in seen:
            seen.add(val)
            first = text.split('. ')[0].rstrip('.') or name
            o.append('  case %d: return %s;\n' % (val, c_str(first)))
    o.append('  default: return 0;\n  }\n}\n\n')
    o.append('const gs_proc_info gs_procs[GS_PROC_LIMIT] = {\n')
    for r in rows:
        if r.proc is None:
            continue
        fl = ['GS_F_SYNC' if r.mode == 'sync' else '0']
        if 'cache' in r.flags:
            fl.append('GS_F_CACHE')
        if 'uncache' in r.flags:
            fl.append('GS_F_UNCACHE')
        if 'report' in r.flags:
            fl.append('GS_F_REPORT')
        o.append('  [%d] = {"%s", %s},\n' % (r.proc, r.name, ' | '.join(fl)))
    o.append('};\n\n/* every cu* we export, by API name (cuGetProcAddress) */\n')
    o.append('const gs_export gs_exports[] = {\n')
    for r in rows:
        if not r.wire_only:
            o.append('  {"%s", (void *)%s},\n' % (r.name, r.name))
    o.append('  {0, 0},\n};\n')
    return ''.join(o)


# ---- client stubs ------------------------------------------------------------------------------
def c_param(a):
    t = a.ctype
    if t.endswith('*'):
        return '%s *%s' % (t[:-1].rstrip(), a.name)
    return '%s %s' % (t, a.name)


def gen_client(rows):
    o = [HEADER, '/* The client half of every forwarded row without hand-written client code:\n'
         ' * pack the arguments, queue or send through gs_call(), unpack the answer. */\n',
         '#include <string.h>\n#include <stdio.h>\n#include "gs_api.h"\n#include "gs_client.h"\n\n']
    for r in rows:
        if r.proc is None or 'cclient' in r.flags or r.wire_only:
            continue
        params = ', '.join(c_param(a) for a in r.args) or 'void'
        o.append('GS_EXPORT CUresult CUDAAPI %s(%s) {\n' % (r.name, params))
        for a in r.outs:
            o.append('  if (!%s) return CUDA_ERROR_INVALID_VALUE;\n' % a.name)
        for a in r.args:
            if 'free' in a.annot:
                o.append('  if (gs_client_forget_alloc(%s)) return CUDA_ERROR_INVALID_VALUE;\n'
                         % a.name)
        if r.ins:
            o.append('  %s_args a;\n  memset(&a, 0, sizeof a);\n' % r.name)
            for a in r.ins:
                if a.kind == 'handle':
                    o.append('  a.%s = (uint64_t)(uintptr_t)%s;\n' % (a.field, a.name))
                elif a.kind == 'string':
                    o.append('  if (!%s) return CUDA_ERROR_INVALID_VALUE;\n' % a.name)
                    o.append('  a.%s = (char *)%s;\n' % (a.field, a.name))
                else:
                    o.append('  a.%s = %s;\n' % (a.field, a.name))
        argp = ('(xdrproc_t)xdr_%s_args, &a' % r.name) if r.ins else '0, 0'
        flags = 'gs_procs[GS_%s].flags' % r.name
        if not r.outs:
            o.append('  return gs_call(GS_%s, %s, %s, 0, 0);\n}\n\n' % (r.name, flags, argp))
            continue
        o.append('  %s_res r;\n  memset(&r, 0, sizeof r);\n' % r.name)
        o.append('  CUresult e = gs_call(GS_%s, %s, %s, (xdrproc_t)xdr_%s_res, &r);\n'
                 % (r.name, flags, argp, r.name))
        o.append('  if (e == CUDA_SUCCESS) {\n')
        for a in r.outs:
            if a.kind == 'handle':
                o.append('    *%s = (%s)(uintptr_t)r.%s;\n' % (a.name, a.ctype[:-1], a.field))
            elif a.kind == 'uuid':
                o.append('    memcpy(%s->bytes, r.%s, 16);\n' % (a.name, a.field))
            elif a.kind == 'outstring':
                cap = a.annot[1]
                o.append('    if (%s > 0) snprintf(%s, (size_t)%s, "%%s", r.%s ? r.%s : "");\n'
                         % (cap, a.name, cap, a.field, a.field))
            else:
                o.append('    *%s = (%s)r.%s;\n' % (a.name, a.ctype[:-1], a.field))
        for a in r.outs:
            if a.annot and a.annot[0] in ('alloc', 'global'):
                o.append('    gs_client_note_alloc((CUdeviceptr)r.%s, %s, %d);\n'
                         % (a.name, size_expr(a.annot[1], lambda n: client_var(r, n)),
                            a.annot[0] == 'global'))
        o.append('  }\n  xdr_free((xdrproc_t)xdr_%s_res, (char *)&r);\n  return e;\n}\n\n' % r.name)
    return ''.join(o)


def client_var(row, name):
    """alloc/global sizes name out values (in the reply) or in arguments (the parameters)."""
    for a in row.outs:
        if a.name == name:
            return 'r.' + a.field
    return name


def size_expr(expr, var):
    """'N' -> var(N); 'A*B' -> gs_mul_sat(var(A), var(B)) with integer literals kept."""
    def term(t):
        return t if t.isdigit() else var(t)
    if '*' in expr:
        x, y = expr.split('*', 1)
        return 'gs_mul_sat((uint64_t)(%s), (uint64_t)(%s))' % (term(x), term(y))
    return '(uint64_t)(%s)' % term(expr)


# ---- agent dispatch ----------------------------------------------------------------------------
def gen_agent(rows):
    o = [HEADER, '/* The agent half: per procedure, check every handle and device range against\n'
         ' * the session, call the driver, fill the result.  Rows flagged cagent call the\n'
         ' * hand-written gs_agent_NAME() instead. */\n',
         '#include <string.h>\n#include "gs_api.h"\n#include "session.h"\n\n']
    for r in rows:
        if r.proc is None:
            continue
        a_t = ('%s_args' % r.name) if r.ins else 'void'
        r_t = ('%s_res' % r.name) if r.outs else 'void'
        o.append('static CUresult h_%s(agent_session *s, void *av, void *rv) {\n' % r.name)
        if 'cagent' in r.flags:
            o.append('  return gs_agent_%s(s, (%s *)av, (%s *)rv);\n}\n\n' % (r.name, a_t, r_t))
            continue
        o.append('  (void)s; (void)av; (void)rv;\n')
        if r.ins:
            o.append('  %s_args *a = av;\n' % r.name)
        if r.outs:
            o.append('  %s_res *r = rv;\n' % r.name)
        o.append('  CUresult e;\n')
        call = []
        for a in r.args:
            v = 'v_' + a.name
            if a.dir == 'in':
                if a.kind == 'handle':
                    o.append('  %s %s;\n' % (a.ctype, v))
                    o.append('  if ((e = gs_handle_get(s, %s, a->%s, (void **)&%s))) return e;\n'
                             % (a.hkind, a.field, v))
                elif a.kind == 'dev':
                    o.append('  CUdevice %s;\n' % v)
                    o.append('  if ((e = gs_device_get(s, a->%s, &%s))) return e;\n' % (a.field, v))
                elif a.kind == 'string':
                    o.append('  const char *%s = a->%s;\n' % (v, a.field))
                else:
                    o.append('  %s %s = (%s)a->%s;\n' % (a.ctype, v, a.ctype, a.field))
                call.append(v)
            else:
                if a.kind == 'handle':
                    o.append('  %s %s = 0;\n' % (a.ctype[:-1], v))
                    call.append('&' + v)
                elif a.kind == 'uuid':
                    o.append('  CUuuid %s;\n  memset(&%s, 0, sizeof %s);\n' % (v, v, v))
                    call.append('&' + v)
                elif a.kind == 'outstring':
                    o.append('  char %s[GS_MAX_NAME];\n  %s[0] = 0;\n' % (v, v))
                    call.append(v)
                else:
                    o.append('  %s %s = 0;\n' % (a.ctype[:-1], v))
                    call.append('&' + v)
        # capacity arguments of out strings are bounded by our buffer
        for a in r.outs:
            if a.kind == 'outstring':
                cap = 'v_' + a.annot[1]
                o.append('  if (%s <= 0 || %s > GS_MAX_NAME) return CUDA_ERROR_INVALID_VALUE;\n'
                         % (cap, cap))
        for a in r.ins:
            if not a.annot:
                continue
            v = 'v_' + a.name
            if a.annot[0] == 'range':
                o.append('  if ((e = gs_range_check(s, %s, %s))) return e;\n'
                         % (v, size_expr(a.annot[1], lambda n: 'v_' + n)))
            elif a.annot[0] == 'range2d':
                p, w, h, el = a.annot[1:5]
                o.append('  if ((e = gs_range_check(s, %s, gs_pitched_size(v_%s, v_%s, v_%s, %s))))'
                         ' return e;\n' % (v, p, w, h, el))
            elif a.annot[0] == 'free':
                o.append('  if ((e = gs_alloc_check_base(s, %s))) return e;\n' % v)
        o.append('  if (!s->drv->%s) return CUDA_ERROR_NOT_SUPPORTED;\n' % r.name)
        o.append('  e = s->drv->%s(%s);\n' % (r.name, ', '.join(call)))
        o.append('  if (e != CUDA_SUCCESS) return e;\n')
        for a in r.ins:
            if 'destroy' in a.annot:
                o.append('  gs_handle_drop(s, %s, a->%s);\n' % (a.hkind, a.field))
            if 'free' in a.annot:
                o.append('  gs_alloc_forget(s, v_%s);\n' % a.name)
        for a in r.outs:
            v = 'v_' + a.name
            if a.kind == 'handle':
                parents = [i for i in r.ins if i.kind == 'handle'
                           and i.hkind in ('GS_H_MOD', 'GS_H_LIB', 'GS_H_KERNEL')]
                if parents:   # functions die with their module, kernels with their library
                    o.append('  s->parent_hint = a->%s;\n' % parents[0].field)
                o.append('  if ((e = gs_handle_new(s, %s, %s, &r->%s))) return e;\n'
                         % (a.hkind, v, a.field))
            elif a.kind == 'uuid':
                o.append('  memcpy(r->%s, %s.bytes, 16);\n' % (a.field, v))
            elif a.kind == 'outstring':
                o.append('  if (!(r->%s = strdup(%s))) return CUDA_ERROR_OUT_OF_MEMORY;\n'
                         % (a.field, v))
            elif a.kind == 'dev':
                o.append('  r->%s = 0;\n' % a.field)
            else:
                o.append('  r->%s = %s;\n' % (a.field, v))
            if a.annot and a.annot[0] in ('alloc', 'global'):
                o.append('  if ((e = gs_alloc_note(s, %s, %s, %d))) return e;\n'
                         % (v, size_expr(a.annot[1], lambda n: 'v_' + n), a.annot[0] == 'global'))
        o.append('  return CUDA_SUCCESS;\n}\n\n')
    o.append('const gs_agent_proc gs_agent_procs[GS_PROC_LIMIT] = {\n')
    for r in rows:
        if r.proc is None:
            continue
        xa = ('(xdrproc_t)xdr_%s_args, sizeof(%s_args)' % (r.name, r.name)) if r.ins else '0, 0'
        xr = ('(xdrproc_t)xdr_%s_res, sizeof(%s_res)' % (r.name, r.name)) if r.outs else '0, 0'
        o.append('  [%d] = {h_%s, %s, %s},\n' % (r.proc, r.name, xa, xr))
    o.append('};\n')
    return ''.join(o)


# ---- driver function table (agent) -------------------------------------------------------------
def gen_drv_h(rows):
    """The agent's table of driver entry points: every forwarded API row, plus what the session
    itself needs; resolved by dlsym of the ABI name (the cuda.h macro expansion)."""
    extra = ['cuCtxCreate', 'cuCtxDestroy', 'cuCtxSetCurrent', 'cuCtxGetCurrent', 'cuDeviceGet',
             'cuDeviceGetCount', 'cuModuleLoadData', 'cuLibraryLoadData', 'cuLaunchKernel',
             'cuFuncGetParamInfo', 'cuMemcpyHtoDAsync', 'cuMemcpyDtoHAsync', 'cuMemcpyHtoD',
             'cuMemcpyDtoH', 'cuStreamSynchronize', 'cuMemFree', 'cuModuleUnload',
             'cuLibraryUnload', 'cuStreamDestroy', 'cuEventDestroy', 'cuGetErrorName',
             'cuCtxPopCurrent', 'cuLaunchCooperativeKernel',
             # arrays, texture and surface objects (remote-agent/dispatch/custom_tex.c)
             'cuArray3DCreate', 'cuArrayDestroy', 'cuMemcpy3DAsync', 'cuTexObjectCreate',
             'cuTexObjectDestroy', 'cuSurfObjectCreate', 'cuSurfObjectDestroy',
             # virtual memory management (remote-agent/dispatch/custom_vmm.c)
             'cuMemGetAllocationGranularity', 'cuMemAddressReserve', 'cuMemAddressFree',
             'cuMemCreate', 'cuMemRelease', 'cuMemMap', 'cuMemUnmap', 'cuMemSetAccess',
             'cuMemGetAccess']
    names = []
    for r in rows:
        if not r.wire_only and r.mode != 'local' and r.name not in names:
            names.append(r.name)
    for n in extra:
        if n not in names:
            names.append(n)
    o = [HEADER, '#ifndef GS_DRV_H\n#define GS_DRV_H\n#include <cuda.h>\n\n',
         '#define GS_STR2(x) #x\n#define GS_STR(x) GS_STR2(x)\n\n',
         'typedef struct {\n']
    o += ['  __typeof__(%s) *%s;\n' % (n, n) for n in names]
    o.append('} gs_driver;\n\n/* ABI names, in gs_driver order */\n')
    o.append('#define GS_DRIVER_SYMBOLS \\\n')
    o += ['  GS_STR(%s), \\\n' % n for n in names]
    o.append('\n#define GS_DRIVER_COUNT %d\n\n#endif\n' % len(names))
    return ''.join(o)


# ---- per-thread default stream entry points ---------------------------------------------------
def parse_ptds(cuda_h):
    """API name -> ABI name with its _ptds/_ptsz suffix, and API name -> prototype parameters."""
    text = open(cuda_h).read()
    names = {}
    for m in re.finditer(r'#define\s+(\w+)\s+__CUDA_API_PT(DS|SZ)\((\w+)\)', text):
        names[m.group(1)] = m.group(3) + '_pt' + m.group(2).lower()
    protos = {}
    for m in re.finditer(r'CUresult CUDAAPI (\w+)\(([^;]*?)\);', text, re.S):
        protos.setdefault(m.group(1), ' '.join(m.group(2).split()))
    return names, protos


def gen_ptds(rows, cuda_h):
    """Each exported function that has a per-thread form gets it: the NULL stream becomes
    CU_STREAM_PER_THREAD (_ptsz); the synchronous _ptds forms keep the legacy stream, which
    only ever synchronizes more."""
    names, protos = parse_ptds(cuda_h)
    o = [HEADER, '/* Per-thread-default-stream forms of the exported functions. */\n',
         '#include "gs_api.h"\n#include "wire.h"\n\n']
    table = []
    for r in rows:
        if r.wire_only or r.name not in names or r.name not in protos:
            continue
        abi, params = names[r.name], protos[r.name]
        args = []
        stream = None
        for p in params.split(','):
            p = p.strip()
            if p == 'void':
                continue
            name = re.findall(r'(\w+)\s*$', p)[0]
            args.append(name)
            if re.match(r'^CUstream\s+\w+$', p):
                stream = name
        fn = 'gs_pt_' + r.name
        o.append('CUresult CUDAAPI %s(%s) __asm__("%s");\n' % (fn, params, abi))
        o.append('GS_EXPORT CUresult CUDAAPI %s(%s) {\n' % (fn, params))
        if abi.endswith('_ptsz') and stream:
            o.append('  if (!%s) %s = CU_STREAM_PER_THREAD;\n' % (stream, stream))
        o.append('  return %s(%s);\n}\n\n' % (r.name, ', '.join(args)))
        table.append((r.name, fn))
    o.append('/* by API name, for cuGetProcAddress with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM */\n')
    o.append('const gs_export gs_exports_ptds[] = {\n')
    o += ['  {"%s", (void *)%s},\n' % (n, f) for n, f in table]
    o.append('  {0, 0},\n};\n')
    return ''.join(o)


def write(path, text):
    old = open(path).read() if os.path.exists(path) else None
    if old != text:
        with open(path, 'w') as f:
            f.write(text)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    table, cuda_h, rpcgen, outdir = sys.argv[1:]
    rows = read_table(table)
    write(os.path.join(outdir, 'gpushim.x'), gen_x(rows))
    write(os.path.join(outdir, 'gs_api.h'), gen_api_h(rows))
    write(os.path.join(outdir, 'gs_names.c'), gen_names(rows, cuda_h))
    write(os.path.join(outdir, 'gs_client_stubs.c'), gen_client(rows))
    write(os.path.join(outdir, 'gs_agent_dispatch.c'), gen_agent(rows))
    write(os.path.join(outdir, 'gs_drv.h'), gen_drv_h(rows))
    write(os.path.join(outdir, 'gs_ptds.c'), gen_ptds(rows, cuda_h))
    for flag, name in (('-h', 'gpushim.h'), ('-c', 'gpushim_xdr.c')):
        if os.path.exists(os.path.join(outdir, name)):
            os.remove(os.path.join(outdir, name))    # rpcgen refuses to overwrite
        subprocess.run([rpcgen, flag, '-o', name, 'gpushim.x'], cwd=outdir, check=True)


if __name__ == '__main__':
    main()
