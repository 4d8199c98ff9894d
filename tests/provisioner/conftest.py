"""Fixtures for the provisioner tests: an isolated user (XDG dirs), the gpushim CLI, the
session client, and cleanup that ends every process a test started and checks that nothing
runs untracked (agents alive == instances the ledger says are up)."""
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import time

import pytest

from procs import alive, kill_and_reap

HERE = pathlib.Path(__file__).resolve().parent
BIN = os.environ.get("GPUSHIM_TEST_BIN")
SESSION_CLIENT = os.environ.get("GPUSHIM_TEST_SESSION_CLIENT")
FAKE_AGENT = str(HERE / "fake_agent.py")

if not BIN or not SESSION_CLIENT:
    raise RuntimeError("run through meson test (GPUSHIM_TEST_BIN / GPUSHIM_TEST_SESSION_CLIENT)")


pid_alive = alive


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


class Gpushim:
    """One isolated user of gpushim."""

    def __init__(self, tmp):
        self.tmp = pathlib.Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GPUSHIM_")}
        env.update({
            "XDG_RUNTIME_DIR": str(self.tmp / "run"),
            "XDG_STATE_HOME": str(self.tmp / "state"),
            "XDG_CONFIG_HOME": str(self.tmp / "config"),
            "HOME": str(self.tmp / "home"),
            "GPUSHIM_BIN": BIN,
            "GPUSHIM_AGENT_CMD": FAKE_AGENT,
            "GPUSHIM_IDLE_GRACE": "2",
            "GPUSHIM_POLL_INTERVAL": "0.1",
            "GPUSHIM_DAEMON_LINGER": "60",
            "FAKE_AGENT_RECORD": str(self.tmp / "agents.txt"),
        })
        os.makedirs(env["HOME"], exist_ok=True)
        self.env = env
        self.children = []
        self.daemon_pids = set()

    # -- running things ------------------------------------------------------------------
    def cli(self, *args, env=None, timeout=60, input=None):
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run([BIN, *args], env=e, capture_output=True, text=True,
                           timeout=timeout, input=input)
        self.note_daemon()
        return p

    def status(self):
        p = self.cli("status", "--json")
        assert p.returncode == 0, p.stderr
        st = json.loads(p.stdout)
        if st.get("daemon_pid"):
            self.daemon_pids.add(st["daemon_pid"])
        return st

    def note_daemon(self):
        pidfile = self.tmp / "run" / "gpushim" / "daemon.sock"
        if pidfile.exists():
            try:
                out = subprocess.run([BIN, "status", "--json"], env=self.env,
                                     capture_output=True, text=True, timeout=10).stdout
                pid = json.loads(out).get("daemon_pid")
                if pid:
                    self.daemon_pids.add(pid)
            except (subprocess.TimeoutExpired, ValueError):
                pass

    def kill_daemon(self):
        """SIGKILLs the daemon (a crash) and waits until it is gone."""
        pid = self.status()["daemon_pid"]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid), 10, "the daemon to die")
        return pid

    def wait_state(self, state, timeout=15):
        return wait_for(lambda: (lambda s: s if s["state"] == state else None)(self.status()),
                        timeout, "state " + state)

    def session(self, hold, env=None, probe=True):
        """Starts the session client; returns (process, endpoint, secret path)."""
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.Popen([SESSION_CLIENT, str(hold)] + ([] if probe else ["noprobe"]), env=e, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.children.append(p)
        line = p.stdout.readline().split()
        assert line and line[0] == "READY", "session failed: " + p.stderr.read()
        self.note_daemon()
        return p, line[1], line[2]

    def popen_cli(self, *args, env=None):
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.Popen([BIN, *args], env=e, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.children.append(p)
        return p

    # -- what runs -----------------------------------------------------------------------
    def agent_pids(self):
        """Live stand-in agents this user started (any provider runs them here)."""
        path = self.tmp / "agents.txt"
        if not path.exists():
            return []
        pids = [int(line.split()[0]) for line in path.read_text().splitlines() if line]
        return [p for p in pids if pid_alive(p)]

    def ledger(self, sql, *args):
        if not (self.tmp / "state" / "gpushim" / "ledger.db").exists():
            return []
        db = sqlite3.connect(str(self.tmp / "state" / "gpushim" / "ledger.db"))
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def ledger_up(self, provider=None):
        """Instances the ledger says exist and are not stopped/destroyed."""
        rows = self.ledger("SELECT provider, id, state FROM instances WHERE state NOT IN "
                           "('destroyed','stopped')")
        return [r for r in rows if provider is None or r[0] == provider]

    def usage(self, *args):
        p = self.cli("usage", "--json", *args)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    # -- cleanup -------------------------------------------------------------------------
    def shutdown(self):
        """Stops the instance and the daemon, then ends anything left (and says so)."""
        leftovers = []
        sock = self.tmp / "run" / "gpushim" / "daemon.sock"
        if sock.exists():
            self.note_daemon()
            subprocess.run([BIN, "down", "--exit", "--force"], env=self.env,
                           capture_output=True, text=True, timeout=60)
        for pid in self.daemon_pids:
            try:
                wait_for(lambda: not pid_alive(pid), 10, "daemon exit")
            except AssertionError:
                leftovers.append("daemon %d" % pid)
                os.kill(pid, signal.SIGKILL)
        for p in self.children:
            kill_and_reap(p)
        for pid in self.agent_pids():
            leftovers.append("agent %d" % pid)
            os.kill(pid, signal.SIGKILL)
        return leftovers


@pytest.fixture
def gs(tmp_path):
    g = Gpushim(tmp_path)
    yield g
    leftovers = g.shutdown()
    assert not leftovers, "processes left running: %s" % leftovers
