#!/usr/bin/env python3
"""A user's scripts for the `command` provider, as tests configure them: each "instance"
is a directory under $CMD_STATE with a stand-in agent process. Usage: cmd_provider.py OP
with OP create|start|stop|destroy|status|list, the environment the provider documents
(GPUSHIM_TAG, GPUSHIM_INSTANCE, GPUSHIM_SECRET). CMD_FAIL=OP makes OP fail;
CMD_LOSE_ANSWER=1 makes create succeed but print no id (a lost answer)."""
import os
import pathlib
import re
import subprocess
import sys
import uuid

from procs import alive, terminate

HERE = pathlib.Path(__file__).resolve().parent
STATE = pathlib.Path(os.environ["CMD_STATE"])


def pid_of(d):
    try:
        return int((d / "pid").read_text())
    except (OSError, ValueError):
        return 0


def start_agent(d):
    secret = d / "secret"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (os.environ["GPUSHIM_SECRET"] + "\n").encode())
    os.close(fd)
    log = open(d / "log", "w")
    p = subprocess.Popen([sys.executable, str(HERE / "fake_agent.py"), "--listen", "127.0.0.1:0",
                          "--secret-file", str(secret)], stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    (d / "pid").write_text(str(p.pid))
    (d / "stopped").unlink(missing_ok=True)


def stop_agent(d):
    pid = pid_of(d)
    if pid:
        terminate([pid], 0.05)


def state_of(d):
    pid = pid_of(d)
    if pid and alive(pid):
        m = re.search(r"listening on ([0-9.]+):(\d+)", (d / "log").read_text())
        return "running %s %s" % (m.group(1), m.group(2)) if m else "pending"
    return "stopped" if (d / "stopped").exists() else "error"


def main(op):
    if os.environ.get("CMD_FAIL") == op:
        print("simulated %s failure" % op)
        return 1
    STATE.mkdir(parents=True, exist_ok=True)
    if op == "create":
        iid = "cmd-" + uuid.uuid4().hex[:8]
        d = STATE / iid
        d.mkdir()
        (d / "tag").write_text(os.environ["GPUSHIM_TAG"])
        start_agent(d)
        if os.environ.get("CMD_LOSE_ANSWER") != "1":
            print(iid)
        return 0
    if op == "list":
        for d in sorted(STATE.iterdir()):
            print(d.name, (d / "tag").read_text(), state_of(d).split()[0])
        return 0
    d = STATE / os.environ["GPUSHIM_INSTANCE"]
    if not d.exists():
        if op == "status":
            print("gone")
            return 0
        return 3
    if op == "status":
        print(state_of(d))
    elif op == "start":
        start_agent(d)
    elif op == "stop":
        stop_agent(d)
        (d / "stopped").write_text("")
    elif op == "destroy":
        stop_agent(d)
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
