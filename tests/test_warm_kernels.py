"""tools/warm_kernels.py: a notebook kernel forked from the warm zygote is the kernel a cold start
gives (same arguments, path, folder and environment; a fresh namespace), only already imported;
jupyter_client interrupts it and shuts it down as it does a kernel it started itself."""

import json
import os
import time

import pytest
import warm_kernels  # tools/ is on pytest's pythonpath

pytestmark = pytest.mark.skipif(not warm_kernels.supported(), reason="warm kernels need Linux (fork, pidfd)")

# The probe notes whether helpers came preloaded, then imports what a notebook's first cell
# imports (its imports may set environment variables), then reports.
PROBE = """import json, os, sys
preloaded = "helpers.display" in sys.modules
import helpers.checks, helpers.display, helpers.widgets
print(json.dumps({"argv": sys.argv[1:2], "argv0": os.path.basename(sys.argv[0]), "path": sys.path,
                  "cwd": os.getcwd(), "env": dict(os.environ),
                  "names": sorted(k for k in globals() if not k.startswith("_") and k not in ("helpers", "preloaded")),
                  "count": get_ipython().execution_count, "pid": os.getpid(), "sid": os.getsid(0),
                  "helpers": preloaded}))"""


def _start(tmp_path, warm, monkeypatch=None):
    from jupyter_client.manager import KernelManager
    from jupyter_client.provisioning import local_provisioner
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    if not warm:  # under nbval this process routes kernels through its own zygote: go round it
        launch = local_provisioner.launch_kernel
        while hasattr(launch, "cold"):
            launch = launch.cold
        monkeypatch.setattr(local_provisioner, "launch_kernel", launch)
    uninstall = warm_kernels.install() if warm else None
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    km.start_kernel(cwd=str(tmp_path), env={**os.environ, "BYHAND_PROBE": "42"})
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc, uninstall


def _run(kc, code, timeout=30):
    out = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: out.append(m["content"].get("text", ""))
                                   if m["msg_type"] == "stream" else None)
    return reply["content"], "".join(out)


def _probe(tmp_path, warm, monkeypatch):
    km, kc, uninstall = _start(tmp_path, warm, monkeypatch)
    try:
        return json.loads(_run(kc, PROBE)[1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
        if uninstall:
            uninstall()


def test_a_warm_kernel_is_the_cold_kernel_already_imported(tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        cold = _probe(tmp_path, False, mp)
    warm = _probe(tmp_path, True, None)
    assert warm["helpers"] and not cold["helpers"]  # the point: imports done before the notebook
    for key in ("argv", "argv0", "path", "cwd", "names", "count"):
        assert warm[key] == cold[key], key
    assert warm["cwd"] == str(tmp_path) and warm["env"]["BYHAND_PROBE"] == "42"
    differ = {k for k in set(cold["env"]) | set(warm["env"]) if cold["env"].get(k) != warm["env"].get(k)}
    assert differ <= {"JPY_PARENT_PID"}, differ  # the test process's pid, the same in both runs here
    assert warm["sid"] == warm["pid"]  # a session of its own, as Popen(start_new_session=True)


def test_jupyter_client_interrupts_and_shuts_down_a_warm_kernel(tmp_path):
    km, kc, uninstall = _start(tmp_path, warm=True)
    try:
        pid = km.provisioner.pid
        # stop_on_error=False: the interrupted request must not make ipykernel abort the next one
        # (it aborts what arrives just after an error, warm or cold alike)
        msg_id = kc.execute("import time; time.sleep(60)", stop_on_error=False)
        time.sleep(0.5)
        start = time.monotonic()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=20)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["ename"] == "KeyboardInterrupt" and time.monotonic() - start < 10
        content, out = _run(kc, "print('still alive')", timeout=20)
        assert content["status"] == "ok" and out == "still alive\n"
        kc.stop_channels()
        km.shutdown_kernel()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        uninstall()


def test_other_kernels_start_cold(monkeypatch):
    from jupyter_client.provisioning import local_provisioner

    seen = []
    monkeypatch.setattr(local_provisioner, "launch_kernel", lambda cmd, **kw: seen.append(cmd) or "cold")
    uninstall = warm_kernels.install()
    try:
        assert local_provisioner.launch_kernel(["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "x"]) == "cold"
        assert seen == [["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "x"]]
    finally:
        uninstall()
    assert local_provisioner.launch_kernel(["R"]) == "cold"  # the original is back
