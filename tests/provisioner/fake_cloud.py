#!/usr/bin/env python3
"""HTTPS contract fakes of the Vast.ai (REST v0), RunPod (REST v2) and Lambda Cloud (v1)
APIs for the provisioner tests, following the documented shapes in
/work/shared/brief/providers.md. One process serves one provider:

    fake_cloud.py PROVIDER CERT KEY PORTFILE WORKDIR

It keeps instances, "boots" them by running the bootstrap the client sent (Vast onstart,
RunPod args, Lambda user_data) with the instance's env and `gpushim-agent` on PATH (a
wrapper around the stand-in agent), maps the agent port to a free loopback port, and bills
by the provider's rules: GPU time while running (Vast and RunPod per second, Lambda per
started minute), and storage per second while the instance exists, stopped included (Vast:
the offer's storage_cost $/GB-month x the create's disk; RunPod: $0.20/GB-month x disk;
Lambda: none), a month being 720 hours as in the ledger. Vast also bills internet traffic
per GB (1e9 bytes): the offer's inet_down_cost for bytes into the instance and inet_up_cost
for bytes out of it. Its instances' agent port is a byte-counting TCP relay in front of the
agent (the stand-in for the NIC the provider meters): every byte of every connection, the
statistics queries, handshakes and framing included. Those counts are the bill.

The bootstrap's process is the container's main process: on RunPod its exit exits the pod
(EXITED: GPU billing ends, storage goes on). The images carry stand-in `vastai` and
`runpodctl` commands: `vastai stop instance $CONTAINER_ID --api-key $CONTAINER_API_KEY` and
`runpodctl stop pod $RUNPOD_POD_ID` stop the instance as the real CLIs would. Lambda has
neither: an instance whose agent exited stays active and billed until terminated.
With FAKE_CLOUD_SSH_KEYS (an authorized_keys file) in its environment the fake's
instances boot an image without the agent: a real sshd (procs.start_sshd) on a loopback
port reported as the instance's SSH endpoint (Vast: 22/tcp, ssh_host/ssh_port; RunPod:
runtime.ports private 22, ssh.direct; Lambda: its ip, the port FAKE_CLOUD_SSH_PORT, which
the test also gives the daemon as lambda_ssh_port), its sessions seeing the
agent port mapping in GPUSHIM_AGENT_PORT. Every process of such an instance carries
FAKE_CLOUD_INSTANCE=<marker> in its environment; halting the instance ends them all.
Test control (no auth) under /_control:
    POST /_control {"faults": [{"method","path","status"|"hang"|"error_after_success",
                    "count"}], "boot_delay": s, "min_bid": $, "capacity": bool}
    GET  /_control/state -> {"instances": [{id, name, status, running, billed_seconds,
                                            cost}], "requests": [[method, path], ...]}
"""
import http.server
import json
import os
import pathlib
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import urlparse

from procs import alive, free_port, start_sshd, terminate

HERE = pathlib.Path(__file__).resolve().parent
API_KEY = "test-key-123"
LOCK = threading.RLock()


HOURS_PER_MONTH = 720.0
RUNPOD_STORAGE_GB_MONTH = 0.20
BYTES_PER_GB = 1e9


class Relay:
    """The instance's public agent port: forwards each connection to the agent's own port
    and counts the bytes into (down) and out of (up) the instance. It listens only once
    the agent accepts connections, as a port mapping to a container answers only when
    something listens inside."""

    def __init__(self, port, backend):
        self.port, self.backend = port, backend
        self.bytes_in = self.bytes_out = 0
        self.closed = False
        self.sock = None
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.closed:
            try:
                socket.create_connection(("127.0.0.1", self.backend), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        if self.closed:
            return
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.connect, args=(client,), daemon=True).start()

    def connect(self, client):
        try:
            agent = socket.create_connection(("127.0.0.1", self.backend), timeout=5)
        except OSError:
            client.close()
            return
        agent.settimeout(None)
        threading.Thread(target=self.pump, args=(client, agent, True), daemon=True).start()
        self.pump(agent, client, False)

    def pump(self, src, dst, inbound):
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                with LOCK:
                    if inbound:
                        self.bytes_in += len(data)
                    else:
                        self.bytes_out += len(data)
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        src.close()

    def close(self):
        self.closed = True
        if self.sock:
            try:            # wakes the accept() of the serving thread, which close() does not
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


