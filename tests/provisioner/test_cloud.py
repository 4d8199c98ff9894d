"""Vast.ai, RunPod and Lambda against HTTPS contract fakes (fake_cloud.py) on loopback,
with a test CA made by openssl at test time and handed to libcurl via GPUSHIM_CA_FILE.
After every test the fake's running instances are exactly those the ledger has up."""
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import HERE, wait_for

KEY = "test-key-123"


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    d = tmp_path_factory.mktemp("ca")
    def run(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=gpushim test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
        "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    return d


class Fake:
    def __init__(self, provider, url, ca):
        self.provider, self.url, self.ca = provider, url, ca

    def _open(self, req):
        ctx = ssl.create_default_context(cafile=str(self.ca))
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def state(self):
        return self._open(self.url + "/_control/state")

    def control(self, **cfg):
        req = urllib.request.Request(self.url + "/_control", data=json.dumps(cfg).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        return self._open(req)

    def api(self, method, path, body=None, key=KEY):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + key,
                                              "Content-Type": "application/json"})
        return self._open(req)

    def running(self):
        """Instances the provider bills as running, checked against the processes: a stopped
        or terminated instance must have no live agent."""
        insts = self.state()["instances"]
        for i in insts:
            if not i["running"]:
                assert i["agents_alive"] == [], "agent alive on %s instance %s" % (
                    i["status"], i["id"])
        return sorted(i["id"] for i in insts if i["running"])

    def requests(self, method, pattern):
        import re
        return [p for m, p in self.state()["requests"] if m == method and re.search(pattern, p)]


def start_fake(gs, tls, provider, env=None):
    work = gs.tmp / ("fake-" + provider)
    work.mkdir()
    portfile = work / "port"
    proc = subprocess.Popen([sys.executable, str(HERE / "fake_cloud.py"), provider,
                             str(tls / "srv.pem"), str(tls / "srv.key"), str(portfile),
                             str(work)], stdout=subprocess.DEVNULL,
                            stderr=open(work / "fake.log", "w"), env=env)
    wait_for(portfile.exists, 15, "the fake to listen")
    url = "https://127.0.0.1:%s" % portfile.read_text()
    fake = Fake(provider, url, tls / "ca.pem")
    prefix = "GPUSHIM_%s_" % provider.upper()
    gs.env.update({"GPUSHIM_PROVIDER": provider, prefix + "API_KEY": KEY, prefix + "URL": url,
                   "GPUSHIM_CA_FILE": str(tls / "ca.pem"), "GPUSHIM_HTTP_TIMEOUT": "2",
                   "GPUSHIM_IDLE_GRACE": "1.5", "GPUSHIM_POLL_INTERVAL": "0.2"})
    if provider == "lambda":
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        gs.env["GPUSHIM_AGENT_PORT"] = str(s.getsockname()[1])
        s.close()
        gs.env["GPUSHIM_LAMBDA_SSH_KEY"] = "test-key"
    return proc, fake


def matches_ledger(gs, fake):
    up = sorted(i for _, i, _ in gs.ledger_up(fake.provider))
    assert fake.running() == up, "fake runs %s, ledger has %s" % (fake.running(), up)


@pytest.fixture(params=["vast", "runpod", "lambda"])
def cloud(gs, tls, request):
    proc, fake = start_fake(gs, tls, request.param)
    yield fake
    gs.shutdown()
    try:
        matches_ledger(gs, fake)
        assert fake.running() == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def one_provider(name):
    return pytest.mark.parametrize("cloud", [name], indirect=True)


CHEAPEST = {"vast": ("RTX 3090", 0.22), "runpod": ("A40", 0.40),
            "lambda": ("A10 (24 GB PCIe)", 0.75)}


