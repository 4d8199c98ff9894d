"""The real gpushim-agent (engineer P's dispatch, the CPU device) behind the transport: copies
through TLS, and a killed client whose device memory comes back."""
import json
import os
import select
import socket
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
    env["_SECRET"] = str(secret)
    yield env
    p.kill()
    p.wait()
    p.stdout.close()
    err.close()


def run(env, *args):
    r = subprocess.run([CLIENT, *args], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def stats(env):
    r = subprocess.run([AGENT, "--stats", env["GPUSHIM_ENDPOINT"], "--secret-file",
                        env["_SECRET"], "--json"], capture_output=True, text=True, timeout=30,
                       env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_copies_over_tls(agent):
    for n in ("1", "4096", "3000000"):
        assert run(agent, "copy", n) == "ok"
    st = stats(agent)
    # a program that exits without closing its link ends its session cleanly
    assert st["sessions_total"] == 3 and st["sessions"] == 0 and st["dropped"] == 0
    assert st["total"]["calls"] > 0 and st["total"]["bytes_in_raw"] >= 3004097


def test_private_agent_real(tmp_path):
    """No endpoint configured: the client starts gpushim-agent with the CPU device itself,
    and the agent leaves when the program ends."""
    log = tmp_path / "agent.log"
    env = dict(CLEAN_ENV, GPUSHIM_AGENT=AGENT, GPUSHIM_DRIVER=DEVICE, TMPDIR=str(tmp_path),
               GPUSHIM_AGENT_LOG=str(log))
    assert run(env, "copy", "100000") == "ok"
    port = int([l for l in log.read_text().splitlines() if "listening" in l][0].rsplit(":", 1)[1])
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            time.sleep(0.1)
        except OSError:
            break
    else:
        pytest.fail("private agent still listening after its program ended")


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