class Instance:
    def __init__(self, iid, name, gpu, price, env, script, granularity, storage_price=0.0):
        self.id, self.name, self.gpu, self.price = iid, name, gpu, price
        self.env, self.script, self.granularity = env, script, granularity
        self.storage_price = storage_price   # $/hour while the instance exists
        self.inet_down_price = self.inet_up_price = 0.0   # $/GB into / out of it
        self.relays = []                     # one per run (Vast): their counts are the bill
        self.state = "creating"          # creating, running, stopped, terminated
        self.port = free_port()
        self.ssh_port = 0                # the sshd's port while an SSH image runs
        self.periods = []                # [start, end|None] while billed
        self.created_at, self.destroyed_at = time.time(), None
        self.booted_at = None
        self.agent_pids = []
        self.main = None                 # the bootstrap's process (the container's main)
        self.dir = None
        self.secret_key = uuid.uuid4().hex   # Vast's per-instance CONTAINER_API_KEY

    def billed_seconds(self):
        total = 0.0
        for start, end in self.periods:
            total += (end or time.time()) - start
        unit = 60 if self.granularity == "minute" else 1
        return -(-total // unit) * unit if total > 0 else 0

    def storage_seconds(self):
        total = (self.destroyed_at or time.time()) - self.created_at
        return -(-total // 1) if total > 0 else 0

    def compute_cost(self):
        return self.billed_seconds() * self.price / 3600.0

    def storage_cost(self):
        return self.storage_seconds() * self.storage_price / 3600.0

    def traffic(self):
        return (sum(r.bytes_in for r in self.relays), sum(r.bytes_out for r in self.relays))

    def bandwidth_cost(self):
        down, up = self.traffic()
        return (down * self.inet_down_price + up * self.inet_up_price) / BYTES_PER_GB

    def cost(self):
        return self.compute_cost() + self.storage_cost() + self.bandwidth_cost()

    def running_agent(self):
        return any(alive(p) for p in self.agent_pids)


def recorded_pids(inst):
    rec = inst.dir / "agents.txt" if inst.dir else None
    if not rec or not rec.exists():
        return marked_pids(inst)
    return [int(line.split()[0]) for line in rec.read_text().splitlines()
            if line.strip()] + marked_pids(inst)


def marked_pids(inst):
    """The processes started through an SSH image's sshd: their environment names inst."""
    if not SSH_KEYS:
        return []
    mark = ("FAKE_CLOUD_INSTANCE=%s" % inst.secret_key).encode()
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                if mark in f.read().split(b"\0"):
                    pids.append(int(entry))
        except (OSError, ValueError):
            pass
    return pids


class Cloud:
    def __init__(self, provider, workdir):
        self.provider = provider
        self.workdir = pathlib.Path(workdir)
        self.instances = {}
        self.faults = []
        self.boot_delay = 0.0
        self.min_bid = 0.0
        self.capacity = True
        self.requests = []
        self.bin = self.workdir / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        wrapper = self.bin / "gpushim-agent"
        agent = os.environ.get("FAKE_CLOUD_AGENT") or "%s %s" % (sys.executable,
                                                                HERE / "fake_agent.py")
        # A real agent (FAKE_CLOUD_AGENT) does not record itself as the stand-in does.
        record = ("echo \"$$ $*\" >> \"$FAKE_AGENT_RECORD\"\n"
                  if os.environ.get("FAKE_CLOUD_AGENT") else "")
        wrapper.write_text("#!/bin/sh\n%sexec %s \"$@\"\n" % (record, agent))
        wrapper.chmod(0o755)
        # Stand-ins of the providers' CLIs inside the image: they ask the fake to stop the
        # instance they run on (checked and acted on by watch()).
        if provider in ("vast", "runpod"):
            cli = self.bin / ("vastai" if provider == "vast" else "runpodctl")
            cli.write_text("#!/bin/sh\necho \"$*\" >> \"$HOME/halt-requests\"\n")
            cli.chmod(0o755)

    # -- instance lifecycle --------------------------------------------------------------
    def boot(self, inst):
        """Starts billing now and runs the bootstrap after the boot delay."""
        inst.state = "booting"
        inst.periods.append([time.time(), None])
        inst.dir = self.workdir / ("inst-" + inst.id)
        inst.dir.mkdir(exist_ok=True)
        (inst.dir / "halt-requests").unlink(missing_ok=True)
        delay = self.boot_delay

        def run():
            time.sleep(delay)
            with LOCK:
                if inst.state != "booting":
                    return
                env = {"PATH": "%s:%s" % (self.bin, os.environ.get("PATH", "")),
                       "HOME": str(inst.dir), "FAKE_AGENT_RECORD": str(inst.dir / "agents.txt")}
                if self.provider == "vast":
                    # The public port is the metering relay; the agent listens behind it.
                    backend = free_port()
                    env["GPUSHIM_AGENT_PORT"] = str(backend)
                    inst.relays.append(Relay(inst.port, backend))
                elif self.provider != "lambda":
                    # RunPod maps the container's agent port to a random public port; on
                    # loopback the agent listens on that port itself.
                    env["GPUSHIM_AGENT_PORT"] = str(inst.port)
                if self.provider == "vast":
                    env.update({"CONTAINER_ID": inst.id, "CONTAINER_API_KEY": inst.secret_key})
                if self.provider == "runpod":
                    env["RUNPOD_POD_ID"] = inst.id
                env.update(inst.env)
                if SSH_KEYS:
                    self.boot_sshd(inst, env)
                    inst.state = "running"
                    inst.booted_at = time.time()
                    return
                before = len(recorded_pids(inst))
                inst.main = subprocess.Popen(["sh", "-c", inst.script], env=env,
                                             cwd=str(inst.dir), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, start_new_session=True)
                for _ in range(250):         # the agent records itself when it starts
                    if len(recorded_pids(inst)) > before:
                        break
                    time.sleep(0.02)
                inst.agent_pids = recorded_pids(inst)
                inst.state = "running"
                inst.booted_at = time.time()
                main = inst.main
            self.watch(inst, main)

        threading.Thread(target=run, daemon=True).start()

    def boot_sshd(self, inst, env):
        """An image without the agent: only sshd runs; the agent comes over SSH."""
        # Lambda reports no SSH port (22 on its ip): the test names the one to use.
        inst.ssh_port = int(os.environ.get("FAKE_CLOUD_SSH_PORT") or 0) or free_port()
        setenv = ["FAKE_CLOUD_INSTANCE=%s" % inst.secret_key]
        if "GPUSHIM_AGENT_PORT" in env:
            setenv.append("GPUSHIM_AGENT_PORT=%s" % env["GPUSHIM_AGENT_PORT"])
        d = inst.dir / "sshd"
        d.mkdir(exist_ok=True)
        inst.main = start_sshd(d, inst.ssh_port, SSH_KEYS, setenv)

    def watch(self, inst, main):
        """The instance halting itself: on RunPod the main process exiting exits the pod;
        on Vast and RunPod the in-image CLI's stop request stops it. Lambda: neither."""
        requests = inst.dir / "halt-requests"
        want = {"vast": "stop instance %s --api-key %s" % (inst.id, inst.secret_key),
                "runpod": "stop pod %s" % inst.id}.get(self.provider)
        while True:
            time.sleep(0.1)
            exited = main.poll() is not None
            with LOCK:
                if inst.main is not main or inst.state not in ("booting", "running"):
                    return
                asked = want and requests.exists() and want in requests.read_text()
                if asked or (exited and self.provider == "runpod"):
                    self.halt(inst, "stopped")
                    inst.halted_by_itself = "stop request" if asked else "main process exited"
                    return
            if exited and self.provider != "runpod" and not want:
                return

    def halt(self, inst, new_state):
        main, inst.main = inst.main, None
        if main is not None and main.poll() is None:
            try:        # the container goes: its processes with it (no late halt request)
                os.killpg(main.pid, signal.SIGKILL)
            except OSError:
                pass
        if main is not None:
            try:
                main.wait(2)
            except subprocess.TimeoutExpired:
                pass
        inst.agent_pids = recorded_pids(inst)
        terminate(inst.agent_pids, 0.02)
        for relay in inst.relays:
            relay.close()
        if inst.periods and inst.periods[-1][1] is None:
            inst.periods[-1][1] = time.time()
        if new_state == "terminated" and inst.destroyed_at is None:
            inst.destroyed_at = time.time()
        inst.state = new_state

    def agent_ready(self, inst):
        return inst.state == "running" and inst.running_agent()

    def create(self, name, gpu, price, env, script, granularity, storage_price=0.0):
        iid = str(1000 + len(self.instances)) if self.provider == "vast" else uuid.uuid4().hex[:12]
        inst = Instance(iid, name, gpu, price, env, script, granularity, storage_price)
        self.instances[iid] = inst
        return inst

    def state(self):
        return {"instances": [{"id": i.id, "name": i.name, "status": i.state,
                               "running": i.state in ("booting", "running"),
                               "agents_alive": [p for p in recorded_pids(i) if alive(p)],
                               "billed_seconds": i.billed_seconds(), "cost": i.cost(),
                               "compute_cost": i.compute_cost(),
                               "storage_price": i.storage_price,
                               "storage_seconds": i.storage_seconds(),
                               "storage_cost": i.storage_cost(),
                               "bytes_in": i.traffic()[0], "bytes_out": i.traffic()[1],
                               "bandwidth_cost": i.bandwidth_cost(),
                               "halted_by_itself": getattr(i, "halted_by_itself", None),
                               "periods": i.periods, "env_keys": sorted(i.env),
                               "has_script": bool(i.script)}
                              for i in self.instances.values()],
                "requests": self.requests}

    def shutdown(self):
        for inst in self.instances.values():
            self.halt(inst, inst.state)


CLOUD = None
SSH_KEYS = os.environ.get("FAKE_CLOUD_SSH_KEYS")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, content_type="application/json"):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw else {}

    def handle_any(self, method):
        url = urlparse(self.path)
        path = url.path
        if path.startswith("/_control"):
            return self.control(method, path)
        with LOCK:
            CLOUD.requests.append([method, path])
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + API_KEY:
            return self.error(401, "unauthorized", "invalid API key")
        fault = self.take_fault(method, path)
        if fault and "status" in fault:
            return self.error(fault["status"], "injected", "injected failure")
        body = self.body() if method in ("POST", "PUT") else {}
        with LOCK:
            status, answer = ROUTES[CLOUD.provider](method, path, url.query, body)
        if fault and fault.get("hang"):
            time.sleep(fault["hang"])       # the work is done, the answer never arrives
            return
        if fault and fault.get("error_after_success"):
            return self.error(500, "internal", "internal server error")
        self.send_json(status, answer)

    def take_fault(self, method, path):
        with LOCK:
            for f in CLOUD.faults:
                if f.get("method", method) == method and re.search(f["path"], path) and \
                        f.get("count", 1) > 0:
                    f["count"] = f.get("count", 1) - 1
                    return f
        return None

    def error(self, status, code, message):
        p = CLOUD.provider
        if p == "vast":
            obj = {"success": False, "error": code, "msg": message}
        elif p == "runpod":
            obj = {"title": code, "status": status, "detail": message, "errors": []}
        else:
            obj = {"error": {"code": "global/" + code, "message": message,
                             "suggestion": "try again"}}
        self.send_json(status, obj, "application/problem+json" if p == "runpod"
                       else "application/json")

    def control(self, method, path):
        with LOCK:
            if method == "GET":
                return self.send_json(200, CLOUD.state())
            cfg = self.body()
            CLOUD.faults.extend(cfg.get("faults", []))
            CLOUD.boot_delay = cfg.get("boot_delay", CLOUD.boot_delay)
            CLOUD.min_bid = cfg.get("min_bid", CLOUD.min_bid)
            CLOUD.capacity = cfg.get("capacity", CLOUD.capacity)
            return self.send_json(200, {"ok": True})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


# -- Vast.ai ---------------------------------------------------------------------------
VAST_OFFERS = [
    {"id": 501, "gpu_name": "RTX 4090", "num_gpus": 1, "dph_total": 0.40, "min_bid": 0.20,
     "storage_cost": 0.15, "inet_up_cost": 0.01, "inet_down_cost": 0.005,
     "geolocation": "Sweden", "reliability2": 0.99},
    {"id": 502, "gpu_name": "RTX 3090", "num_gpus": 1, "dph_total": 0.22, "min_bid": 0.10,
     "storage_cost": 0.20, "inet_up_cost": 0.02, "inet_down_cost": 0.01,
     "geolocation": "Canada", "reliability2": 0.98},
    {"id": 503, "gpu_name": "A100 SXM4", "num_gpus": 1, "dph_total": 1.10, "min_bid": 0.60,
     "storage_cost": 0.10, "inet_up_cost": 0.0, "inet_down_cost": 0.0,
     "geolocation": "US", "reliability2": 0.99},
]


def vast_match(offer, q):
    for field, cond in q.items():
        if field in ("order", "type", "limit") or field not in offer:
            continue
        for op, val in cond.items():
            v = offer[field]
            ok = {"eq": v == val, "neq": v != val, "gt": v > val, "gte": v >= val,
                  "lt": v < val, "lte": v <= val}.get(op, True)
            if not ok:
                return False
    return True


def vast_instance_json(i):
    actual = {"creating": "loading", "booting": "loading", "running": "running",
              "stopped": "stopped"}.get(i.state, "offline")
    o = {"id": int(i.id), "label": i.name, "gpu_name": i.gpu, "dph_total": i.price,
         "actual_status": actual, "intended_status": "stopped" if i.state == "stopped"
         else "running", "status_msg": "", "public_ipaddr": "127.0.0.1", "ports": {}}
    if i.state == "running":
        o["ports"] = {"8000/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(i.port)}]}
    if i.state == "running" and i.ssh_port:
        o["ports"]["22/tcp"] = [{"HostIp": "0.0.0.0", "HostPort": str(i.ssh_port)}]
        o["ssh_host"], o["ssh_port"] = "127.0.0.1", i.ssh_port
    return o


def vast(method, path, query, body):
    if method == "POST" and path == "/bundles/":
        offers = sorted((o for o in VAST_OFFERS if vast_match(o, body)),
                        key=lambda o: o["dph_total"])
        return 200, {"offers": offers}
    m = re.fullmatch(r"/asks/(\d+)/", path)
    if method == "PUT" and m:
        offer = [o for o in VAST_OFFERS if o["id"] == int(m.group(1))]
        if not offer or not CLOUD.capacity:
            return 400, {"success": False, "error": "no_such_ask", "msg": "offer unavailable"}
        offer = offer[0]
        env = {k: v for k, v in body.get("env", {}).items() if not k.startswith("-")}
        bid = body.get("price")
        storage = offer["storage_cost"] * float(body.get("disk") or 0) / HOURS_PER_MONTH
        inst = CLOUD.create(body.get("label", ""), offer["gpu_name"],
                            bid if bid else offer["dph_total"], env, body.get("onstart", ""),
                            "second", storage)
        inst.inet_down_price, inst.inet_up_price = offer["inet_down_cost"], offer["inet_up_cost"]
        if bid is not None and bid < max(offer["min_bid"], CLOUD.min_bid):
            inst.state = "stopped"          # outbid: created, but stopped
            return 200, {"success": False, "error": "bid_too_low",
                         "msg": "your bid is below the minimum", "new_contract": int(inst.id)}
        CLOUD.boot(inst)
        return 200, {"success": True, "new_contract": int(inst.id)}
    if method == "GET" and path == "/instances":
        return 200, {"instances": [vast_instance_json(i) for i in CLOUD.instances.values()
                                   if i.state != "terminated"]}
    m = re.fullmatch(r"/instances/(\d+)/", path)
    inst = CLOUD.instances.get(m.group(1)) if m else None
    if m and (not inst or inst.state == "terminated"):
        return 404, {"success": False, "error": "no_such_instance", "msg": "no such instance"}
    if method == "GET" and inst:
        return 200, {"instances": vast_instance_json(inst)}
    if method == "PUT" and inst:
        want = body.get("state")
        if want == "stopped" and inst.state in ("booting", "running"):
            CLOUD.halt(inst, "stopped")
        elif want == "running" and inst.state == "stopped":
            CLOUD.boot(inst)
        return 200, {"success": True}
    if method == "DELETE" and inst:
        CLOUD.halt(inst, "terminated")
        return 200, {"success": True}
    return 404, {"success": False, "error": "not_found", "msg": path}


# -- RunPod v2 -------------------------------------------------------------------------
RUNPOD_GPUS = [
    {"id": "NVIDIA GeForce RTX 4090", "displayName": "RTX 4090", "memoryInGb": 24,
     "securePrice": 0.69, "communityPrice": 0.34},
    {"id": "NVIDIA A40", "displayName": "A40", "memoryInGb": 48, "securePrice": 0.40,
     "communityPrice": 0.35},
]


def runpod_pod_json(i):
    status = {"creating": "PROVISIONING", "booting": "STARTING", "running": "RUNNING",
              "stopped": "EXITED", "terminated": "TERMINATED"}[i.state]
    o = {"id": i.id, "name": i.name, "status": status, "costPerHr": i.price,
         "gpu": {"id": i.gpu, "count": 1}, "runtime": None}
    if i.state == "running":
        o["runtime"] = {"ports": [{"private": 8000, "public": i.port, "ip": "127.0.0.1",
                                   "type": "tcp"}]}
        if i.ssh_port:
            o["runtime"]["ports"].append({"private": 22, "public": i.ssh_port,
                                          "ip": "127.0.0.1", "type": "tcp"})
            o["ssh"] = {"direct": {"host": "127.0.0.1", "port": i.ssh_port}}
    return o


def runpod(method, path, query, body):
    if method == "GET" and path == "/catalog/gpus":
        return 200, RUNPOD_GPUS
    if method == "POST" and path == "/pods":
        gpu = [g for g in RUNPOD_GPUS if g["id"] == body.get("gpu", {}).get("id")]
        if not gpu or not CLOUD.capacity:
            return 400, {"title": "Bad Request", "status": 400,
                         "detail": "There are no instances currently available", "errors": []}
        price = gpu[0]["communityPrice" if body.get("cloud") == "COMMUNITY" else "securePrice"]
        args = body.get("args") or []
        script = args[2] if len(args) == 3 and args[:2] == ["sh", "-c"] else ""
        storage = RUNPOD_STORAGE_GB_MONTH * float(body.get("disk") or 0) / HOURS_PER_MONTH
        inst = CLOUD.create(body.get("name", ""), gpu[0]["id"], price, body.get("env", {}),
                            script, "second", storage)
        CLOUD.boot(inst)
        return 201, runpod_pod_json(inst)
    if method == "GET" and path == "/pods":
        return 200, [runpod_pod_json(i) for i in CLOUD.instances.values()
                     if i.state != "terminated"]
    m = re.fullmatch(r"/pods/([0-9a-f]+)(/action)?", path)
    inst = CLOUD.instances.get(m.group(1)) if m else None
    if m and (not inst or inst.state == "terminated"):
        return 404, {"title": "Not Found", "status": 404, "detail": "pod not found",
                     "errors": []}
    if method == "GET" and inst and not m.group(2):
        return 200, runpod_pod_json(inst)
    if method == "POST" and inst and m.group(2):
        action = body.get("action")
        if action == "stop" and inst.state in ("booting", "running"):
            CLOUD.halt(inst, "stopped")
        elif action == "start" and inst.state == "stopped":
            CLOUD.boot(inst)
        elif action == "terminate":
            CLOUD.halt(inst, "terminated")
        else:
            return 409, {"title": "Conflict", "status": 409,
                         "detail": "action %s is invalid for status %s" % (action, inst.state),
                         "errors": []}
        return 200, runpod_pod_json(inst)
    if method == "DELETE" and inst:
        CLOUD.halt(inst, "terminated")
        return 204, None
    return 404, {"title": "Not Found", "status": 404, "detail": path, "errors": []}


# -- Lambda ----------------------------------------------------------------------------
LAMBDA_TYPES = {
    "gpu_1x_a10": {"instance_type": {"name": "gpu_1x_a10", "description": "1x A10 (24 GB PCIe)",
                                     "gpu_description": "A10 (24 GB PCIe)",
                                     "price_cents_per_hour": 75, "specs": {"gpus": 1}},
                   "regions_with_capacity_available": [{"name": "us-east-1",
                                                        "description": "Virginia"}]},
    "gpu_1x_h100_pcie": {"instance_type": {"name": "gpu_1x_h100_pcie",
                                           "description": "1x H100 (80 GB PCIe)",
                                           "gpu_description": "H100 (80 GB PCIe)",
                                           "price_cents_per_hour": 249, "specs": {"gpus": 1}},
                         "regions_with_capacity_available": []},
}


def lambda_instance_json(i):
    status = {"creating": "booting", "booting": "booting", "running": "active",
              "terminated": "terminated"}.get(i.state, "unhealthy")
    return {"id": i.id, "name": i.name, "status": status,
            "ip": "127.0.0.1" if i.state == "running" else None,
            "instance_type": {"name": i.gpu, "price_cents_per_hour": int(i.price * 100)},
            "region": {"name": "us-east-1"}}


def lambda_(method, path, query, body):
    if method == "GET" and path == "/instance-types":
        return 200, {"data": LAMBDA_TYPES}
    if method == "POST" and path == "/instance-operations/launch":
        t = LAMBDA_TYPES.get(body.get("instance_type_name"))
        if not t or not CLOUD.capacity or not t["regions_with_capacity_available"]:
            return 400, {"error": {"code": "instance-operations/launch/insufficient-capacity",
                                   "message": "Not enough capacity to fulfill launch request.",
                                   "suggestion": "Choose an instance type with more availability"}}
        if not body.get("ssh_key_names"):
            return 400, {"error": {"code": "global/invalid-parameters",
                                   "message": "ssh_key_names is required"}}
        # user_data runs as root at first boot; it sets GPUSHIM_SECRET itself.
        inst = CLOUD.create(body.get("name", ""), body["instance_type_name"],
                            t["instance_type"]["price_cents_per_hour"] / 100.0, {},
                            body.get("user_data", ""), "minute")
        # The stand-in agent listens where the fake maps the fixed agent port.
        CLOUD.boot(inst)
        return 200, {"data": {"instance_ids": [inst.id]}}
    if method == "GET" and path == "/instances":
        return 200, {"data": [lambda_instance_json(i) for i in CLOUD.instances.values()
                              if i.state != "terminated"]}
    m = re.fullmatch(r"/instances/([0-9a-f]+)", path)
    if method == "GET" and m:
        inst = CLOUD.instances.get(m.group(1))
        if not inst or inst.state == "terminated":
            return 404, {"error": {"code": "global/object-does-not-exist",
                                   "message": "Specified instance does not exist."}}
        return 200, {"data": lambda_instance_json(inst)}
    if method == "POST" and path == "/instance-operations/terminate":
        done = []
        for iid in body.get("instance_ids", []):
            inst = CLOUD.instances.get(iid)
            if not inst or inst.state == "terminated":
                return 404, {"error": {"code": "global/object-does-not-exist",
                                       "message": "Specified instance does not exist."}}
            CLOUD.halt(inst, "terminated")
            done.append(lambda_instance_json(inst))
        return 200, {"data": {"terminated_instances": done}}
    return 404, {"error": {"code": "global/not-found", "message": path}}


ROUTES = {"vast": vast, "runpod": runpod, "lambda": lambda_}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    global CLOUD
    provider, cert, key, portfile, workdir = sys.argv[1:6]
    CLOUD = Cloud(provider, workdir)
    srv = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)

    def stop(*_):
        with LOCK:
            CLOUD.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
