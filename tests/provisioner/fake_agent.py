#!/usr/bin/env python3
"""Stand-in for gpushim-agent in provisioner tests: takes the agent's options
(--listen HOST:PORT with port 0 = pick and print, --secret-file FILE, --driver, --idle-shutdown),
checks the secret file is private, listens, and prints "listening on HOST:PORT".
FAKE_AGENT_BOOT_DELAY (seconds) emulates a slow boot; FAKE_AGENT_RECORD appends its argv and
pid to a file so tests can see what ran. Its --stats query prints the JSON in the file
FAKE_AGENT_STATS (the traffic counters a test scripts), else {}."""
import os
import socket
import stat
import sys
import time


def main():
    args = sys.argv[1:]
    opts = {}
    i = 0
    while i < len(args):
        if args[i].startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            opts[args[i]] = ""
            i += 1
    if "--stats" in opts:          # the daemon's heartbeat: a query that counts as activity
        host, port = opts["--stats"].rsplit(":", 1)
        socket.create_connection((host, int(port)), timeout=5).close()
        scripted = os.environ.get("FAKE_AGENT_STATS")   # the counters a test wants read
        print(open(scripted).read() if scripted and os.path.exists(scripted) else "{}")
        return 0
    secret = opts.get("--secret-file")
    if not secret or not os.path.exists(secret):
        print("fake agent: no secret file", file=sys.stderr)
        return 2
    mode = stat.S_IMODE(os.stat(secret).st_mode)
    if mode & 0o077:
        print("fake agent: secret file mode %o is not private" % mode, file=sys.stderr)
        return 2
    if len(open(secret).read().strip()) < 32:
        print("fake agent: secret too short", file=sys.stderr)
        return 2
    record = os.environ.get("FAKE_AGENT_RECORD")
    if record:
        with open(record, "a") as f:
            f.write("%d %s\n" % (os.getpid(), " ".join(sys.argv[1:])))
    time.sleep(float(os.environ.get("FAKE_AGENT_BOOT_DELAY", "0")))
    host, port = opts.get("--listen", "127.0.0.1:0").rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(16)
    print("gpushim-agent: listening on %s:%d" % (host, s.getsockname()[1]), flush=True)
    idle = float(opts.get("--idle-shutdown") or 0)
    s.settimeout(idle if idle > 0 else None)
    while True:
        try:
            c, _ = s.accept()
        except socket.timeout:
            print("fake agent: idle shutdown", flush=True)
            return 0
        c.close()


if __name__ == "__main__":
    sys.exit(main())
