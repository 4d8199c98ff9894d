"""Bandwidth billing end to end: a real CUDA program (kernels/apps/bandwidth) runs through
libgpushim.so against the Vast fake, whose instance runs the real gpushim-agent with the
CPU device behind a byte-counting relay (the fake's meter, i.e. the provider's bill). The
daemon reads the agent's traffic counters at each heartbeat and before the stop, across a
stop and restart (a new agent: its counters start from zero again), and the ledger's bytes
and bandwidth cost must match the fake's bill within what the agent does not count: the
statistics queries themselves, the handshakes and the framing of each message."""
import os
import subprocess
import time

import pytest

from conftest import BIN, wait_for
from test_cloud import matches_ledger, start_fake, tls  # noqa: F401  (the tls fixture)

AGENT = os.environ.get("GPUSHIM_TEST_AGENT")
DRIVER = os.environ.get("GPUSHIM_TEST_DRIVER")
APP = os.environ.get("GPUSHIM_TEST_BANDWIDTH_APP")
pytestmark = pytest.mark.skipif(not (AGENT and APP),
                                reason="the agent or the CUDA programs are not built here")

# The fake's cheapest Vast offer (RTX 3090): $/GB into and out of the instance.
INET_DOWN, INET_UP = 0.01, 0.02
# What the agent does not count, per connection (auth handshake, TLS, stats replies) and
# per message (record framing): the ledger may be below the bill by at most this.
SLACK_FRACTION, SLACK_BYTES = 0.01, 64 * 1024


def run_app(gs, mib, repeats=1):
    env = dict(gs.env)
    for kv in os.environ.get("GPUSHIM_TEST_APP_ENV", "").split():
        k, _, v = kv.partition("=")
        env[k] = v
    p = subprocess.run([BIN, "run", APP, str(mib), str(repeats)], env=env, capture_output=True,
                       text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "data differs" not in p.stdout


def within_bill(ledger, billed):
    return ledger <= billed <= ledger * (1 + SLACK_FRACTION) + SLACK_BYTES


@pytest.fixture
def vast(gs, tls):  # noqa: F811
    env = dict(os.environ, FAKE_CLOUD_AGENT="%s --driver %s" % (AGENT, DRIVER))
    proc, fake = start_fake(gs, tls, "vast", env=env)
    gs.env.update({"GPUSHIM_AGENT_CMD": AGENT, "GPUSHIM_HEARTBEAT_INTERVAL": "0.5",
                   "GPUSHIM_IDLE_GRACE": "120", "GPUSHIM_QUIET": "1", "GPUSHIM_TIMEOUT": "30"})
    yield fake
    gs.shutdown()
    try:
        matches_ledger(gs, fake)
        assert fake.running() == []
    finally:
        proc.terminate()
        proc.wait(10)


def test_bandwidth_billed_as_the_provider_meters_it(gs, vast):
    run_app(gs, 2)
    # Read at the heartbeats and once when the last session has ended.
    st = wait_for(lambda: (lambda s: s if s.get("bytes_in", 0) > 2 << 20 else None)(
        gs.status()), 20, "the traffic in status")
    assert st["state"] == "idle" and st["bytes_out"] > 2 << 20
    assert abs(st["cost_so_far"] - st["compute_cost_so_far"] - st["storage_cost_so_far"]
               - st["bandwidth_cost_so_far"]) < 1e-12
    assert st["bandwidth_cost_so_far"] > 0
    assert gs.cli("down").returncode == 0                 # stop: a last reading first
    gs.wait_state("stopped")
    [inst] = vast.state()["instances"]
    [r] = gs.usage()
    assert within_bill(r["bytes_in"], inst["bytes_in"]), (r, inst)
    assert within_bill(r["bytes_out"], inst["bytes_out"]), (r, inst)
    # The restarted instance runs a new agent whose counters start from zero.
    run_app(gs, 1)
    assert gs.cli("down", "--destroy").returncode == 0
    [inst] = vast.state()["instances"]
    assert inst["status"] == "terminated"
    runs = gs.usage()
    assert len(runs) == 2 and all(x["bytes_in"] > 1 << 20 for x in runs)
    ledger_in = sum(x["bytes_in"] for x in runs)
    ledger_out = sum(x["bytes_out"] for x in runs)
    assert within_bill(ledger_in, inst["bytes_in"]), (runs, inst)
    assert within_bill(ledger_out, inst["bytes_out"]), (runs, inst)
    for x in runs:
        assert (x["inet_down_price_per_gb"], x["inet_up_price_per_gb"]) == (INET_DOWN, INET_UP)
        want = (x["bytes_in"] * INET_DOWN + x["bytes_out"] * INET_UP) / 1e9
        assert abs(x["bandwidth_cost"] - want) < 1e-12
        assert abs(x["cost"] - x["compute_cost"] - x["storage_cost"]
                   - x["bandwidth_cost"]) < 1e-12
    billed = inst["bandwidth_cost"]
    ledger = sum(x["bandwidth_cost"] for x in runs)
    assert ledger <= billed <= ledger * (1 + SLACK_FRACTION) + SLACK_BYTES * INET_UP / 1e9
    print("traffic: ledger in %d out %d, fake in %d out %d" % (
        ledger_in, ledger_out, inst["bytes_in"], inst["bytes_out"]))
    csv = gs.cli("usage", "--csv").stdout.splitlines()
    assert csv[1].split(",")[15:17] == [str(runs[0]["bytes_in"]), str(runs[0]["bytes_out"])]
    table = gs.cli("usage").stdout
    assert "MB in" in table and "bandwidth $%.4f" % ledger in table


def test_program_running_past_the_grace_is_not_interrupted(gs, vast):
    """A real program whose CUDA session lasts several grace periods keeps its instance:
    the grace counts only from the session's end."""
    grace = 0.25
    gs.env["GPUSHIM_IDLE_GRACE"] = str(grace)
    start = time.time()
    run_app(gs, 16, 6)
    elapsed = time.time() - start
    print("program ran %.1f s with a %.2f s grace" % (elapsed, grace))
    assert elapsed > 4 * grace, "the program was too quick to outlast the grace four times"
    [inst] = vast.state()["instances"]
    assert len(inst["periods"]) == 1                      # one run: never stopped under it
    gs.wait_state("stopped", timeout=20)                   # then the grace stops it
