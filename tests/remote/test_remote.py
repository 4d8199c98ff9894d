"""Unmodified CUDA programs through libgpushim.so against a real gpushim-agent process.

Every program of kernels/ and kernels/apps/ runs under `gpushim run`: with no configuration (a
private agent on loopback), against an agent we start with TLS forced on, and in-process. Then
the failure paths: several programs at once, a killed client, a killed agent, a wrong secret,
and the round trips of a launch-heavy program read from the agent's counters.

Paths come from meson through environment variables (see tests/remote/meson.build).
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

GPUSHIM = os.environ["GPUSHIM_TEST_BIN"]
AGENT = os.environ["GPUSHIM_TEST_AGENT"]
DRIVER = os.environ["GPUSHIM_TEST_DRIVER"]
HELPERS = os.environ["GPUSHIM_TEST_HELPERS"]
LIBGPUSHIM = os.environ["GPUSHIM_TEST_LIBGPUSHIM"]
PROGRAMS = [p for p in os.environ["GPUSHIM_TEST_PROGRAMS"].split(":") if p]
TIMEOUT = 180


def program_id(path):
    return os.path.basename(path)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPUSHIM_")}
    env["GPUSHIM_TIMEOUT"] = "20"
    env.update(extra)
    return env


def run(args, env, timeout=TIMEOUT):
    return subprocess.run([GPUSHIM, "run", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


class Agent:
    """A gpushim-agent process on a loopback port with its own secret."""

    def __init__(self, tmp_path, tls="auto", extra=()):
        self.secret = tmp_path / "secret"
        self.secret.write_text(os.urandom(32).hex() + "\n")
        os.chmod(self.secret, 0o600)
        self.log = open(tmp_path / "agent.log", "w+")
        self.proc = subprocess.Popen(
            [AGENT, "--listen", "127.0.0.1:0", "--secret-file", str(self.secret), "--driver", DRIVER,
             "--tls", tls, *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=clean_env())
        line = self.proc.stdout.readline()
        match = re.search(r":(\d+)\s*$", line)
        assert match, f"agent did not say where it listens: {line!r}"
        self.endpoint = f"127.0.0.1:{match.group(1)}"

    def client_env(self, **extra):
        return clean_env(GPUSHIM_ENDPOINT=self.endpoint, GPUSHIM_SECRET_FILE=str(self.secret), **extra)

    def stats(self):
        out = subprocess.run([AGENT, "--stats", self.endpoint, "--secret-file", str(self.secret), "--json"],
                             capture_output=True, text=True, timeout=30, env=clean_env())
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.seek(0)
        return self.log.read()


@pytest.fixture
def agent(tmp_path):
    a = Agent(tmp_path)
    yield a
    a.stop()


# Programs expected to fail across a link with this clear CUDA error, never crash or hang.
# (Mapped pinned and managed memory work across a link: shim/driver/uvm.c.)
REMOTE_UNSUPPORTED = {}


def assert_passed(result, path, remote=True):
    name = program_id(path)
    if remote and name in REMOTE_UNSUPPORTED:
        assert result.returncode != 0 and REMOTE_UNSUPPORTED[name] in result.stdout + result.stderr, \
            f"{name}: expected {REMOTE_UNSUPPORTED[name]}\n{result.stdout}\n{result.stderr}"
        return
    assert result.returncode == 0, f"{name} failed\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert f"PASS {name}" in result.stdout


@pytest.mark.parametrize("program", PROGRAMS, ids=program_id)
def test_program_with_private_agent(program):
    assert_passed(run([program], clean_env()), program)


@pytest.mark.parametrize("program", PROGRAMS, ids=program_id)
def test_program_against_agent_with_tls(program, tmp_path):
    a = Agent(tmp_path, tls="on")
    try:
        assert_passed(run([program], a.client_env(GPUSHIM_TLS="on")), program)
    finally:
        a.stop()


@pytest.mark.parametrize("program", PROGRAMS, ids=program_id)
def test_program_in_process(program):
    assert_passed(run([program], clean_env(GPUSHIM_ENDPOINT="inprocess")), program)


@pytest.mark.parametrize("name", ["vector_add", "launch_api", "threads"])
def test_plain_ld_preload_works(name):
    program = next(p for p in PROGRAMS if program_id(p) == name)
    env = clean_env()
    env["LD_PRELOAD"] = ":".join(filter(None, [os.environ.get("LD_PRELOAD"), LIBGPUSHIM]))
    result = subprocess.run([program], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert_passed(result, program)


def test_nvrtc_cubin_with_ld_preload():
    """LD_PRELOAD=libgpushim.so where libcuda.so.1 and libnvrtc.so.13 are the installed libraries
    (here the CPU device's and NVIDIA's): the preloaded cu* and nvrtc* come first, so NVRTC
    cubins get their PTX twins as under `gpushim run`."""
    program = next(p for p in PROGRAMS if program_id(p) == "nvrtc_cubin")
    env = clean_env()
    env["LD_PRELOAD"] = ":".join(filter(None, [os.environ.get("LD_PRELOAD"), LIBGPUSHIM]))
    env["LD_LIBRARY_PATH"] = ":".join(filter(None, [os.path.dirname(DRIVER), os.environ.get("LD_LIBRARY_PATH")]))
    result = subprocess.run([program], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert_passed(result, program)


def managed_segv():
    return next(p for p in PROGRAMS if program_id(p) == "managed_segv")


@pytest.mark.parametrize("endpoint", ["private", "inprocess"])
def test_genuine_segfault_still_crashes_with_managed_memory(endpoint):
    """Managed memory tracks host writes with write faults; a bad pointer must still kill."""
    env = clean_env() if endpoint == "private" else clean_env(GPUSHIM_ENDPOINT="inprocess")
    result = run([managed_segv(), "crash"], env)
    assert result.returncode != 0 and "survived" not in result.stdout, result.stdout + result.stderr
    assert "PASS" not in result.stdout
    if "ASAN_OPTIONS" not in os.environ:    # under ASan its own handler reports the fault
        assert result.returncode in (-signal.SIGSEGV, 128 + signal.SIGSEGV), result.returncode


def test_managed_memory_moves_only_what_changed():
    """64 MiB managed buffer: host fill, kernel, sync, one host write, kernel, sync."""
    program = next(p for p in PROGRAMS if program_id(p) == "managed_memory")
    result = run([program, "measure"], clean_env(GPUSHIM_UVM_STATS="1"))
    assert_passed(result, program)
    match = re.search(r"uvm pushed (\d+) bytes in (\d+) pushes, pulled (\d+) bytes", result.stderr)
    assert match, result.stderr
    pushed, pulled = int(match.group(1)), int(match.group(3))
    mib64 = 64 << 20
    assert pushed == mib64 + 4096, pushed        # everything once, then the one page written
    assert pulled == 2 * mib64, pulled           # every synchronization after a kernel pulls all


def test_several_programs_share_one_agent(agent):
    chosen = [p for p in PROGRAMS if program_id(p) in ("matmul", "reduction", "threads", "async_streams")]
    procs = [subprocess.Popen([GPUSHIM, "run", p], env=agent.client_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in chosen]
    for p, path in zip(procs, chosen):
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0 and f"PASS {program_id(path)}" in out, err


def test_device_printf_reaches_each_program_on_a_shared_agent(agent):
    """Three programs printing from their kernels at once on one agent: each gets exactly its
    own lines (device_printf checks every line arrived once)."""
    program = next(p for p in PROGRAMS if program_id(p) == "device_printf")
    procs = [subprocess.Popen([GPUSHIM, "run", program], env=agent.client_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0 and "PASS device_printf" in out, out + err


def used_mib(env):
    out = run([os.path.join(HELPERS, "mem_probe")], env)
    match = re.search(r"USED_MIB (\d+)", out.stdout)
    assert match, out.stdout + out.stderr
    return int(match.group(1))


def test_killed_client_frees_its_memory(agent):
    env = agent.client_env()
    baseline = used_mib(env)
    holder = subprocess.Popen([GPUSHIM, "run", os.path.join(HELPERS, "hold_memory"), "512"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "READY"
    assert used_mib(env) >= baseline + 512
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    deadline = time.monotonic() + 30
    while used_mib(env) > baseline and time.monotonic() < deadline:
        time.sleep(0.2)
    assert used_mib(env) == baseline


def test_killed_agent_gives_cuda_error_not_hang(agent):
    env = agent.client_env(GPUSHIM_TIMEOUT="10")
    holder = subprocess.Popen([GPUSHIM, "run", os.path.join(HELPERS, "hold_memory"), "16", "--busy"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "READY"
    agent.proc.send_signal(signal.SIGKILL)
    out, err = holder.communicate(timeout=60)
    assert holder.returncode != 0
    assert "ERROR cuda" in out, out
    assert "gpushim" in err, "no line on stderr naming the cause"


def test_wrong_secret_is_refused_clearly(agent, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-secret\n")
    os.chmod(wrong, 0o600)
    env = clean_env(GPUSHIM_ENDPOINT=agent.endpoint, GPUSHIM_SECRET_FILE=str(wrong))
    out = run([os.path.join(HELPERS, "mem_probe")], env, timeout=60)
    assert out.returncode != 0
    assert "ERROR cudaError" in out.stdout
    assert re.search(r"secret|credential|authenticat", out.stderr, re.I), out.stderr
    # ...and the agent still serves a good client.
    assert used_mib(agent.client_env()) >= 0


def test_unreachable_agent_is_an_error_not_a_hang(tmp_path):
    secret = tmp_path / "s"
    secret.write_text("x" * 64)
    os.chmod(secret, 0o600)
    env = clean_env(GPUSHIM_ENDPOINT="127.0.0.1:9", GPUSHIM_SECRET_FILE=str(secret), GPUSHIM_TIMEOUT="5")
    out = run([os.path.join(HELPERS, "mem_probe")], env, timeout=60)
    assert out.returncode != 0 and "ERROR cudaError" in out.stdout
    assert "gpushim" in out.stderr


def find_counter(stats, name):
    """The agent-wide value of a counter in the stats JSON, wherever it nests."""
    if isinstance(stats, dict):
        if name in stats and isinstance(stats[name], (int, float)):
            return stats[name]
        for key in ("total", "totals", "agent"):
            if key in stats:
                value = find_counter(stats[key], name)
                if value is not None:
                    return value
    return None


def test_launch_heavy_program_makes_few_round_trips(agent):
    program = next(p for p in PROGRAMS if program_id(p) == "launch_heavy")
    before = agent.stats()
    result = run([program, "3000"], agent.client_env())
    assert_passed(result, program)
    after = agent.stats()
    trips = find_counter(after, "round_trips") - find_counter(before, "round_trips")
    calls = find_counter(after, "calls") - find_counter(before, "calls")
    print(f"launch_heavy: {calls} calls in {trips} round trips")
    assert calls >= 3000
    # Setup (init, context, module, allocations) and the two copies back wait; the 3000
    # launches must not: one round trip per synchronizing call.
    assert trips < 40


def test_nvml_sees_the_remote_device(agent):
    out = run([os.path.join(HELPERS, "nvml_query")], agent.client_env())
    assert out.returncode == 0, out.stdout + out.stderr
    assert "COUNT 1" in out.stdout
    match = re.search(r"NAME (.+?) TOTAL (\d+) FREE (\d+) USED (\d+)", out.stdout)
    assert match and int(match.group(2)) > 0 and int(match.group(3)) <= int(match.group(2))


def test_stats_command_reports_sessions(agent):
    run([os.path.join(HELPERS, "mem_probe")], agent.client_env())
    out = subprocess.run([GPUSHIM, "stats", "--json"], env=agent.client_env(), capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    assert find_counter(stats, "calls") > 0


def test_program_through_the_local_provider(tmp_path):
    """GPUSHIM_PROVIDER=local: the first CUDA call leases an instance from the daemon, which
    stays idle for the grace period, shows in `status`, stops with `down`, and is billed in
    the ledger."""
    dirs = {name: tmp_path / name for name in ("run", "state", "config")}
    for d in dirs.values():
        d.mkdir(mode=0o700)
    env = clean_env(GPUSHIM_PROVIDER="local", GPUSHIM_IDLE_GRACE="60", GPUSHIM_QUIET="1", GPUSHIM_DAEMON_LINGER="1",
                    XDG_RUNTIME_DIR=str(dirs["run"]), XDG_STATE_HOME=str(dirs["state"]),
                    XDG_CONFIG_HOME=str(dirs["config"]))
    program = next(p for p in PROGRAMS if program_id(p) == "vector_add")
    try:
        assert_passed(run([program], env), program)
        status = json.loads(subprocess.run([GPUSHIM, "status", "--json"], env=env, capture_output=True,
                                           text=True, timeout=60).stdout)
        assert status["provider"] == "local" and status["state"] == "idle" and status["instance"]
    finally:
        down = subprocess.run([GPUSHIM, "down", "--force"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stderr
    usage = json.loads(subprocess.run([GPUSHIM, "usage", "--json"], env=env, capture_output=True,
                                      text=True, timeout=60).stdout)
    assert any(r["instance"] == status["instance"] and r["stopped_at"] for r in usage), usage
