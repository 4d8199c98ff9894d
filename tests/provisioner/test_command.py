"""The `command` provider: the user's scripts (tests/provisioner/cmd_provider.py here) do
create/start/stop/destroy/status/list; the daemon's lease, restart of stopped instances,
lost create answers and reconciliation after a crash go through them."""
import os
import signal
import subprocess
import sys

import pytest

from conftest import HERE, wait_for

SCRIPT = "%s %s" % (sys.executable, HERE / "cmd_provider.py")


def configure(gs, can_stop=True):
    state = gs.tmp / "cmd-instances"
    gs.env.update({
        "GPUSHIM_PROVIDER": "command",
        "CMD_STATE": str(state),
        "GPUSHIM_COMMAND_CREATE": SCRIPT + " create",
        "GPUSHIM_COMMAND_DESTROY": SCRIPT + " destroy",
        "GPUSHIM_COMMAND_STATUS": SCRIPT + " status",
        "GPUSHIM_COMMAND_LIST": SCRIPT + " list",
        "GPUSHIM_COMMAND_PRICE": "1.5",
        "GPUSHIM_COMMAND_GPU": "test-gpu",
        "GPUSHIM_COMMAND_GRANULARITY": "minute",
    })
    if can_stop:
        gs.env["GPUSHIM_COMMAND_START"] = SCRIPT + " start"
        gs.env["GPUSHIM_COMMAND_STOP"] = SCRIPT + " stop"
    return state


def provider_list(gs):
    out = subprocess.run(gs.env["GPUSHIM_COMMAND_LIST"], shell=True, env=gs.env,
                         capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()]


def running_match_ledger(gs):
    """Nothing runs untracked: the provider's running instances are the ledger's."""
    running = sorted(i for i, _, s in provider_list(gs) if s in ("running", "pending"))
    assert running == sorted(i for _, i, _ in gs.ledger_up("command"))


@pytest.fixture
def cmd(gs):
    yield gs
    if "CMD_STATE" in gs.env:
        gs.shutdown()
        running_match_ledger(gs)


def test_stop_then_restart_same_instance(cmd):
    gs = cmd
    configure(gs)
    p1, ep1, secret1 = gs.session(0)
    assert p1.wait(10) == 0
    st = gs.status()
    assert st["provider"] == "command" and st["gpu"] == "test-gpu"
    assert st["price_per_hour"] == 1.5
    running_match_ledger(gs)
    st = gs.wait_state("stopped", timeout=10)        # the grace ran out: stopped, kept
    [(iid, tag, state)] = provider_list(gs)
    assert (iid, state) == (st["instance"], "stopped")
    running_match_ledger(gs)
    p2, ep2, secret2 = gs.session(0)                 # restarts the same instance
    assert p2.wait(10) == 0
    assert secret2 == secret1 and gs.status()["instance"] == iid
    assert len(provider_list(gs)) == 1
    assert gs.cli("down", "--destroy").returncode == 0
    assert provider_list(gs) == []
    rows = gs.usage()
    assert [r["instance"] for r in rows] == [iid, iid]
    for r in rows:       # per-minute billing: each run bills a whole minute at $1.5/h
        assert r["granularity"] == "minute" and r["billed_seconds"] == 60
        assert abs(r["cost"] - 0.025) < 1e-9


def test_destroy_only_scripts(cmd):
    gs = cmd
    configure(gs, can_stop=False)
    # Per-second billing with a 2-minute minimum charge per run.
    gs.env.update({"GPUSHIM_COMMAND_GRANULARITY": "second", "GPUSHIM_COMMAND_MIN_SECONDS": "120"})
    assert gs.cli("up").returncode == 0
    gs.wait_state("none", timeout=10)
    assert provider_list(gs) == []
    assert gs.ledger("SELECT state FROM instances") == [("destroyed",)]
    [r] = gs.usage()
    assert r["seconds"] < 120 and r["billed_seconds"] == 120 and r["min_seconds"] == 120
    assert abs(r["cost"] - 120 * 1.5 / 3600) < 1e-12


def test_create_failure_is_reported(cmd):
    gs = cmd
    configure(gs)
    p = gs.cli("up", env={"CMD_FAIL": "create"})
    assert p.returncode == 1
    assert "create script failed" in p.stderr and "simulated create failure" in p.stderr
    assert provider_list(gs) == []
    assert gs.ledger_up() == []


def test_lost_create_answer_finds_instance_by_tag(cmd):
    gs = cmd
    configure(gs)
    p = gs.cli("up", env={"CMD_LOSE_ANSWER": "1"})
    assert p.returncode == 0, p.stderr
    [(iid, tag, state)] = provider_list(gs)
    assert gs.status()["instance"] == iid
    events = [e for (e,) in gs.ledger("SELECT event FROM events ORDER BY seq")]
    assert "create-unanswered" in events
    running_match_ledger(gs)


@pytest.mark.parametrize("policy", ["stop", "destroy"])
def test_crash_then_reconcile(cmd, policy):
    gs = cmd
    configure(gs)
    gs.env["GPUSHIM_ORPHAN_POLICY"] = policy
    p, _, _ = gs.session(60)
    st = gs.status()
    gs.kill_daemon()
    p.kill()
    # An instance nobody knows (our tag, but not in the ledger) also runs there.
    subprocess.run(gs.env["GPUSHIM_COMMAND_CREATE"], shell=True, check=True,
                   env=dict(gs.env, GPUSHIM_TAG="gpushim-stranger", GPUSHIM_SECRET="s" * 64),
                   capture_output=True)
    wait_for(lambda: sorted(s for _, _, s in provider_list(gs)) == ["running", "running"], 10,
             "both instances to run")
    assert gs.cli("down").returncode == 0       # a new daemon reconciles first
    left = provider_list(gs)
    if policy == "stop":
        assert left == [[st["instance"], left[0][1], "stopped"]]
    else:
        assert left == []
    events = [e for (e,) in gs.ledger("SELECT event FROM events ORDER BY seq")]
    assert "orphan-found" in events
    running_match_ledger(gs)
