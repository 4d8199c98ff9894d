"""The lease, the daemon and the CLI against the `local` provider (the instance is an agent
process here; the stand-in agent until the real gpushim-agent is used)."""
import json
import math
import os
import signal
import stat
import subprocess
import time

from conftest import SESSION_CLIENT, pid_alive, wait_for


def test_up_status_down(gs):
    p = gs.cli("up")
    assert p.returncode == 0, p.stderr
    assert "ready, agent at 127.0.0.1:" in p.stdout
    st = gs.status()
    assert st["provider"] == "local"
    assert st["state"] == "idle"
    assert st["instance"].startswith("gpushim-")
    assert len(gs.agent_pids()) == 1
    assert gs.ledger_up() == [("local", st["instance"], "running")]
    p = gs.cli("down")
    assert p.returncode == 0, p.stderr
    assert gs.status()["state"] == "none"
    assert gs.agent_pids() == []
    assert gs.ledger_up() == []
    rows = gs.usage()
    assert len(rows) == 1
    r = rows[0]
    assert r["provider"] == "local" and r["instance"] == st["instance"]
    assert r["stopped_at"] is not None and r["stopped_at"] >= r["started_at"]
    assert abs(r["seconds"] - (r["stopped_at"] - r["started_at"])) < 1e-6
    assert r["cost"] == 0


def test_second_session_reuses_and_grace_stops(gs):
    p1, ep1, secret1 = gs.session(0)
    assert p1.wait(10) == 0
    st = gs.status()
    assert st["state"] == "idle"
    # A second program within the grace period gets the same instance.
    p2, ep2, secret2 = gs.session(0)
    assert p2.wait(10) == 0
    assert (ep2, secret2) == (ep1, secret1)
    assert len(gs.agent_pids()) == 1
    assert gs.status()["instance"] == st["instance"]
    # The secret handed to the program is private and holds the instance's secret.
    assert stat.S_IMODE(os.stat(secret1).st_mode) == 0o600
    # No session: the grace (2 s) runs out and the instance stops within a few seconds.
    gs.wait_state("none", timeout=10)
    wait_for(lambda: gs.agent_pids() == [], 5, "the agent to exit")
    assert gs.ledger_up() == []
    events = [e for (e,) in gs.ledger("SELECT event FROM events WHERE instance=? ORDER BY seq",
                                      st["instance"])]
    assert events[:3] == ["intent-create", "created", "agent-ready"]
    assert events[-2:] == ["intent-destroy", "destroyed"]


def test_active_session_outlives_grace(gs):
    env = {"GPUSHIM_IDLE_GRACE": "2"}
    p, ep, _ = gs.session(5, env=env)     # holds its session 5 s, 2.5x the grace
    time.sleep(3)
    assert gs.status()["state"] == "running"
    assert gs.status()["sessions"] == 1
    assert p.wait(20) == 0, p.stderr.read()     # the agent answered the whole time
    # The grace starts at the session's end, not at the instance's start.
    st = gs.status()
    assert st["state"] == "idle" and st["idle_seconds_left"] > 0
    gs.wait_state("none", timeout=10)


def test_session_ends_when_program_dies(gs):
    p, _, _ = gs.session(60)
    assert gs.status()["sessions"] == 1
    p.kill()
    p.wait()
    wait_for(lambda: gs.status()["sessions"] == 0, 5, "the session to end")
    gs.wait_state("none", timeout=10)


def test_down_refuses_while_busy(gs):
    p, _, _ = gs.session(60)
    d = gs.cli("down")
    assert d.returncode == 5
    assert "busy" in d.stderr and "--force" in d.stderr
    d = gs.cli("down", "--force")
    assert d.returncode == 0, d.stderr
    # The session's program sees its agent go away (exit 2 from the session client).
    assert p.wait(10) == 2
    assert gs.agent_pids() == []


def test_progress_and_quiet(gs):
    slow = {"FAKE_AGENT_BOOT_DELAY": "1.5"}
    p = gs.cli("up", env=slow)
    assert p.returncode == 0, p.stderr
    assert "gpushim: booting local instance" in p.stderr or "gpushim: starting local" in p.stderr
    assert "cpu-device" in p.stderr
    gs.cli("down")
    q = gs.cli("up", env=dict(slow, GPUSHIM_QUIET="1"))
    assert q.returncode == 0 and q.stderr == ""
    s, _, _ = gs.session(0, env=dict(slow, GPUSHIM_QUIET="1"))
    assert s.wait(10) == 0 and s.stderr.read() == ""


