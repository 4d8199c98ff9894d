"""The real gpushim-agent (engineer P's dispatch, the CPU device) behind the transport: copies
through TLS, and a killed client whose device memory comes back."""
import os
import select
import signal
import subprocess
import time

import pytest

AGENT = os.environ.get("GS_AGENT", "gpushim-agent")
CLIENT = os.environ.get("GS_DRIVER_CLIENT", "remote_driver_client")
DEVICE = os.environ.get("GS_CPU_DEVICE", "libcuda.so.1")
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GPUSHIM_")}


@pytest.fixture
def agent(tmp_path):
    secret = tmp_path / "secret"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, os.urandom(32).hex().encode())
    os.close(fd)
    err = open(tmp_path / "agent.err", "w")
    p = subprocess.Popen([AGENT, "--listen", "127.0.0.1:0", "--secret-file", str(secret),
                          "--driver", DEVICE, "--tls", "on"],
                         stdout=subprocess.PIPE, stderr=err, text=True, env=CLEAN_ENV)
    assert select.select([p.stdout], [], [], 10)[0], "agent did not start"
    port = int(p.stdout.readline().strip().rsplit(":", 1)[1])
    env = dict(CLEAN_ENV, GPUSHIM_ENDPOINT=f"127.0.0.1:{port}", GPUSHIM_SECRET_FILE=str(secret),
               GPUSHIM_TIMEOUT="30", GPUSHIM_TLS="on")
    yield env
    p.kill()
    p.wait()
    p.stdout.close()
    err.close()


def run(env, *args):
    r = subprocess.run([CLIENT, *args], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_copies_over_tls(agent):
    for n in ("1", "4096", "3000000"):
        assert run(agent, "copy", n) == "ok"


def test_killed_client_memory_back_to_baseline(agent):
    baseline = int(run(agent, "free"))
    holder = subprocess.Popen([CLIENT, "hold", str(64 << 20)], stdout=subprocess.PIPE,
                              text=True, env=agent)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert int(run(agent, "free")) <= baseline - (64 << 20)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    end = time.monotonic() + 10
    while int(run(agent, "free")) != baseline and time.monotonic() < end:
        time.sleep(0.1)
    assert int(run(agent, "free")) == baseline
