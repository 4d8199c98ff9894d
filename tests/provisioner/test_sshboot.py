"""GPUSHIM_BOOTSTRAP=ssh against the Vast, RunPod and Lambda fakes: instances boot an image
without the agent, only a real sshd (procs.start_sshd) reported as the instance's SSH
endpoint. The daemon copies the real gpushim-agent there over SSH (the `ssh` provider's
code), starts it with the per-instance secret on ssh's stdin, and a real CUDA program
(kernels/apps/bandwidth) runs through libgpushim.so on it, across a stop and a restart (a
fresh agent over SSH again; Lambda cannot stop). The secret never reaches the provider's
API nor a command line; an SSH failure is a clear error and leaves no instance running;
fake == ledger afterwards."""
import getpass
import os
import shutil
import stat
import subprocess

import pytest

from conftest import FAKE_AGENT, wait_for
from procs import free_port
from test_bandwidth import AGENT, APP, DRIVER, run_app
from test_cloud import matches_ledger, start_fake, tls  # noqa: F401  (the tls fixture)


def keypair(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@pytest.fixture(params=["vast", "runpod", "lambda"])
def cloud_ssh(gs, tls, request):  # noqa: F811
    d = gs.tmp / "ssh"
    d.mkdir()
    keypair(d / "client_key")
    shutil.copy(d / "client_key.pub", d / "authorized_keys")
    env = dict(os.environ, FAKE_CLOUD_SSH_KEYS=str(d / "authorized_keys"))
    if request.param == "lambda":        # Lambda's API has no SSH port: 22 on the ip
        env["FAKE_CLOUD_SSH_PORT"] = gs.env["GPUSHIM_LAMBDA_SSH_PORT"] = str(free_port())
    proc, fake = start_fake(gs, tls, request.param, env=env)
    remote = gs.tmp / "remote"
    gs.env.update({"GPUSHIM_BOOTSTRAP": "ssh", "GPUSHIM_SSH_KEY": str(d / "client_key"),
                   "GPUSHIM_SSH_KNOWN_HOSTS": str(d / "known_hosts"),
                   "GPUSHIM_SSH_USER": getpass.getuser(), "GPUSHIM_SSH_DIR": str(remote),
                   "GPUSHIM_SSH_LISTEN": "127.0.0.1", "GPUSHIM_QUIET": "1",
                   "GPUSHIM_TIMEOUT": "30", "GPUSHIM_IDLE_GRACE": "120"})
    if AGENT:
        gs.env.update({"GPUSHIM_SSH_AGENT": AGENT, "GPUSHIM_AGENT_CMD": AGENT,
                       "GPUSHIM_SSH_AGENT_ARGS": "--driver %s" % DRIVER})
    else:
        gs.env["GPUSHIM_SSH_AGENT"] = FAKE_AGENT
    yield fake, remote, d
    gs.shutdown()
    try:
        matches_ledger(gs, fake)
        assert fake.running() == []
        assert all(i["agents_alive"] == [] for i in fake.state()["instances"])
    finally:
        proc.terminate()
        proc.wait(10)


def events(gs):
    return [e for (e,) in gs.ledger("SELECT event FROM events ORDER BY rowid")]


@pytest.mark.skipif(not (AGENT and APP), reason="the agent or the CUDA programs are not built")
def test_cuda_program_on_an_ssh_bootstrapped_instance(gs, cloud_ssh):
    fake, remote, _ = cloud_ssh
    run_app(gs, 1)
    st = gs.status()
    assert st["provider"] == fake.provider and st["state"] == "idle"
    [inst] = fake.state()["instances"]
    assert inst["id"] == st["instance"] and inst["status"] == "running"
    # Nothing secret went through the provider's API: no secret in the env, no script.
    assert inst["env_keys"] == [] and not inst["has_script"]
    # The agent runs "on the instance" (its processes carry the instance's mark), came
    # from the copied binary, and got its secret through ssh's stdin only.
    [pid] = inst["agents_alive"]
    tag = inst["name"]
    assert os.readlink("/proc/%d/exe" % pid) == str(remote / tag / "gpushim-agent")
    secret = (remote / tag / "secret").read_text().strip()
    assert len(secret) == 64
    assert stat.S_IMODE(os.stat(remote / tag / "secret").st_mode) == 0o600
    assert secret not in open("/proc/%d/cmdline" % pid).read()
    assert "agent-ready" in events(gs)
    if fake.provider == "lambda":                   # no stop: down terminates
        assert gs.cli("down").returncode == 0
        [inst] = fake.state()["instances"]
        assert inst["status"] == "terminated" and inst["agents_alive"] == []
        return
    # Stop, then a restart: the container starts without the agent; SSH brings a new one.
    assert gs.cli("down").returncode == 0
    gs.wait_state("stopped")
    [inst] = fake.state()["instances"]
    assert inst["status"] == "stopped" and inst["agents_alive"] == []
    matches_ledger(gs, fake)
    run_app(gs, 1)
    [inst] = fake.state()["instances"]
    assert inst["status"] == "running" and len(inst["agents_alive"]) == 1
    assert inst["agents_alive"] != [pid]
    assert events(gs).count("agent-ready") == 2
    assert gs.cli("down", "--destroy").returncode == 0
    [inst] = fake.state()["instances"]
    assert inst["status"] == "terminated"


def test_ssh_failure_is_an_error_and_the_instance_is_stopped(gs, cloud_ssh):
    fake, _, d = cloud_ssh
    keypair(d / "stranger_key")                     # not in the instance's authorized_keys
    p = gs.cli("up", env={"GPUSHIM_SSH_KEY": str(d / "stranger_key"),
                          "GPUSHIM_SSH_BOOT_TIMEOUT": "2", "GPUSHIM_QUIET": "0"})
    assert p.returncode == 1
    assert "could not start the agent on instance" in p.stderr and "over ssh" in p.stderr
    assert len(fake.state()["instances"]) == 1
    wait_for(lambda: not fake.running(), 10, "the instance to stop")
    assert gs.ledger_up() == []
    assert "error" in events(gs)


def test_unknown_bootstrap_is_a_configuration_error(gs, cloud_ssh):
    fake, _, _ = cloud_ssh
    p = gs.cli("up", env={"GPUSHIM_BOOTSTRAP": "scp"})
    assert p.returncode == 6, p.stderr                 # EXIT_CONFIG
    assert "GPUSHIM_BOOTSTRAP is 'scp'; it must be image or ssh" in p.stderr
    assert fake.state()["instances"] == []