def test_sigkill_mid_create_is_reconciled(gs):
    # The agent takes 30 s to boot; the daemon is killed while it waits for it.
    up = gs.popen_cli("up", env={"FAKE_AGENT_BOOT_DELAY": "30"})
    wait_for(lambda: gs.agent_pids(), 10, "the agent to start")
    st = wait_for(lambda: (lambda s: s if s["state"] == "starting" else None)(gs.status()), 10,
                  "starting")
    gs.kill_daemon()
    assert up.wait(10) != 0
    orphan = gs.agent_pids()
    assert len(orphan) == 1                 # still running, unknown to anyone now
    assert gs.ledger_up() != []
    # The next daemon (started by any command that needs one) reconciles first.
    d = gs.cli("down")
    assert d.returncode == 0, d.stderr
    wait_for(lambda: not pid_alive(orphan[0]), 10, "the orphan agent to be stopped")
    assert gs.ledger_up() == []
    events = [e for (e,) in gs.ledger("SELECT event FROM events ORDER BY seq")]
    assert "intent-create" in events and "destroyed" in events
    rows = gs.usage()
    assert rows and all(r["stopped_at"] is not None for r in rows)


def test_usage_cost_and_filters(gs):
    # $3600/h = $1 per second, billed per started second.
    env = {"GPUSHIM_LOCAL_PRICE": "3600"}
    assert gs.cli("up", env=env).returncode == 0
    time.sleep(1.2)
    assert gs.cli("down").returncode == 0
    rows = gs.usage()
    assert len(rows) == 1
    r = rows[0]
    assert r["price_per_hour"] == 3600 and r["granularity"] == "second"
    assert r["seconds"] > 1.2
    assert r["billed_seconds"] == math.ceil(r["seconds"])
    assert abs(r["cost"] - r["billed_seconds"]) < 1e-9
    assert gs.usage("--provider", "ssh") == []
    assert gs.usage("--since", str(int(r["stopped_at"]) + 10)) == []
    assert gs.usage("--until", str(int(r["started_at"]) - 10)) == []
    assert len(gs.usage("--since", "2020-01-01", "--until", "2100-01-01")) == 1
    csv = gs.cli("usage", "--csv").stdout.splitlines()
    assert csv[0].startswith("provider,instance,gpu,started_at,stopped_at,seconds")
    assert len(csv) == 2 and csv[1].startswith("local," + r["instance"])
    table = gs.cli("usage").stdout
    assert r["instance"] in table and "total $%.4f" % r["cost"] in table


