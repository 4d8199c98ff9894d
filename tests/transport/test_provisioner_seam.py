"""The provisioner seam of gs_link_open: with GPUSHIM_PROVIDER set and no endpoint, the link
asks the provisioner's daemon (provisioner/client.h) for an agent and its secret file. Here the
`local` provider runs our echo agent; every process the test causes is ended afterwards."""
import os
import signal
import subprocess
import time

AGENT = os.environ.get("GS_AGENT", "gpushim-agent-echo")
CLIENT = os.environ.get("GS_CLIENT_PROV", "transport_client_prov")
GPUSHIM = os.environ.get("GS_GPUSHIM", "gpushim")


def processes_with_env(marker):
    """Pids of processes whose environment holds `marker` (ours only: the test's dirs)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/environ", "rb") as f:
                if marker.encode() in f.read().split(b"\0"):
                    pids.append(int(d))
        except OSError:
            pass
    return [p for p in pids if p != os.getpid()]


def test_link_through_provisioner(tmp_path):
    run_dir = tmp_path / "run"
    for d in ("run", "state", "cfg"):
        (tmp_path / d).mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPUSHIM_")}
    env.update(XDG_RUNTIME_DIR=str(run_dir), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "cfg"), HOME=str(tmp_path),
               GPUSHIM_PROVIDER="local", GPUSHIM_AGENT_CMD=AGENT, GPUSHIM_BIN=GPUSHIM,
               GPUSHIM_IDLE_GRACE="1", GPUSHIM_QUIET="1", GPUSHIM_TIMEOUT="30")
    marker = f"XDG_RUNTIME_DIR={run_dir}"
    try:
        for args in (["echo", "20", "500"], ["batch", "200"]):
            r = subprocess.run([CLIENT, *args], capture_output=True, text=True, env=env,
                               timeout=60)
            assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    finally:
        for pid in processes_with_env(marker):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 10
        while processes_with_env(marker) and time.monotonic() < end:
            time.sleep(0.1)
        for pid in processes_with_env(marker):
            os.kill(pid, signal.SIGKILL)
