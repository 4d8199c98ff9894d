"""The `ssh` provider against a real OpenSSH sshd on a loopback port (its own host key,
authorized key and config, started per test): the agent is copied with scp, its secret
sent over ssh's stdin, started detached, found by its port, and stopped by the lease."""
import os
import pathlib
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import FAKE_AGENT, pid_alive, wait_for
from procs import free_port, start_sshd


@pytest.fixture
def sshd(gs):
    d = gs.tmp / "sshd"
    d.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "client_key")],
                   check=True)
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    port = free_port()
    proc = start_sshd(d, port, d / "authorized_keys")
    remote = gs.tmp / "remote"
    gs.env.update({
        "GPUSHIM_PROVIDER": "ssh",
        "GPUSHIM_SSH_HOST": "127.0.0.1",
        "GPUSHIM_SSH_PORT": str(port),
        "GPUSHIM_SSH_KEY": str(d / "client_key"),
        "GPUSHIM_SSH_KNOWN_HOSTS": str(d / "known_hosts"),
        "GPUSHIM_SSH_DIR": str(remote),
        "GPUSHIM_SSH_AGENT": FAKE_AGENT,
        "GPUSHIM_SSH_LISTEN": "127.0.0.1",
        "GPUSHIM_SSH_PRICE": "0.5",
        "GPUSHIM_SSH_GPU": "loopback-gpu",
    })
    yield remote
    gs.shutdown()
    assert remote_agents(remote) == []            # nothing left running on the host
    proc.terminate()
    proc.wait(10)


def remote_agents(remote):
    """(tag, pid) of agents alive on the 'remote' host."""
    out = []
    if remote.exists():
        for d in remote.iterdir():
            pidfile = d / "agent.pid"
            if pidfile.exists() and pid_alive(int(pidfile.read_text())):
                out.append((d.name, int(pidfile.read_text())))
    return out


def test_ssh_lease(gs, sshd):
    p, ep, secret_path = gs.session(0)
    assert p.wait(20) == 0, p.stderr.read()
    st = gs.status()
    assert st["provider"] == "ssh" and st["gpu"] == "loopback-gpu"
    [(tag, pid)] = remote_agents(sshd)
    assert tag == st["instance"]
    assert ep == "127.0.0.1:%s" % ep.split(":")[1]
    # The secret reached the host through stdin: same content, private, not on any argv.
    secret = open(secret_path).read().strip()
    remote_secret = sshd / tag / "secret"
    assert remote_secret.read_text().strip() == secret
    assert stat.S_IMODE(os.stat(remote_secret).st_mode) == 0o600
    assert secret not in open("/proc/%d/cmdline" % pid).read()
    # A second program during the grace reuses the agent; then the grace stops it.
    p2, ep2, _ = gs.session(0)
    assert p2.wait(20) == 0 and ep2 == ep
    gs.wait_state("none", timeout=20)
    assert remote_agents(sshd) == [] and not (sshd / tag).exists()
    assert gs.ledger_up() == []
    [row] = gs.usage()
    assert row["provider"] == "ssh" and row["price_per_hour"] == 0.5


def test_ssh_unreachable_host(gs, sshd):
    p = gs.cli("up", env={"GPUSHIM_SSH_PORT": "1"})
    assert p.returncode == 1
    assert "ssh 127.0.0.1 failed" in p.stderr
    assert gs.ledger_up() == []


def test_ssh_crash_reconciled(gs, sshd):
    p, _, _ = gs.session(60)
    st = gs.status()
    [(tag, pid)] = remote_agents(sshd)
    gs.kill_daemon()
    p.kill()
    assert pid_alive(pid)
    assert gs.cli("down").returncode == 0
    wait_for(lambda: not pid_alive(pid), 10, "the orphaned remote agent to stop")
    assert not (sshd / tag).exists()
    assert gs.ledger_up() == []
