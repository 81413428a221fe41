"""Run code in a learner's kernel through their single-user server, as JupyterLab does.

The same REST + websocket protocol the browser uses (jupyter_server's legacy JSON channel
messages), so the load test exercises the proxy, the hub's auth and the server, not a
shortcut around them. tornado is JupyterHub's own dependency.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect


class KernelDiedError(ConnectionError):
    """The kernel process ended (killed, or out of memory) during an execution."""


@dataclasses.dataclass
class Reply:
    """What one execution printed, and the error it raised (empty when it succeeded)."""

    stdout: str
    error: str
    seconds: float


async def call(method: str, url: str, token: str, body: Any = None,
               timeout: float = 120.0) -> tuple[int, Any]:
    """One REST call with a token; returns the status and the decoded JSON (or None)."""
    request = HTTPRequest(url, method=method, headers={"Authorization": f"token {token}"},
                          body=None if body is None else json.dumps(body),
                          allow_nonstandard_methods=True, request_timeout=timeout)
    response = await AsyncHTTPClient().fetch(request, raise_error=False)
    text = response.body.decode() if response.body else ""
    try:
        return response.code, json.loads(text) if text else None
    except json.JSONDecodeError:
        return response.code, None


class Kernel:
    """A fresh kernel in a learner's server, opened on one of their notebooks."""

    def __init__(self, server_url: str, token: str, notebook: str) -> None:
        self.server_url, self.token, self.notebook = server_url, token, notebook
        self.kernel_id = ""
        self.socket: WebSocketClientConnection | None = None
        self._session = f"eventlab-load-{notebook}"
        self._count = 0

    async def open(self) -> None:
        # The kernels API, not a session: a session for a notebook path is reused by the
        # server, so a "fresh" kernel could be the previous (even a dead) one.
        folder = self.notebook.rpartition("/")[0]
        code, model = await call("POST", self.server_url + "api/kernels", self.token,
                                 {"name": "python3", "path": folder})
        if code != 201:
            raise RuntimeError(f"could not start a kernel for {self.notebook}: HTTP {code}")
        self.kernel_id = model["id"]
        ws_url = (self.server_url.replace("http", "ws", 1)
                  + f"api/kernels/{self.kernel_id}/channels?session_id={quote(self._session)}")
        self.socket = await websocket_connect(HTTPRequest(
            ws_url, headers={"Authorization": f"token {self.token}"}))

    async def execute(self, code: str, timeout: float = 300.0) -> Reply:
        """Run `code`; wait for both its reply and the kernel going idle again."""
        if self.socket is None:
            raise RuntimeError("open() the kernel first")
        self._count += 1
        msg_id = f"{self._session}-{self._count}"
        self.socket.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self._session,
                       "username": "eventlab-load", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        started = time.monotonic()
        stdout, error = [], ""
        replied = idle = False
        async with asyncio.timeout(timeout):
            while not (replied and idle):
                raw = await self.socket.read_message()
                if raw is None:
                    raise ConnectionError(f"the kernel's websocket closed while running {msg_id}")
                msg = json.loads(raw)
                kind, content = msg["header"]["msg_type"], msg["content"]
                if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
                    # The server announces a dead kernel without a parent: stop waiting.
                    raise KernelDiedError(f"the kernel died while running {msg_id}")
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if kind == "stream" and content.get("name") == "stdout":
                    stdout.append(content["text"])
                elif kind == "execute_reply":
                    replied = True
                    if content.get("status") != "ok":
                        error = f"{content.get('ename')}: {content.get('evalue')}"
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
        return Reply("".join(stdout), error, time.monotonic() - started)

    async def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        if self.kernel_id:
            await call("DELETE", self.server_url + f"api/kernels/{self.kernel_id}", self.token)
            self.kernel_id = ""
