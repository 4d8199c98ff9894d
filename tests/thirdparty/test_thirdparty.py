"""CUDA clients written by others, from PyPI, against gpushim: NVIDIA's cuda-python driver
bindings (cuda-bindings) and NVML bindings (nvidia-ml-py). They load libcuda.so.1 and
libnvidia-ml.so.1 by name, so `gpushim run` is all it takes. Each runs against the CPU device
directly, through a private agent, and in-process.

The packages are installed into a virtual environment under the build directory on first use
(PyPI must be reachable; the test is skipped, saying so, when it is not).
"""
import os
import subprocess
import sys
import venv

import pytest

GPUSHIM = os.environ["GPUSHIM_TEST_BIN"]
DRIVER_DIR = os.path.dirname(os.environ["GPUSHIM_TEST_DRIVER"])
PTX = os.environ["GPUSHIM_TEST_PTX"]
VENV = os.environ["GPUSHIM_TEST_VENV"]
PACKAGES = ["cuda-bindings>=13,<14", "numpy", "nvidia-ml-py"]

CUDA_PYTHON_CLIENT = r'''
import sys
import numpy as np
from cuda.bindings import driver as cu

def check(result):
    err, *values = result if isinstance(result, tuple) else (result,)
    assert err == cu.CUresult.CUDA_SUCCESS, err
    return values[0] if len(values) == 1 else values

check(cu.cuInit(0))
assert check(cu.cuDeviceGetCount()) >= 1
dev = check(cu.cuDeviceGet(0))
name = check(cu.cuDeviceGetName(64, dev)).split(b"\0")[0].decode()
ctx = check(cu.cuDevicePrimaryCtxRetain(dev))
check(cu.cuCtxSetCurrent(ctx))
module = check(cu.cuModuleLoadData(open(sys.argv[1], "rb").read() + b"\0"))
vadd = check(cu.cuModuleGetFunction(module, b"vadd"))
n = 5000
a = np.random.default_rng(7).random(n, dtype=np.float32)
b = np.random.default_rng(8).random(n, dtype=np.float32)
c = np.zeros(n, np.float32)
dev_a, dev_b, dev_c = (check(cu.cuMemAlloc(4 * n)) for _ in range(3))
stream = check(cu.cuStreamCreate(0))
check(cu.cuMemcpyHtoDAsync(dev_a, a.ctypes.data, 4 * n, stream))
check(cu.cuMemcpyHtoDAsync(dev_b, b.ctypes.data, 4 * n, stream))
args = [np.array([int(p)], dtype=np.uint64) for p in (dev_a, dev_b, dev_c)] + [np.array([n], np.int32)]
pointers = np.array([x.ctypes.data for x in args], dtype=np.uint64)
check(cu.cuLaunchKernel(vadd, (n + 255) // 256, 1, 1, 256, 1, 1, 0, stream, pointers.ctypes.data, 0))
check(cu.cuStreamSynchronize(stream))
check(cu.cuMemcpyDtoH(c.ctypes.data, dev_c, 4 * n))
assert np.array_equal(c, a + b), "vadd result differs from numpy's"
for p in (dev_a, dev_b, dev_c):
    check(cu.cuMemFree(p))
print("PASS cuda-python on", name)
'''

PYNVML_CLIENT = r'''
import pynvml
pynvml.nvmlInit()
count = pynvml.nvmlDeviceGetCount()
handle = pynvml.nvmlDeviceGetHandleByIndex(0)
name = pynvml.nvmlDeviceGetName(handle)
memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
assert count >= 1 and memory.total > 0 and memory.used + memory.free == memory.total
pynvml.nvmlShutdown()
print("PASS pynvml", count, name, memory.total)
'''


