"""A simulated learner on a JupyterHub, through the hub and its proxy only, as a browser would
go (tools/hub_harness.py starts the hub; tools/hub_class.py runs a class of them):

1. logs in on the hub's login form (DummyAuthenticator), asks the hub's REST API for a token and
   for a server, and follows the hub's progress stream until the server is ready;
2. gets the lessons the way a teacher hands them out: nbgitpuller's git-pull, from a git URL;
3. opens a notebook through the proxy (contents API), starts a kernel for it (sessions API) and
   runs every code cell over the kernel's websocket, typing answers into some cells first;
4. saves the notebook through the contents API; stops and starts the server through the hub.

Everything runs on tornado's asyncio clients (tornado comes with jupyterlab), so one process
drives a whole class at once. Outputs are kept in nbformat's shape, consecutive stream outputs
merged as nbclient does.
"""

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect


@dataclass
class Run:
    """A notebook as the learner ran it: the cells sent and, per code cell, the outputs received."""
    path: str
    notebook: dict
    outputs: list = field(default_factory=list)  # one list per code cell, in order
    first_output: float | None = None  # time.monotonic() of the first output
    started: float = 0.0  # first execute_request
    finished: float = 0.0  # last cell's reply


class Learner:
    def __init__(self, hub_url, name, timeout):
        self.hub_url, self.name, self.timeout = hub_url, name, timeout
        self.http = AsyncHTTPClient(force_instance=True, defaults={"request_timeout": timeout,
                                                                   "connect_timeout": timeout})
        self.cookies, self.token = {}, None
        self.base = f"/user/{quote(name)}"

    def close(self):
        self.http.close()

    async def fetch(self, path, method="GET", body=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if isinstance(body, dict):
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        resp = await self.http.fetch(self.hub_url + path, method=method, body=body, headers=headers,
                                     allow_nonstandard_methods=True, **kwargs)
        for raw in resp.headers.get_list("Set-Cookie"):
            for key, morsel in SimpleCookie(raw).items():
                self.cookies[key] = morsel.value
        return resp

    async def api(self, path, method="GET", body=None, **kwargs):
        resp = await self.fetch(path, method, body, **kwargs)
        return json.loads(resp.body) if resp.body else None

    # -- the hub ---------------------------------------------------------------------------

    async def login(self, password="any"):
        """The login form (as a browser posts it), then a token from the hub's REST API."""
        await self.fetch("/hub/login")  # sets the _xsrf cookie the form must echo
        form = urlencode({"username": self.name, "password": password, "_xsrf": self.cookies["_xsrf"]})
        resp = await self.fetch("/hub/login", "POST", form, follow_redirects=False, raise_error=False)
        if resp.code != 302:
            raise AssertionError(f"login of {self.name}: HTTP {resp.code}")
        await self.fetch("/hub/home")  # a page after login: a fresh _xsrf cookie for this session
        reply = await self.api(f"/hub/api/users/{self.name}/tokens", "POST",
                               {"note": "simulated learner", "expires_in": 3 * 3600},
                               headers={"X-XSRFToken": self.cookies["_xsrf"]})
        self.token = reply["token"]

    async def start_server(self):
        """Ask the hub for a server and follow its progress stream until it is ready."""
        resp = await self.fetch(f"/hub/api/users/{self.name}/server", "POST", {}, raise_error=False)
        if resp.code not in (201, 202, 400):  # 400: already running
            raise AssertionError(f"spawn of {self.name}: HTTP {resp.code} {resp.body[:300]!r}")
        events = await self.fetch(f"/hub/api/users/{self.name}/server/progress")
        last = _last_event(events.body)
        if not last.get("ready"):
            raise AssertionError(f"server of {self.name} did not start: {last.get('message', last)}")

    async def stop_server(self):
        resp = await self.fetch(f"/hub/api/users/{self.name}/server", "DELETE", raise_error=False)
        if resp.code not in (202, 204):
            raise AssertionError(f"stop of {self.name}: HTTP {resp.code}")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            user = await self.api(f"/hub/api/users/{self.name}")
            if not user.get("servers"):
                return
            await _sleep(0.3)
        raise AssertionError(f"the server of {self.name} did not stop within {self.timeout} s")

    # -- the single-user server, through the proxy ------------------------------------------

    async def git_pull(self, repo, target, branch="main"):
        """What a teacher's nbgitpuller link does: clone (or update) `repo` into `target`."""
        query = urlencode({"repo": repo, "branch": branch, "targetpath": target})
        events = await self.fetch(f"{self.base}/git-pull/api?{query}")
        last = _last_event(events.body)
        if last.get("phase") != "finished":
            raise AssertionError(f"nbgitpuller for {self.name}: {last.get('message', last)}")

    async def open(self, path):
        reply = await self.api(f"{self.base}/api/contents/{quote(path)}?content=1&type=notebook")
        return reply["content"]

    async def save(self, path, notebook):
        await self.api(f"{self.base}/api/contents/{quote(path)}", "PUT",
                       {"type": "notebook", "format": "json", "content": notebook})

    async def run_notebook(self, path, notebook, answers=None):
        """Start a kernel for `path` and run every code cell in order, with `answers`
        ({grade_id: source}) typed into those cells first. Returns a Run."""
        answers = answers or {}
        for cell in notebook["cells"]:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell["source"] = answers[grade_id]
        session = await self.api(f"{self.base}/api/sessions", "POST",
                                 {"path": path, "type": "notebook", "name": Path(path).name,
                                  "kernel": {"name": "python3"}})
        url = (self.hub_url.replace("http", "ws", 1) + f"{self.base}/api/kernels/{session['kernel']['id']}"
               f"/channels?session_id={uuid.uuid4().hex}")
        ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {self.token}"},
                                                 connect_timeout=self.timeout, request_timeout=self.timeout),
                                     max_message_size=64 * 2**20)
        try:
            result = Run(path, notebook)
            await _request(ws, "kernel_info_request", {}, self.timeout)
            result.started = time.monotonic()
            for cell in notebook["cells"]:
                if cell["cell_type"] == "code":
                    outputs = await _execute(ws, "".join(cell["source"]), self.timeout, result)
                    cell["outputs"] = outputs
                    result.outputs.append(outputs)
            result.finished = time.monotonic()
            return result
        finally:
            ws.close()