def test_lease_end_to_end(gs, cloud):
    p, ep, secret_path = gs.session(0)
    assert p.wait(30) == 0, p.stderr.read()
    st = gs.status()
    gpu, price = CHEAPEST[cloud.provider]
    assert (st["provider"], st["gpu"], st["price_per_hour"]) == (cloud.provider, gpu, price)
    matches_ledger(gs, cloud)
    [inst] = cloud.state()["instances"]
    assert inst["id"] == st["instance"] and inst["name"].startswith("gpushim-")
    if cloud.provider != "lambda":      # the secret travels only as the instance's env
        assert inst["env_keys"] == ["GPUSHIM_SECRET"]
    # A second program within the grace reuses the instance.
    p2, ep2, _ = gs.session(0)
    assert p2.wait(30) == 0 and ep2 == ep
    # Grace expiry: stopped where the provider can stop, terminated on Lambda.
    gs.wait_state("none" if cloud.provider == "lambda" else "stopped", timeout=20)
    [inst] = cloud.state()["instances"]
    assert inst["status"] == ("terminated" if cloud.provider == "lambda" else "stopped")
    matches_ledger(gs, cloud)
    if cloud.provider != "lambda":
        p3, _, _ = gs.session(0)           # restart of the same stopped instance
        assert p3.wait(30) == 0
        assert gs.status()["instance"] == inst["id"]
        assert len(cloud.state()["instances"]) == 1
        assert gs.cli("down", "--destroy").returncode == 0
        [inst] = cloud.state()["instances"]
        assert inst["status"] == "terminated"
    # The ledger's runs bracket the provider's billed periods; its cost covers the bill.
    rows = gs.usage()
    periods = inst["periods"]
    assert len(rows) == len(periods)
    for r, (start, end) in zip(rows, periods):
        assert r["started_at"] <= start and r["stopped_at"] >= end
    assert sum(r["cost"] for r in rows) >= inst["cost"] - 1e-12 and inst["cost"] > 0
    if cloud.provider == "lambda":       # per-minute billing: both say one minute
        assert rows[0]["billed_seconds"] == inst["billed_seconds"] == 60
    # The API key is never written down or printed: not in the daemon's log, the ledger
    # (durable: WAL journal), the CLI's output.
    state = gs.tmp / "state" / "gpushim"
    assert gs.ledger("PRAGMA journal_mode") == [("wal",)]
    for f in state.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f
    for cmd in (["status"], ["status", "--json"], ["usage"], ["providers", "--json"]):
        out = gs.cli(*cmd)
        assert KEY not in out.stdout + out.stderr, cmd


def test_offers_sorted_and_filtered(gs, cloud):
    offers = json.loads(gs.cli("offers", "--json").stdout)
    prices = [o["price_per_hour"] for o in offers]
    assert prices == sorted(prices) and offers
    assert {o["provider"] for o in offers} == {cloud.provider, "local"}
    cheap = json.loads(gs.cli("offers", "--json", "--max-price", "0.5").stdout)
    assert all(o["price_per_hour"] <= 0.5 for o in cheap)
    if cloud.provider == "lambda":
        assert not any("H100" in o["gpu"] for o in offers)       # no capacity anywhere
    if cloud.provider == "vast":
        only = json.loads(gs.cli("offers", "--json", "--gpu", "RTX 4090",
                                 "--provider", "vast").stdout)
        assert [(o["gpu"], o["price_per_hour"]) for o in only] == [("RTX 4090", 0.40)]


def test_auth_error_not_retried(gs, cloud):
    p = gs.cli("up", env={"GPUSHIM_%s_API_KEY" % cloud.provider.upper(): "wrong"})
    assert p.returncode == 4, p.stderr
    assert "API key was refused" in p.stderr and "wrong" not in p.stderr
    assert gs.ledger_up() == []
    off = gs.cli("offers", env={"GPUSHIM_%s_API_KEY" % cloud.provider.upper(): "wrong"})
    assert "API key was refused" in off.stderr


@one_provider("vast")
def test_429_and_5xx_are_retried(gs, cloud):
    cloud.control(faults=[{"method": "PUT", "path": "^/asks/", "status": 429, "count": 2},
                          {"method": "GET", "path": "^/instances/", "status": 503, "count": 2}])
    p = gs.cli("up")
    assert p.returncode == 0, p.stderr
    assert len(cloud.requests("PUT", "^/asks/")) == 3
    assert len(cloud.state()["instances"]) == 1