# (culink) numba-cuda's path without nvJitLink: cuLinkCreate -> cuLinkAddData(PTX) x2 ->
# cuLinkComplete -> cuModuleLoadData; through gpushim the link happens on the client.
CUDA_PYTHON_LINK_CLIENT = r'''
import sys
import numpy as np
from cuda.bindings import driver as cu

def check(result):
    err, *values = result if isinstance(result, tuple) else (result,)
    assert err == cu.CUresult.CUDA_SUCCESS, err
    return values[0] if len(values) == 1 else values

FILL = b"""
.version 7.0
.target sm_50
.address_size 64
.visible .entry fill(.param .u64 p, .param .u32 n, .param .f32 v)
{
  .reg .pred %p<2>;
  .reg .b32 %r<6>;
  .reg .b64 %rd<4>;
  .reg .f32 %f<2>;
  ld.param.u64 %rd1, [p];
  ld.param.u32 %r1, [n];
  ld.param.f32 %f1, [v];
  mov.u32 %r2, %ctaid.x;
  mov.u32 %r3, %ntid.x;
  mov.u32 %r4, %tid.x;
  mad.lo.s32 %r5, %r2, %r3, %r4;
  setp.ge.u32 %p1, %r5, %r1;
  @%p1 bra DONE;
  cvta.to.global.u64 %rd2, %rd1;
  mul.wide.u32 %rd3, %r5, 4;
  add.s64 %rd2, %rd2, %rd3;
  st.global.f32 [%rd2], %f1;
DONE:
  ret;
}
"""

def launch(f, n, *args):
    held = [np.array([a], dtype=t) for a, t in args]
    pointers = np.array([x.ctypes.data for x in held], dtype=np.uint64)
    check(cu.cuLaunchKernel(f, (n + 255) // 256, 1, 1, 256, 1, 1, 0, 0, pointers.ctypes.data, 0))

check(cu.cuInit(0))
dev = check(cu.cuDeviceGet(0))
ctx = check(cu.cuDevicePrimaryCtxRetain(dev))
check(cu.cuCtxSetCurrent(ctx))
ptx = open(sys.argv[1], "rb").read() + b"\0"
link = check(cu.cuLinkCreate(0, [], []))
check(cu.cuLinkAddData(link, cu.CUjitInputType.CU_JIT_INPUT_PTX, ptx, len(ptx), b"kernels.ptx", 0, [], []))
check(cu.cuLinkAddData(link, cu.CUjitInputType.CU_JIT_INPUT_PTX, FILL, len(FILL), b"fill.ptx", 0, [], []))
image, size = check(cu.cuLinkComplete(link))
module = check(cu.cuModuleLoadData(image))
check(cu.cuLinkDestroy(link))
vadd, fill = (check(cu.cuModuleGetFunction(module, name)) for name in (b"vadd", b"fill"))
n = 3000
a = np.random.default_rng(7).random(n, dtype=np.float32)
c = np.zeros(n, np.float32)
dev_a, dev_b, dev_c = (check(cu.cuMemAlloc(4 * n)) for _ in range(3))
check(cu.cuMemcpyHtoD(dev_a, a.ctypes.data, 4 * n))
launch(fill, n, (int(dev_b), np.uint64), (n, np.uint32), (2.5, np.float32))
launch(vadd, n, (int(dev_a), np.uint64), (int(dev_b), np.uint64), (int(dev_c), np.uint64), (n, np.int32))
check(cu.cuCtxSynchronize())
check(cu.cuMemcpyDtoH(c.ctypes.data, dev_c, 4 * n))
assert np.array_equal(c, a + np.float32(2.5)), "linked vadd(a, fill(2.5)) differs from numpy's"
print("PASS cuda-python cuLink", size)
'''

@pytest.fixture(scope="module")
def python():
    exe = os.path.join(VENV, "bin", "python")
    if not os.path.exists(exe):
        venv.create(VENV, with_pip=True)
    have = subprocess.run([exe, "-c", "import cuda.bindings, numpy, pynvml"], capture_output=True)
    if have.returncode != 0:
        got = subprocess.run([exe, "-m", "pip", "install", "-q", *PACKAGES], capture_output=True,
                             text=True, timeout=600)
        if got.returncode != 0:
            pytest.skip("cannot install cuda-bindings/nvidia-ml-py from PyPI: " + got.stderr[-300:])
    return exe


def environment(mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPUSHIM_") and k != "LD_PRELOAD"}
    env["GPUSHIM_TIMEOUT"] = "60"
    if mode == "inprocess":
        env["GPUSHIM_ENDPOINT"] = "inprocess"
    return env


def run_client(python, source, mode, *args):
    script = [python, "-c", source, *args]
    if mode == "cpu-device":
        env = environment(mode)
        env["LD_LIBRARY_PATH"] = DRIVER_DIR
        cmd = script
    else:
        env, cmd = environment(mode), [GPUSHIM, "run", *script]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("mode", ["cpu-device", "private-agent", "inprocess"])
def test_cuda_python_driver_bindings(python, mode):
    out = run_client(python, CUDA_PYTHON_CLIENT, mode, PTX)
    assert out.returncode == 0 and "PASS cuda-python" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("mode", ["private-agent", "inprocess"])
def test_pynvml_sees_the_device(python, mode):
    out = run_client(python, PYNVML_CLIENT, mode)
    assert out.returncode == 0 and "PASS pynvml" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("mode", ["cpu-device", "private-agent", "inprocess"])
def test_cuda_python_links_ptx(python, mode):
    out = run_client(python, CUDA_PYTHON_LINK_CLIENT, mode, PTX)
    assert out.returncode == 0 and "PASS cuda-python cuLink" in out.stdout, out.stdout + out.stderr
