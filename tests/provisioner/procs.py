"""Process and port helpers shared by the provisioner tests' fixtures and by the fakes they
start as scripts (fake_cloud.py, cmd_provider.py): liveness of a pid, stopping pids,
reaping a child, a free loopback port, a real OpenSSH sshd on a loopback port."""
import os
import shutil
import signal
import socket
import subprocess
import time

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


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


def start_sshd(d, port, authorized_keys, setenv=()):
    """A real sshd on 127.0.0.1:port, its host key and config in the directory d, the keys
    in authorized_keys let in, the NAME=VALUE words of setenv in its sessions' environment.
    Returns the Popen once it listens."""
    d = str(d)
    host_key = os.path.join(d, "host_key")
    if not os.path.exists(host_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key],
                       check=True)
    conf = os.path.join(d, "sshd_config")
    with open(conf, "w") as f:
        f.write("ListenAddress 127.0.0.1:%d\nHostKey %s\nAuthorizedKeysFile %s\n"
                "StrictModes no\nPidFile none\nUsePAM no\nPasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
                "Subsystem sftp /usr/lib/openssh/sftp-server\n" % (port, host_key, authorized_keys))
        if setenv:
            f.write("SetEnv %s\n" % " ".join(setenv))
    os.makedirs("/run/sshd", exist_ok=True)
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", conf], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(d, "sshd.log"), "a"),
                            start_new_session=True)
    for _ in range(500):
        with socket.socket() as c:
            if c.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    raise RuntimeError("sshd did not listen on port %d (see %s/sshd.log)" % (port, d))
