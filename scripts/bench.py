#!/usr/bin/env python3
"""bench.py - gpushim's benchmarks, one command: scripts/bench.py [BUILD_DIR] [--quick]

Runs our programs, unmodified, in several configurations within one run and prints ratios
(timings on a shared machine are noisy; ratios measured side by side are what we report):

  direct      runtime layer linked straight to the CPU device: no protocol at all (baseline)
  inprocess   libgpushim.so with GPUSHIM_ENDPOINT=inprocess: stubs + encode/decode + dispatch
  loopback    libgpushim.so against gpushim-agent on 127.0.0.1 (TLS off, loopback default)
  loopback+tls  the same with TLS 1.3 forced on
  wan         through tests/tools/wan_proxy.py: RTT and bandwidth of a rented GPU link
  wan-sync    the same with batching off (GPUSHIM_BATCH=0): one round trip per call

Workloads: launch_heavy (thousands of tiny launches, one sync), bandwidth (copies of zeros, a
pattern and random data), matmul (compute bound). Results: docs/performance.md.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
QUICK = "--quick" in sys.argv
BUILD = os.path.abspath(args[0] if args else os.path.join(ROOT, "build"))
GPUSHIM = os.path.join(BUILD, "provisioner", "gpushim")
AGENT = os.path.join(BUILD, "remote-agent", "agent", "gpushim-agent")
DRIVER = os.path.join(BUILD, "remote-agent", "cpu-device", "libcuda.so.1")
DIRECT = os.path.join(BUILD, "shim", "direct")
PROXY = os.path.join(ROOT, "tests", "tools", "wan_proxy.py")
APPS = os.path.join(BUILD, "kernels", "apps")
KERNELS = os.path.join(BUILD, "kernels")
WAN_DELAY_MS = 10.0      # one way: 20 ms RTT
WAN_MBIT = 100.0
REPEATS = 1 if QUICK else 3


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPUSHIM_")}
    env["GPUSHIM_TIMEOUT"] = "120"
    env.update(extra)
    return env


def timed(cmd, env):
    start = time.monotonic()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - start
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return elapsed, out.stdout


class Agent:
    def __init__(self, tmp, tls="off"):
        self.secret = os.path.join(tmp, f"secret-{tls}")
        with open(self.secret, "w") as f:
            f.write(os.urandom(32).hex())
        os.chmod(self.secret, 0o600)
        self.proc = subprocess.Popen([AGENT, "--listen", "127.0.0.1:0", "--secret-file", self.secret,
                                      "--driver", DRIVER, "--tls", tls],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=base_env())
        self.port = int(re.search(r":(\d+)\s*$", self.proc.stdout.readline()).group(1))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Proxy:
    def __init__(self, target_port):
        self.proc = subprocess.Popen([sys.executable, PROXY, "--target", f"127.0.0.1:{target_port}",
                                      "--delay-ms", str(WAN_DELAY_MS), "--mbit", str(WAN_MBIT),
                                      "--max-seconds", "1800"], stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def configurations(tmp):
    plain, tls = Agent(tmp, "off"), Agent(tmp, "on")
    proxy = Proxy(plain.port)
    remote = lambda port, secret, **kw: base_env(GPUSHIM_ENDPOINT=f"127.0.0.1:{port}",
                                                 GPUSHIM_SECRET_FILE=secret, **kw)
    configs = {
        "direct": (lambda cmd: cmd, base_env(LD_LIBRARY_PATH=DIRECT)),
        "inprocess": (lambda cmd: [GPUSHIM, "run", *cmd], base_env(GPUSHIM_ENDPOINT="inprocess")),
        "loopback": (lambda cmd: [GPUSHIM, "run", *cmd], remote(plain.port, plain.secret)),
        "loopback+tls": (lambda cmd: [GPUSHIM, "run", *cmd], remote(tls.port, tls.secret, GPUSHIM_TLS="on")),
        "wan": (lambda cmd: [GPUSHIM, "run", *cmd], remote(proxy.port, plain.secret)),
        "wan-sync": (lambda cmd: [GPUSHIM, "run", *cmd], remote(proxy.port, plain.secret, GPUSHIM_BATCH="0")),
    }
    return configs, [plain, tls, proxy]


def median_time(wrap, env, cmd):
    times, out = [], ""
    for _ in range(REPEATS):
        t, out = timed(wrap(cmd), env)
        times.append(t)
    return statistics.median(times), out


def cpu_device_section():
    """The CPU device on its own: interpreter speed and each kernels/ program's wall time."""
    print("## CPU device")
    bench = os.path.join(BUILD, "tests", "ptx", "ptx-bench")
    out = subprocess.run([bench], capture_output=True, text=True, timeout=600)
    print(out.stdout.strip())
    names = sorted(f for f in os.listdir(KERNELS)
                   if os.access(os.path.join(KERNELS, f), os.X_OK) and "." not in f
                   and os.path.isfile(os.path.join(KERNELS, f)))
    print("wall time of each kernels/ program, runtime linked straight to the CPU device (median of",
          REPEATS, "):")
    for name in names:
        t, _ = median_time(lambda c: c, base_env(LD_LIBRARY_PATH=DIRECT), [os.path.join(KERNELS, name)])
        print(f"  {name:14s} {t * 1000:8.1f} ms")
    print(flush=True)


