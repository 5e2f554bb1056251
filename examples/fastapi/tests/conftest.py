"""Starts the demo upstream and a real Reprise (the repository's proxy.conf, upstreams pointed at the demo) once per
session, and hands the tests their addresses and a few probes.

REPRISE_BIN names the reprise executable (run-tests.sh builds it); the demo upstream is `reprise upstream`, run with
--gzip-without-vary, as Gemini's front end answers (gzip for clients that ask, no `Vary: Accept-Encoding`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent
ROOT = EXAMPLE.parent.parent
sys.path.insert(0, str(EXAMPLE))

ADMIN_TOKEN = "sdk-suite-admin-token-0123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shipped_config(upstream: str, listen: int, admin: int) -> str:
    """The repository's proxy.conf with every upstream at the demo, loopback listeners and no access log."""
    lines = []
    for line in (ROOT / "proxy.conf").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("listen ="):
            line = f'listen = "127.0.0.1:{listen}"'
        elif stripped.startswith("admin_listen ="):
            line = f'admin_listen = "127.0.0.1:{admin}"'
        elif stripped.startswith("url ="):
            line = f'url = "{upstream}"'
        elif stripped.startswith("access ="):
            line = 'access = "off"'
        lines.append(line)
    return "\n".join(lines) + "\n"


def wait_for_line(process: subprocess.Popen, pattern: str, timeout: float = 60) -> re.Match:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError(f"exited with {process.returncode} before printing {pattern!r}: {''.join(seen)}")
            continue
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            # Keep reading what it prints later (warnings), so that a full pipe never blocks it.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return match
    raise RuntimeError(f"no line matching {pattern!r} within {timeout}s: {''.join(seen)}")


@dataclass
class Stack:
    reprise: str
    admin: str
    demo: str

    def counts(self) -> dict[str, int]:
        """How many requests reached the demo upstream, by "METHOD /path"."""
        with urllib.request.urlopen(f"{self.demo}/test/counts") as answer:
            return json.loads(answer.read())["requests"]

    def count(self, key: str) -> int:
        return self.counts().get(key, 0)

    def admin_call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.admin}{path}", data=data, method=method, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read())

    def stats(self) -> dict:
        return self.admin_call("GET", "/stats")

    def purge_keys(self, *ids: str) -> dict:
        return self.admin_call("POST", "/purge", {"keys": list(ids)})


@pytest.fixture(scope="session")
def stack():
    binary = os.environ.get("REPRISE_BIN") or str(ROOT / ".build" / "debug" / "reprise")
    if not os.access(binary, os.X_OK):
        pytest.exit(f"no reprise executable at {binary}: run examples/fastapi/run-tests.sh, or set REPRISE_BIN", 2)
    processes: list[subprocess.Popen] = []
    workdir = tempfile.mkdtemp(prefix="reprise-sdk-")
    try:
        demo = subprocess.Popen(
            [binary, "upstream", "--listen", "127.0.0.1:0", "--gzip-without-vary"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        processes.append(demo)
        demo_port = int(wait_for_line(demo, r"listening on [\d.]+:(\d+)").group(1))

        listen, admin = free_port(), free_port()
        config = Path(workdir) / "proxy.conf"
        config.write_text(shipped_config(f"http://127.0.0.1:{demo_port}", listen, admin))
        # KLING_SECRET_KEY: the demo upstream signs and checks Kling tokens with "demo-secret"; Reprise verifies them.
        environment = dict(
            os.environ, REPRISE_ADMIN_TOKEN=ADMIN_TOKEN, REPRISE_LOG_LEVEL="warning", KLING_SECRET_KEY="demo-secret"
        )
        proxy = subprocess.Popen(
            [binary, "--config", str(config), "--threads", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
        )
        processes.append(proxy)
        wait_for_line(proxy, r"listening on port (\d+)")
        yield Stack(
            reprise=f"http://127.0.0.1:{listen}",
            admin=f"http://127.0.0.1:{admin}",
            demo=f"http://127.0.0.1:{demo_port}",
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


_unique = iter(range(1, 1_000_000))


@pytest.fixture
def unique() -> str:
    """A token no other test uses: API keys and prompts are per test, so tests never share an entry."""
    return f"{os.getpid()}-{next(_unique)}-{time.monotonic_ns()}"