@pytest.mark.parametrize("cloud", ["vast", "runpod", "lambda"], indirect=True)
@pytest.mark.parametrize("fault", ["error_after_success", "hang"])
def test_create_answer_lost_is_found_by_tag(gs, cloud, fault):
    create = {"vast": ("PUT", "^/asks/"), "runpod": ("POST", "^/pods$"),
              "lambda": ("POST", "launch")}[cloud.provider]
    f = {"method": create[0], "path": create[1], "count": 1}
    f.update({fault: 5} if fault == "hang" else {fault: True})
    cloud.control(faults=[f])
    p = gs.cli("up")
    assert p.returncode == 0, p.stderr
    assert len(cloud.requests(*create)) == 1          # never sent twice
    [inst] = cloud.state()["instances"]
    assert gs.status()["instance"] == inst["id"]
    events = [e for (e,) in gs.ledger("SELECT event FROM events ORDER BY seq")]
    assert "create-unanswered" in events


@one_provider("vast")
def test_failed_bid_instance_is_destroyed(gs, cloud):
    p = gs.cli("up", env={"GPUSHIM_VAST_BID": "0.01"})
    assert p.returncode == 1
    assert "below the minimum" in p.stderr and "destroying it" in p.stderr
    [inst] = cloud.state()["instances"]
    assert inst["status"] == "terminated"


@one_provider("runpod")
def test_slow_boot_shows_progress(gs, cloud):
    cloud.control(boot_delay=2.5)
    p = gs.cli("up")
    assert p.returncode == 0, p.stderr
    assert "gpushim: booting runpod instance (A40, $0.400/h): booting" in p.stderr


@one_provider("runpod")
def test_no_capacity(gs, cloud):
    cloud.control(capacity=False)
    p = gs.cli("up")
    assert p.returncode == 1 and "no instances currently available" in p.stderr
    assert cloud.state()["instances"] == []


@pytest.mark.parametrize("cloud", ["vast", "lambda"], indirect=True)
def test_sigkill_mid_boot_and_strangers_reconciled(gs, cloud):
    cloud.control(boot_delay=30)
    up = gs.popen_cli("up")
    st = wait_for(lambda: (lambda s: s if s.get("elapsed") is not None and s["instance"]
                           else None)(gs.status()), 15, "the instance to boot")
    gs.kill_daemon()
    assert up.wait(10) != 0
    # Also one of "our" instances that no ledger knows (a crash before its intent row).
    if cloud.provider == "vast":
        cloud.api("PUT", "/asks/502/", {"image": "x", "label": "gpushim-stranger",
                                        "onstart": "true", "env": {}})
    else:
        cloud.api("POST", "/instance-operations/launch",
                  {"region_name": "us-east-1", "instance_type_name": "gpu_1x_a10",
                   "ssh_key_names": ["k"], "name": "gpushim-stranger", "user_data": "true"})
    assert len(cloud.running()) == 2
    assert gs.cli("down").returncode == 0          # a new daemon reconciles at start
    assert cloud.running() == []
    states = {i["name"]: i["status"] for i in cloud.state()["instances"]}
    assert states["gpushim-stranger"] == "terminated"           # unknown: destroyed
    ours = [s for n, s in states.items() if n != "gpushim-stranger"]
    assert ours == ["stopped" if cloud.provider == "vast" else "terminated"]
    matches_ledger(gs, cloud)


@one_provider("lambda")
def test_launch_rate_limit_is_waited_out(gs, cloud):
    # More 429s than the attempt count: launch keeps trying within its time budget.
    cloud.control(faults=[{"method": "POST", "path": "launch", "status": 429, "count": 8}])
    p = gs.cli("up", env={"GPUSHIM_HTTP_RETRIES": "3"})
    assert p.returncode == 0, p.stderr
    assert len(cloud.requests("POST", "launch")) == 9
    assert len(cloud.state()["instances"]) == 1