# -- the kernel protocol, over the server's websocket (JSON messages with a "channel") ---------

def _message(msg_type, content):
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "learner",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}


async def _request(ws, msg_type, content, timeout):
    msg = _message(msg_type, content)
    await ws.write_message(json.dumps(msg))
    while True:
        reply = await _read(ws, timeout)
        if reply.get("channel") == "shell" and reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply


async def _read(ws, timeout):
    raw = await asyncio.wait_for(ws.read_message(), timeout)
    if raw is None:
        raise AssertionError("the kernel's websocket closed")
    return json.loads(raw)


async def _execute(ws, code, timeout, run):
    """Run one cell; its outputs in nbformat's shape (streams merged, clear_output honoured)."""
    msg = _message("execute_request", {"code": code, "silent": False, "store_history": True,
                                       "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    msg_id = msg["header"]["msg_id"]
    await ws.write_message(json.dumps(msg))
    outputs, idle, replied, clear_next = [], False, False, False
    while not (idle and replied):
        reply = await _read(ws, timeout)
        if reply["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = reply["header"]["msg_type"], reply["content"]
        if reply.get("channel") == "shell" and kind == "execute_reply":
            replied = True
        elif kind == "status":
            idle = content.get("execution_state") == "idle"
        elif kind == "clear_output":
            clear_next = content.get("wait", False)
            outputs = [] if not clear_next else outputs
        elif kind in ("stream", "display_data", "execute_result", "error"):
            if clear_next:
                outputs, clear_next = [], False
            if run.first_output is None:
                run.first_output = time.monotonic()
            out = {"output_type": kind, **content}
            if kind == "stream" and outputs and outputs[-1]["output_type"] == "stream" \
                    and outputs[-1]["name"] == content["name"]:
                outputs[-1]["text"] += content["text"]
            else:
                outputs.append(out)
    return outputs


def _last_event(body):
    """The last `data: {...}` event of a server-sent event stream."""
    events = [line[5:].strip() for line in body.decode().splitlines() if line.startswith("data:")]
    return json.loads(events[-1]) if events else {}


async def _sleep(seconds):
    await asyncio.sleep(seconds)
