"""Integration tests of gpushim-agent's server and the transport, with real processes on
loopback: the agent (built with the stub echo session, tests/transport/echo_session.c) and
transport_client (a C program using gs_link_* like libgpushim does).

GS_AGENT and GS_CLIENT name the two executables (set by meson)."""
import hashlib
import hmac
import json
import os
import select
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

AGENT = os.environ.get("GS_AGENT", "gpushim-agent-echo")
CLIENT = os.environ.get("GS_CLIENT", "transport_client")
RAW_CLIENT = os.environ.get("GS_RAW_CLIENT", "raw_client")
MAGIC = 0x4753484D
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GPUSHIM_")}


def write_secret(path, text=None):
    text = text or os.urandom(32).hex()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (text + "\n").encode())
    os.close(fd)
    return text.encode()


class Agent:
    def __init__(self, tmp_path, *args, secret=None):
        self.secret_file = str(tmp_path / "agent.secret")
        self.secret = write_secret(self.secret_file, secret)
        self.stderr_path = tmp_path / "agent.err"
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [AGENT, "--listen", "127.0.0.1:0", "--secret-file", self.secret_file, *args],
            stdout=subprocess.PIPE, stderr=self.stderr, env=CLEAN_ENV, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        assert ready, "agent did not report its port"
        line = self.proc.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        self.port = int(line.strip().rsplit(":", 1)[1])
        assert self.port > 0
        self.endpoint = f"127.0.0.1:{self.port}"

    def env(self, **extra):
        env = dict(CLEAN_ENV, GPUSHIM_ENDPOINT=self.endpoint,
                   GPUSHIM_SECRET_FILE=self.secret_file, GPUSHIM_TIMEOUT="10")
        env.update(extra)
        return env

    def stats(self):
        r = subprocess.run([AGENT, "--stats", self.endpoint, "--secret-file", self.secret_file,
                            "--json"], capture_output=True, text=True, timeout=20,
                           env=self.env())
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def log(self):
        self.stderr.flush()
        return self.stderr_path.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.stderr.close()


@pytest.fixture
def agent_factory(tmp_path):
    agents = []

    def make(*args, secret=None, sub="a"):
        d = tmp_path / f"{sub}{len(agents)}"
        d.mkdir()
        a = Agent(d, *args, secret=secret)
        agents.append(a)
        return a
    yield make
    for a in agents:
        a.stop()


_spawned = []


def spawn(argv, **kw):
    """Popen for client processes; every one is killed when its test ends, pass or fail."""
    p = subprocess.Popen(argv, **kw)
    _spawned.append(p)
    return p


@pytest.fixture(autouse=True)
def kill_spawned():
    yield
    while _spawned:
        p = _spawned.pop()
        if p.poll() is None:
            p.kill()
        p.wait()
        for f in (p.stdout, p.stderr):
            if f:
                f.close()