def main():
    cpu_device_section()
    launches = 500 if QUICK else 2000
    mib = 8 if QUICK else 32
    with tempfile.TemporaryDirectory() as tmp:
        configs, services = configurations(tmp)
        try:
            results = {}
            for name, (wrap, env) in configs.items():
                row = {}
                n = launches if name != "wan-sync" else max(50, launches // 20)
                t, _ = median_time(wrap, env, [os.path.join(APPS, "launch_heavy"), str(n)])
                t0, _ = median_time(wrap, env, [os.path.join(APPS, "launch_heavy"), "1"])
                row["us_per_launch"] = (t - t0) / (n - 1) * 1e6
                row["matmul_s"], _ = median_time(wrap, env, [os.path.join(KERNELS, "matmul")])
                _, out = timed(wrap([os.path.join(APPS, "bandwidth"), str(mib), "1"]), env)
                for direction, kind, mem, _, mbs in re.findall(r"BW (\w+) (\w+) (\w+) (\d+) ([\d.]+)", out):
                    if mem == "pinned":
                        row[f"{direction}_{kind}_MBps"] = float(mbs)
                results[name] = row
                print(f"{name:13s} " + "  ".join(f"{k}={v:.4g}" for k, v in row.items()), flush=True)
        finally:
            for s in services:
                s.stop()
    report(results)


def report(r):
    link = WAN_MBIT * 0.125
    print("\n## Ratios (one run; medians of", REPEATS, "for times)")
    print(f"- launch cost, loopback agent vs in-process CPU device: "
          f"{r['loopback']['us_per_launch']:.1f} vs {r['direct']['us_per_launch']:.1f} us/launch "
          f"({r['loopback']['us_per_launch'] / max(r['direct']['us_per_launch'], 1e-3):.2f}x)")
    print(f"- launch cost over the {2 * WAN_DELAY_MS:.0f} ms RTT link, batched vs synchronous forwarding: "
          f"{r['wan']['us_per_launch']:.1f} vs {r['wan-sync']['us_per_launch']:.1f} us/launch "
          f"({r['wan-sync']['us_per_launch'] / max(r['wan']['us_per_launch'], 1e-3):.0f}x faster batched)")
    print(f"- matmul wall time, loopback agent / direct: {r['loopback']['matmul_s'] / r['direct']['matmul_s']:.2f}; "
          f"TLS / plain loopback: {r['loopback+tls']['matmul_s'] / r['loopback']['matmul_s']:.2f}; "
          f"in-process link / direct: {r['inprocess']['matmul_s'] / r['direct']['matmul_s']:.2f}")
    for kind in ("zeros", "pattern", "random"):
        for d in ("h2d", "d2h"):
            key = f"{d}_{kind}_MBps"
            if key in r["wan"]:
                print(f"- {d} {kind} over the {WAN_MBIT:.0f} Mbit/s link: {r['wan'][key]:.1f} MB/s = "
                      f"{r['wan'][key] / link:.2f}x the link's limit ({link:.1f} MB/s); loopback "
                      f"{r['loopback'][key]:.0f} MB/s = {r['loopback'][key] / r['direct'][key]:.2f}x direct")


if __name__ == "__main__":
    main()
