"""The provisioner with the real gpushim-agent (and the CPU device) instead of the
stand-in: the local and ssh providers bring it up, the secret they hand out authenticates
(`gpushim-agent --stats` answers), the daemon's heartbeat is accepted, and the lease stops
it. Skipped when this tree does not build the agent."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import pid_alive, wait_for
from test_ssh import remote_agents, sshd  # noqa: F401  (the sshd fixture)

AGENT = os.environ.get("GPUSHIM_TEST_AGENT")
DRIVER = os.environ.get("GPUSHIM_TEST_DRIVER")
pytestmark = pytest.mark.skipif(not AGENT, reason="gpushim-agent is not built in this tree")


def agent_stats(endpoint, secret_path):
    p = subprocess.run([AGENT, "--stats", endpoint, "--secret-file", secret_path, "--json"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def local_agent_pids(gs):
    d = gs.tmp / "state" / "gpushim" / "local"
    pids = [int(f.read_text()) for f in d.glob("*.pid")] if d.exists() else []
    return [p for p in pids if pid_alive(p)]


def test_local_real_agent(gs):
    gs.env.update({"GPUSHIM_AGENT_CMD": AGENT, "GPUSHIM_DRIVER": DRIVER,
                   "GPUSHIM_HEARTBEAT_INTERVAL": "0.5"})
    p, ep, secret = gs.session(2)
    assert p.wait(30) == 0, p.stderr.read()
    stats = agent_stats(ep, secret)
    assert stats["auth_failures"] == 0 and "uptime_ms" in stats
    [pid] = local_agent_pids(gs)
    assert os.path.realpath("/proc/%d/exe" % pid) == os.path.realpath(AGENT)
    log = (gs.tmp / "state" / "gpushim" / "daemon.log").read_text()
    assert "heartbeat" not in log                 # every heartbeat was accepted
    gs.wait_state("none", timeout=15)
    assert local_agent_pids(gs) == [] and not pid_alive(pid)


def test_ssh_real_agent(gs, sshd):
    gs.env.update({"GPUSHIM_SSH_AGENT": AGENT, "GPUSHIM_AGENT_CMD": AGENT,
                   "GPUSHIM_SSH_AGENT_ARGS": "--driver " + DRIVER})
    p, ep, secret = gs.session(0)
    assert p.wait(30) == 0, p.stderr.read()
    [(tag, pid)] = remote_agents(sshd)
    assert agent_stats(ep, secret)["auth_failures"] == 0
    # The copy on the "remote" host is the agent binary itself.
    assert (sshd / tag / "gpushim-agent").read_bytes() == pathlib.Path(AGENT).read_bytes()
    gs.wait_state("none", timeout=20)
    assert remote_agents(sshd) == []