@pytest.mark.parametrize("cloud", ["vast", "runpod"], indirect=True)
def test_storage_billed_while_stopped_matches_the_bill(gs, cloud):
    # A big disk makes storage visible in seconds: 36000 GB x $0.20/GB-month = $10/h.
    gs.env["GPUSHIM_%s_DISK" % cloud.provider.upper()] = "36000"
    assert gs.cli("up").returncode == 0
    assert gs.cli("down").returncode == 0                  # create -> run -> stop
    st = gs.wait_state("stopped")
    assert abs(st["storage_price_per_hour"] - 10.0) < 1e-9
    text = gs.cli("status").stdout
    assert "storage:   $10.0000/h (billed while stopped)" in text
    # Stopped, the cost so far is the run's compute plus the storage still counting.
    assert st["storage_cost_so_far"] > 0
    assert abs(st["cost_so_far"] - st["compute_cost_so_far"] - st["storage_cost_so_far"]) < 1e-9
    time.sleep(2.0)                                        # stopped: storage only
    [inst] = cloud.state()["instances"]
    assert inst["status"] == "stopped" and inst["periods"][-1][1] is not None
    assert gs.cli("down", "--destroy").returncode == 0
    [inst] = cloud.state()["instances"]
    assert inst["status"] == "terminated"
    [r] = gs.usage()
    assert r["storage_until"] is not None and r["storage_until"] >= r["stopped_at"] + 2.0
    assert r["storage_seconds"] >= inst["storage_seconds"] > r["seconds"]
    assert abs(r["cost"] - (r["compute_cost"] + r["storage_cost"])) < 1e-12
    # The ledger's total is the provider's bill, within its rounding (a second of each
    # charge per run) plus the requests' round trips (the ledger counts from the request
    # sent to the answer received, so it is never below the bill).
    rate = r["price_per_hour"] + r["storage_price_per_hour"]
    assert inst["cost"] - 1e-12 <= r["cost"] <= inst["cost"] + 3 * rate / 3600
    assert inst["storage_cost"] <= r["storage_cost"] <= inst["storage_cost"] + 2 * 10.0 / 3600
    csv = gs.cli("usage", "--csv").stdout.splitlines()
    assert csv[0].endswith(",cost,compute_cost,storage_price_per_hour,storage_seconds,"
                           "storage_cost,bytes_in,bytes_out,inet_down_price_per_gb,"
                           "inet_up_price_per_gb,bandwidth_cost")
    table = gs.cli("usage").stdout
    assert "storage $%.4f + bandwidth $0.0000, total $%.4f" % (r["storage_cost"],
                                                               r["cost"]) in table
    # Outside its runs, the storage of the stopped time still counts for --since.
    assert len(gs.usage("--since", str(r["stopped_at"] + 1))) == 1


@pytest.mark.parametrize("cloud", ["vast", "runpod", "lambda"], indirect=True)
def test_agent_watchdog_halts_the_instance_without_the_daemon(gs, cloud):
    gs.env.update({"GPUSHIM_IDLE_GRACE": "2", "GPUSHIM_WATCHDOG_MARGIN": "1"})
    assert gs.cli("up").returncode == 0
    gs.kill_daemon()                     # nothing left to stop it but the agent itself
    [inst] = cloud.state()["instances"]
    wait_for(lambda: not any(cloud.state()["instances"][0]["agents_alive"]) or None, 20,
             "the agent's watchdog")
    if cloud.provider == "lambda":
        # Lambda bills a halted VM until it is terminated: still active and billed.
        time.sleep(0.5)
        [inst] = cloud.state()["instances"]
        assert inst["status"] == "running" and inst["periods"][-1][1] is None
    else:
        inst = wait_for(lambda: (lambda i: i if i["status"] == "stopped" else None)(
            cloud.state()["instances"][0]), 10, "the instance to halt itself")
        assert inst["halted_by_itself"] in ("stop request", "main process exited")
        billed = inst["billed_seconds"]
        time.sleep(1.2)
        assert cloud.state()["instances"][0]["billed_seconds"] == billed   # GPU billing ended
    # A new daemon reconciles: the stopped one is recorded stopped (kept for a restart),
    # Lambda's is terminated.
    assert gs.cli("down").returncode == 0
    [inst] = cloud.state()["instances"]
    assert inst["status"] == ("terminated" if cloud.provider == "lambda" else "stopped")
    matches_ledger(gs, cloud)
    [r] = gs.usage()
    assert r["stopped_at"] is not None and r["cost"] >= inst["cost"] - 1e-12
    if cloud.provider != "lambda":       # and it restarts for the next session
        p, _, _ = gs.session(0)
        assert p.wait(30) == 0
        assert gs.status()["instance"] == inst["id"]
