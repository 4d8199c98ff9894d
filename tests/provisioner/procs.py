"""Process and port helpers shared by the provisioner tests' fixtures and by the fakes they
start as scripts (fake_cloud.py, cmd_provider.py): liveness of a pid, stopping pids,
reaping a child, a free loopback port."""
import os
import signal
import socket
import time


def alive(pid):
    """Whether pid runs and is not a zombie."""
    try:
        os.kill(pid, 0)
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def terminate(pids, interval):
    """SIGTERM to each live pid, then up to 100 waits of interval seconds for each to end."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGTERM)
    for pid in pids:
        for _ in range(100):
            if not alive(pid):
                break
            time.sleep(interval)


def kill_and_reap(p):
    """Kills a Popen child that still runs, waits for it and closes its pipes."""
    if p.poll() is None:
        p.kill()
    p.wait()
    for f in (p.stdout, p.stderr):
        if f:
            f.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