def client(env, *args, timeout=60):
    return subprocess.run([CLIENT, *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def wait_for(pred, seconds=10.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


# ---- a raw client speaking the handshake in Python (plain TCP), for hostile input ----

def rm_send(sock, payload):
    sock.sendall(struct.pack(">I", 0x80000000 | len(payload)) + payload)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def rm_recv(sock):
    out = b""
    while True:
        (h,) = struct.unpack(">I", recv_exact(sock, 4))
        out += recv_exact(sock, h & 0x7FFFFFFF)
        if h & 0x80000000:
            return out


def raw_session(agent, versions=(1, 1), secret=None):
    """Opens a plain connection and authenticates; returns the socket (or the CHALLENGE
    status when the agent refused the hello)."""
    s = socket.create_connection(("127.0.0.1", agent.port), timeout=10)
    cn = os.urandom(32)
    rm_send(s, struct.pack(">7I", MAGIC, 1, versions[0], versions[1], 1, 0, 10000) + cn)
    ch = rm_recv(s)
    magic, typ, status, version = struct.unpack(">4I", ch[:16])
    assert magic == MAGIC and typ == 2
    if status != 0:
        s.close()
        return status
    an = ch[28:60]
    params = struct.pack(">3I", version, 0, 1)
    key = secret or agent.secret
    expect = hmac.new(key, b"gpushim agent proof v1" + cn + an + params, hashlib.sha256)
    assert hmac.compare_digest(expect.digest(), ch[60:92]), "agent proof wrong"
    proof = hmac.new(key, b"gpushim client proof v1" + cn + an + params, hashlib.sha256)
    rm_send(s, struct.pack(">2I", MAGIC, 3) + proof.digest())
    result = rm_recv(s)
    assert struct.unpack(">3I", result)[2] == 0
    return s


def send_message(sock, payload, waits=True):
    rm_send(sock, struct.pack(">I", 1 | (0x100 if waits else 0)) + payload)


def connection_closed(sock, seconds=10):
    """True when the agent closes the connection (optionally after an ERROR record)."""
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def good_client_works(agent):
    r = client(agent.env(), "echo", "20", "3000")
    return r.returncode == 0 and r.stdout.strip() == "ok"


# ---- tests ----

@pytest.mark.parametrize("mode", ["on", "off"])
def test_echo_with_tls_forced(agent_factory, mode):
    agent = agent_factory("--tls", mode)
    env = agent.env(GPUSHIM_TLS=mode)
    for args in (["echo", "200", "1000"], ["batch", "2000"], ["big", "20000000"]):
        r = client(env, *args)
        assert r.returncode == 0 and r.stdout.strip() == "ok", (args, r.stderr)
    st = agent.stats()
    assert st["sessions_total"] == 3 and st["sessions"] == 0
    assert st["total"]["messages"] == 200 + 2000 + 1
    # batch: 2000 messages sent back to back, only the last one waited on
    assert st["total"]["round_trips"] == 200 + 1 + 1


def test_tls_really_encrypts(agent_factory, tmp_path):
    """A relaying proxy sees the payload in clear with TLS off and never with TLS on."""
    marker = b"#PLAINTEXT-MARKER-" + os.urandom(6).hex().encode()
    for mode, visible in (("off", True), ("on", False)):
        agent = agent_factory("--tls", mode)
        seen = bytearray()
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        port = lsock.getsockname()[1]

        def relay():
            c, _ = lsock.accept()
            u = socket.create_connection(("127.0.0.1", agent.port))
            socks = [c, u]
            while True:
                r, _, _ = select.select(socks, [], [], 10)
                if not r:
                    break
                done = False
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        done = True
                        break
                    seen.extend(data)
                    (u if s is c else c).sendall(data)
                if done:
                    break
            c.close()
            u.close()
        t = threading.Thread(target=relay, daemon=True)
        t.start()
        env = agent.env(GPUSHIM_ENDPOINT=f"127.0.0.1:{port}", GPUSHIM_TLS=mode)
        # the client sends the marker; the reply is the marker reversed
        r = subprocess.run([CLIENT, "text", marker.decode()], capture_output=True, text=True,
                           env=env, timeout=30)
        assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
        t.join(15)
        lsock.close()
        assert (marker in seen) == visible, mode
        assert (marker[::-1] in seen) == visible, mode


def test_wrong_secret_rejected(agent_factory, tmp_path):
    agent = agent_factory("--tls", "auto")
    wrong = tmp_path / "wrong.secret"
    write_secret(wrong)
    r = client(agent.env(GPUSHIM_SECRET_FILE=str(wrong)), "echo", "1", "10")
    assert r.returncode == 3
    assert "credential refused" in r.stderr and "GPUSHIM_SECRET_FILE" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert wait_for(lambda: agent.stats()["auth_failures"] == 1)
    assert "credential refused" in agent.log()
    assert good_client_works(agent)


def test_world_readable_secret_refused(tmp_path):
    path = tmp_path / "open.secret"
    write_secret(path)
    os.chmod(path, 0o644)
    r = subprocess.run([AGENT, "--listen", "127.0.0.1:0", "--secret-file", str(path)],
                       capture_output=True, text=True, timeout=10, env=CLEAN_ENV)
    assert r.returncode != 0 and "chmod 600" in r.stderr
    r = subprocess.run([AGENT, "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                       timeout=10, env=CLEAN_ENV)
    assert r.returncode != 0 and "--secret-file" in r.stderr


def test_version_mismatch_refused(agent_factory):
    agent = agent_factory("--tls", "off")
    assert raw_session(agent, versions=(7, 9)) == 1  # GS_HS_VERSION_MISMATCH
    assert good_client_works(agent)


def test_unreachable_agent(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    secret = tmp_path / "s"
    write_secret(secret)
    env = dict(CLEAN_ENV, GPUSHIM_ENDPOINT=f"127.0.0.1:{port}", GPUSHIM_SECRET_FILE=str(secret))
    r = client(env, "echo", "1", "1")
    assert r.returncode == 3 and "cannot reach the gpushim agent" in r.stderr


HOSTILE = {
    "garbage before auth": lambda a: os.urandom(4096),
    "huge header before auth": lambda a: b"\x7f\xff\xff\xff" + os.urandom(64),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bytes_before_auth(agent_factory, name):
    agent = agent_factory("--tls", "off")
    s = socket.create_connection(("127.0.0.1", agent.port))
    s.sendall(HOSTILE[name](agent))
    assert connection_closed(s)
    s.close()
    assert good_client_works(agent)


def oversized(sock):
    sock.sendall(struct.pack(">I", 0x80000000 | 0x7FFFFFF0) + b"\x00\x00\x00\x01" + b"x" * 100)


def bad_word(sock):
    rm_send(sock, struct.pack(">I", 0xDEAD) + b"payload")


def short_record(sock):
    rm_send(sock, b"\x00\x01")


def truncated_then_close(sock):
    sock.sendall(struct.pack(">I", 0x80000000 | 1000) + b"\x00\x00\x01\x00" + b"y" * 10)
    sock.shutdown(socket.SHUT_WR)


def truncated_then_stall(sock):
    sock.sendall(struct.pack(">I", 0x80000000 | 1000) + b"\x00\x00\x01\x00" + b"y" * 10)


def session_rejects(sock):
    send_message(sock, b"bad")


def many_empty_fragments(sock):
    sock.sendall(b"\x00\x00\x00\x00" * 70000)


@pytest.mark.parametrize("attack", [oversized, bad_word, short_record, truncated_then_close,
                                    truncated_then_stall, session_rejects, many_empty_fragments],
                         ids=lambda f: f.__name__)
def test_hostile_records_after_auth(agent_factory, attack):
    agent = agent_factory("--tls", "off", "--read-timeout", "1", "--max-message", "1048576")
    bystander = spawn([CLIENT, "alloc", "777"], stdout=subprocess.PIPE, text=True,
                                 env=agent.env())
    try:
        assert bystander.stdout.readline().strip() == "allocated"
        s = raw_session(agent)
        send_message(s, b"#warmup")
        assert rm_recv(s) == b"\x00\x00\x00\x01" + b"#warmup"[::-1]
        attack(s)
        assert connection_closed(s, 15), "agent kept a hostile connection"
        s.close()
        assert wait_for(lambda: agent.stats()["sessions"] == 1)  # the bystander only
        assert good_client_works(agent)
        r = client(agent.env(), "mem")
        assert r.returncode == 0 and r.stdout.strip() == "777"  # the bystander's, untouched
        if attack is not truncated_then_close:
            assert agent.stats()["dropped"] >= 1
    finally:
        bystander.kill()
        bystander.wait()


def test_agent_killed_mid_run(agent_factory):
    agent = agent_factory("--tls", "on")
    c = spawn([CLIENT, "sleep", "20000"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=agent.env(GPUSHIM_TIMEOUT="5"))
    assert wait_for(lambda: agent.stats()["sessions"] == 1)
    agent.proc.kill()
    out, err = c.communicate(timeout=30)
    assert c.returncode == 3
    assert "lost the connection to the gpushim agent" in err


def test_agent_frozen_times_out(agent_factory):
    agent = agent_factory("--tls", "off")
    c = spawn([CLIENT, "sleep", "500"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=agent.env(GPUSHIM_TIMEOUT="2"))
    assert wait_for(lambda: agent.stats()["sessions"] == 1)
    os.kill(agent.proc.pid, signal.SIGSTOP)
    try:
        out, err = c.communicate(timeout=30)
    finally:
        os.kill(agent.proc.pid, signal.SIGCONT)
    assert c.returncode == 3 and "sent nothing for 2 s" in err


def test_long_request_kept_alive(agent_factory):
    """A request that runs longer than the client's timeout succeeds: the agent sends
    keepalives while it works."""
    agent = agent_factory("--tls", "on")
    r = client(agent.env(GPUSHIM_TIMEOUT="1", GPUSHIM_TLS="on"), "sleep", "3000")
    assert r.returncode == 0 and r.stdout.strip() == "slept", r.stderr


def test_killed_client_session_closed(agent_factory):
    agent = agent_factory("--tls", "off")
    assert client(agent.env(), "mem").stdout.strip() == "0"
    holders = [spawn([CLIENT, "alloc", str(n)], stdout=subprocess.PIPE, text=True,
                                env=agent.env()) for n in (1000, 2345)]
    for h in holders:
        assert h.stdout.readline().strip() == "allocated"
    assert agent.stats()["sessions"] == 2
    assert client(agent.env(), "mem").stdout.strip() == "3345"
    holders[0].kill()
    holders[0].wait()
    assert wait_for(lambda: agent.stats()["sessions"] == 1)
    assert client(agent.env(), "mem").stdout.strip() == "2345"
    holders[1].send_signal(signal.SIGKILL)
    holders[1].wait()
    assert wait_for(lambda: agent.stats()["sessions"] == 0)
    assert client(agent.env(), "mem").stdout.strip() == "0"
    for h in holders:
        h.stdout.close()


def test_max_sessions(agent_factory):
    agent = agent_factory("--tls", "off", "--max-sessions", "1")
    h = spawn([CLIENT, "alloc", "1"], stdout=subprocess.PIPE, text=True,
                         env=agent.env())
    try:
        assert h.stdout.readline().strip() == "allocated"
        r = client(agent.env(), "mem")
        assert r.returncode == 3 and "maximum number of sessions" in r.stderr
    finally:
        h.kill()
        h.wait()
        h.stdout.close()
    assert wait_for(lambda: agent.stats()["sessions"] == 0)
    assert client(agent.env(), "mem").returncode == 0


def test_sigterm_clean_shutdown(agent_factory, tmp_path):
    stats_file = tmp_path / "stats.json"
    agent = agent_factory("--tls", "off", "--stats-file", str(stats_file))
    h = spawn([CLIENT, "alloc", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=agent.env())
    try:
        assert h.stdout.readline().strip() == "allocated"
        agent.proc.send_signal(signal.SIGTERM)
        assert agent.proc.wait(timeout=15) == 0
        final = json.loads(stats_file.read_text())
        assert final["sessions"] == 0 and final["sessions_total"] == 1
    finally:
        h.kill()
        h.wait()
        h.stdout.close()
        h.stderr.close()


def test_session_open_failure_reported(agent_factory):
    agent = agent_factory("--tls", "off", "--driver", "/nonexistent/fail-open/libcuda.so.1")
    r = client(agent.env(), "mem")
    assert r.returncode == 3 and "cannot open a device session" in r.stderr


def test_private_agent_autostart_and_exit(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    log = tmp_path / "agent.log"
    env = dict(CLEAN_ENV, GPUSHIM_AGENT=AGENT, TMPDIR=str(tmpdir), GPUSHIM_AGENT_LOG=str(log),
               GPUSHIM_TIMEOUT="10")
    env.pop("XDG_RUNTIME_DIR", None)
    r = client(env, "echo", "50", "100")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    line = [l for l in log.read_text().splitlines() if "listening on" in l][0]
    port = int(line.rsplit(":", 1)[1])
    assert list(tmpdir.iterdir()) == [], "secret file left behind"

    def gone():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return False
        except OSError:
            return True
    assert wait_for(gone, 10), "private agent still listening after its client left"


def test_private_agent_with_tls_on(tmp_path):
    env = dict(CLEAN_ENV, GPUSHIM_AGENT=AGENT, TMPDIR=str(tmp_path), GPUSHIM_TLS="on")
    r = client(env, "echo", "5", "1000")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_private_agent_missing(tmp_path):
    env = dict(CLEAN_ENV, GPUSHIM_AGENT=str(tmp_path / "no-such-agent"), TMPDIR=str(tmp_path))
    r = client(env, "mem")
    assert r.returncode == 3 and "private agent" in r.stderr


@pytest.mark.parametrize("seed", range(8))
def test_random_garbage_after_auth(agent_factory, seed):
    """Random bytes after a good handshake: the agent answers or drops, never dies."""
    import random
    rnd = random.Random(seed)
    agent = agent_factory("--tls", "off", "--read-timeout", "1", "--max-message", "65536")
    s = raw_session(agent)
    junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 20000)))
    try:
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the agent may already have dropped us
    assert connection_closed(s, 15)
    s.close()
    assert agent.proc.poll() is None
    assert good_client_works(agent)


def test_idle_shutdown_and_heartbeat(agent_factory):
    agent = agent_factory("--tls", "off", "--idle-shutdown", "3")
    end = time.monotonic() + 5
    while time.monotonic() < end:  # stats queries count as the provisioner's heartbeat
        agent.stats()
        time.sleep(0.3)
    assert agent.proc.poll() is None, "agent left although heartbeats kept coming"
    assert agent.proc.wait(timeout=30) == 0  # no session, no heartbeat: it leaves by itself


def test_exit_when_idle_after_last_session(agent_factory):
    agent = agent_factory("--tls", "off", "--exit-when-idle")
    holders = [spawn([CLIENT, "alloc", "1"], stdout=subprocess.PIPE, text=True,
                                env=agent.env()) for _ in range(2)]
    for h in holders:
        assert h.stdout.readline().strip() == "allocated"
    holders[0].kill()
    holders[0].wait()
    assert wait_for(lambda: agent.stats()["sessions"] == 1)
    assert agent.proc.poll() is None  # one session left: still serving
    holders[1].kill()
    holders[1].wait()
    assert agent.proc.wait(timeout=30) == 0
    for h in holders:
        h.stdout.close()


def test_private_agent_never_loads_the_shim(tmp_path):
    """The private agent must not find libgpushim (here: the client itself) as libcuda.so.1
    through the program's LD_LIBRARY_PATH, nor inherit LD_PRELOAD."""
    faces = tmp_path / "faces"
    faces.mkdir()
    os.symlink(CLIENT, faces / "libcuda.so.1")
    keep = tmp_path / "keep"
    keep.mkdir()
    env = dict(CLEAN_ENV, GPUSHIM_AGENT=AGENT, TMPDIR=str(tmp_path),
               LD_LIBRARY_PATH=f"{faces}:{keep}")
    r = client(env, "env", "LD_LIBRARY_PATH")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(keep)
    r = client(env, "env", "LD_PRELOAD")
    assert r.returncode == 0 and r.stdout.strip() == "(unset)"


@pytest.mark.parametrize("attack", ["oversized", "badword", "garbage", "truncated", "stall",
                                    "bad"])
def test_hostile_records_inside_tls(agent_factory, attack):
    agent = agent_factory("--tls", "on", "--read-timeout", "1", "--max-message", "1048576")
    r = subprocess.run([RAW_CLIENT, attack], capture_output=True, text=True, timeout=60,
                       env=agent.env(GPUSHIM_TLS="on"))
    assert r.returncode == 0 and r.stdout.strip() == "closed", (r.stdout, r.stderr)
    assert agent.proc.poll() is None
    assert good_client_works(agent)
    assert wait_for(lambda: agent.stats()["sessions"] == 0)