def test_cli_help_errors_and_exit_codes(gs):
    for cmd in ["up", "down", "status", "usage", "offers", "providers"]:
        p = gs.cli(cmd, "--help")
        assert p.returncode == 0 and "usage: gpushim " + cmd in p.stdout
    top = gs.cli("--help")
    assert top.returncode == 0 and "exit codes" in top.stdout and "  daemon" not in top.stdout
    assert gs.cli().returncode == 2
    bad = gs.cli("frobnicate")
    assert bad.returncode == 2 and "unknown command" in bad.stderr
    bad = gs.cli("up", "--bogus")
    assert bad.returncode == 2 and "--bogus" in bad.stderr
    bad = gs.cli("usage", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "bad time" in bad.stderr
    p = gs.cli("up", env={"GPUSHIM_PROVIDER": "nope"})
    assert p.returncode == 6 and "unknown provider 'nope'" in p.stderr
    p = gs.cli("up", env={"GPUSHIM_PROVIDER": "vast"})
    assert p.returncode == 6 and "GPUSHIM_VAST_API_KEY" in p.stderr
    st = gs.status()     # no daemon was started by any of the above
    assert st == {"provider": "local", "instance": None, "state": "none", "daemon": False}
    prov = json.loads(gs.cli("providers", "--json").stdout)
    names = [x["name"] for x in prov]
    assert names == ["local", "ssh", "command", "vast", "runpod", "lambda"]
    local = prov[0]
    assert local["current"] and local["configured"] and local["can_stop"] is False
    lam = prov[5]
    assert lam["configured"] is False and lam["granularity"] == "minute"
    offers = json.loads(gs.cli("offers", "--json").stdout)
    assert offers == [{"provider": "local", "id": "local", "gpu": "cpu-device", "num_gpus": 1,
                       "price_per_hour": 0.0, "region": "this machine"}]


def test_private_files_and_config(gs):
    cfg_dir = gs.tmp / "config" / "gpushim"
    cfg_dir.mkdir(parents=True)
    cfg = cfg_dir / "config"
    cfg.write_text("# test\nidle_grace = 1\nvast_api_key = sekrit-123\n")
    os.chmod(cfg, 0o644)
    p = gs.cli("providers", "--json")
    assert "readable by others" in p.stderr and "sekrit" not in p.stderr + p.stdout
    vast = [x for x in json.loads(p.stdout) if x["name"] == "vast"][0]
    assert vast["configured"] is False          # the shared file's key is ignored
    os.chmod(cfg, 0o600)
    p = gs.cli("providers", "--json")
    vast = [x for x in json.loads(p.stdout) if x["name"] == "vast"][0]
    assert vast["configured"] is True and "sekrit" not in p.stdout + p.stderr
    # The config file's idle_grace (env has priority: drop it from the env).
    env = dict(gs.env)
    del env["GPUSHIM_IDLE_GRACE"]
    gs.env = env
    assert gs.cli("up").returncode == 0
    st = gs.status()
    assert st["idle_grace"] == 1
    run = gs.tmp / "run" / "gpushim"
    assert stat.S_IMODE(os.stat(run).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(run / "daemon.sock").st_mode) == 0o600
    state = gs.tmp / "state" / "gpushim"
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    for f in (state / "secrets").iterdir():
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    gs.wait_state("none", timeout=10)


def test_heartbeat_keeps_agent_and_watchdog_fires_without_it(gs):
    # Watchdog = grace + margin = 1 s. A session that does not touch the agent for 3 s
    # keeps it only through the daemon's heartbeats.
    env = {"GPUSHIM_IDLE_GRACE": "1", "GPUSHIM_WATCHDOG_MARGIN": "0",
           "GPUSHIM_HEARTBEAT_INTERVAL": "0.3"}
    p, _, _ = gs.session(3, env=env, probe=False)
    assert p.wait(20) == 0, p.stderr.read()
    gs.cli("down", "--exit")
    # Without heartbeats the agent's own watchdog ends it under a live session.
    env["GPUSHIM_HEARTBEAT_INTERVAL"] = "0"
    p, _, _ = gs.session(3, env=env, probe=False)
    assert p.wait(20) == 2
    wait_for(lambda: gs.agent_pids() == [], 10, "the agent to exit by itself")


def test_watchdog_ends_agent_when_daemon_is_gone(gs):
    env = {"GPUSHIM_IDLE_GRACE": "1", "GPUSHIM_WATCHDOG_MARGIN": "1"}
    assert gs.cli("up", env=env).returncode == 0
    [agent] = gs.agent_pids()
    gs.kill_daemon()
    wait_for(lambda: not pid_alive(agent), 15, "the agent's watchdog")


def daemons_of(gs):
    """Live `gpushim daemon` processes of this test's user (by their runtime dir)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % entry, "rb").read().split(b"\0")
            env = open("/proc/%s/environ" % entry, "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd[:2] == [b"gpushim", b"daemon"] and \
                ("XDG_RUNTIME_DIR=" + gs.env["XDG_RUNTIME_DIR"]).encode() in env:
            found.append(int(entry))
    return [p for p in found if pid_alive(p)]


def test_concurrent_first_calls_share_one_daemon_and_instance(gs):
    # Started together, before any daemon exists: each tries to spawn one.
    procs = [subprocess.Popen([SESSION_CLIENT, "1"], env=gs.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    gs.children.extend(procs)
    lines = [p.stdout.readline().split() for p in procs]
    assert all(line and line[0] == "READY" for line in lines), lines
    assert len({line[1] for line in lines}) == 1
    assert len(gs.agent_pids()) == 1
    # A daemon that lost the race for the lock exits at once; only the winner stays.
    wait_for(lambda: len(daemons_of(gs)) == 1, 10, "the losing daemons to exit")
    for p in procs:
        assert p.wait(20) == 0


def test_provider_mismatch_is_refused(gs):
    assert gs.cli("up").returncode == 0
    p = gs.cli("up", env={"GPUSHIM_PROVIDER": "command", "GPUSHIM_COMMAND_CREATE": "true",
                          "GPUSHIM_COMMAND_DESTROY": "true", "GPUSHIM_COMMAND_STATUS": "true",
                          "GPUSHIM_COMMAND_LIST": "true"})
    assert p.returncode == 6
    assert "runs provider local, not command" in p.stderr and "down --exit" in p.stderr


def test_storage_price_is_counted_until_destroyed(gs):
    # $3600/h of storage = $1 per second the instance exists, on top of its compute.
    env = {"GPUSHIM_LOCAL_PRICE": "0", "GPUSHIM_LOCAL_STORAGE_PRICE": "3600"}
    assert gs.cli("up", env=env).returncode == 0
    time.sleep(1.2)
    # status counts the storage so far too, as usage bills it.
    st = gs.status()
    assert st["compute_cost_so_far"] == 0 and st["storage_cost_so_far"] >= 2
    assert st["cost_so_far"] == st["storage_cost_so_far"]
    assert "+ storage $" in gs.cli("status").stdout
    [live] = gs.usage()
    assert abs(live["storage_cost"] - st["storage_cost_so_far"]) <= 2
    assert gs.cli("down").returncode == 0          # local cannot stop: destroyed
    [r] = gs.usage()
    assert r["storage_price_per_hour"] == 3600 and r["storage_until"] >= r["stopped_at"]
    assert r["storage_seconds"] == math.ceil(r["storage_until"] - r["started_at"] - 1e-9)
    assert r["compute_cost"] == 0 and abs(r["storage_cost"] - r["storage_seconds"]) < 1e-9
    assert abs(r["cost"] - r["storage_cost"]) < 1e-9 and r["cost"] >= 2
    time.sleep(1.1)                                # destroyed: no longer counting
    assert gs.usage()[0]["storage_cost"] == r["storage_cost"]


def test_old_ledger_is_migrated(gs):
    """A ledger written before storage and traffic were billed gains their columns when
    opened, and its runs keep their cost with no storage and no traffic."""
    import sqlite3
    state = gs.tmp / "state" / "gpushim"
    state.mkdir(parents=True, mode=0o700)
    db = sqlite3.connect(str(state / "ledger.db"))
    db.executescript(
        "CREATE TABLE instances(provider TEXT NOT NULL, id TEXT NOT NULL, tag TEXT,"
        " state TEXT, host TEXT, port INT, gpu TEXT, price REAL, offer TEXT, secret_path TEXT,"
        " created_at REAL, updated_at REAL, PRIMARY KEY(provider, id));"
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, ts REAL, provider TEXT, instance TEXT,"
        " event TEXT, price REAL, detail TEXT);"
        "CREATE TABLE periods(seq INTEGER PRIMARY KEY, provider TEXT, instance TEXT, gpu TEXT,"
        " price REAL, granularity TEXT, min_seconds INT, started_at REAL, stopped_at REAL,"
        " reason TEXT);"
        "INSERT INTO instances VALUES('vast','77','gpushim-old','destroyed','h',1,'RTX 3090',"
        " 3.6,'502','',1000,1100);"
        "INSERT INTO periods(provider,instance,gpu,price,granularity,min_seconds,started_at,"
        " stopped_at,reason) VALUES('vast','77','RTX 3090',3.6,'second',0,1000,1100,'idle');")
    db.commit()
    db.close()
    [r] = gs.usage()
    assert (r["instance"], r["seconds"], r["bytes_in"], r["bytes_out"]) == ("77", 100, 0, 0)
    assert r["bandwidth_cost"] == 0 and r["storage_cost"] == 0
    assert abs(r["cost"] - 0.1) < 1e-12                  # 100 s at $3.60/h
    cols = {row[1] for row in gs.ledger("PRAGMA table_info(periods)")}
    assert {"storage_price", "inet_down_price", "inet_up_price", "bytes_in",
            "bytes_out"} <= cols


def test_traffic_counter_reset_is_not_lost(gs):
    """The daemon reads the agent's traffic counters at each heartbeat: a reading below the
    previous one (the agent restarted) counts everything it reports as new."""
    stats = gs.tmp / "stats.json"
    gs.env.update({"FAKE_AGENT_STATS": str(stats), "GPUSHIM_HEARTBEAT_INTERVAL": "0.2",
                   "GPUSHIM_IDLE_GRACE": "30"})

    def counters(uptime, bin_, bout):
        stats.write_text(json.dumps({"uptime_ms": uptime, "total": {
            "bytes_in_wire": bin_, "bytes_out_wire": bout}}))

    def ledger_bytes():
        return tuple(gs.ledger("SELECT SUM(bytes_in), SUM(bytes_out) FROM periods")[0])

    counters(1000, 1000, 2000)
    p, _, _ = gs.session(30)
    wait_for(lambda: ledger_bytes() == (1000, 2000), 10, "the first reading")
    counters(2000, 1500, 2100)                           # +500, +100
    wait_for(lambda: ledger_bytes() == (1500, 2100), 10, "the second reading")
    counters(300, 200, 50)                               # restarted: all new
    wait_for(lambda: ledger_bytes() == (1700, 2150), 10, "the reading after a reset")
    p.kill()
    p.wait()
    assert gs.cli("down").returncode == 0
    [r] = gs.usage()
    assert (r["bytes_in"], r["bytes_out"], r["bandwidth_cost"]) == (1700, 2150, 0)
