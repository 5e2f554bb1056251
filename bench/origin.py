#!/usr/bin/env python3
"""Stand-in origin for bench/run.sh, used only when `reprise upstream` is not available.

Serves the same two paths as the DemoUpstream benchmark routes:

  GET /bench/{bytes}                  body of {bytes} bytes, Cache-Control: public, max-age=3600,
                                      a strong ETag (If-None-Match answers 304)
  GET /test/cache?cc=no-store&size=N  body of N bytes with Cache-Control taken from `cc`
  GET /healthz                        "ok"

HTTP/1.1 with keep-alive, one asyncio event loop, bodies preallocated once per size.
Listens on 127.0.0.1 only.
"""

import argparse
import asyncio
import email.utils
import sys
import time
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 64 * 1024 * 1024
MAX_HEAD = 64 * 1024

_bodies: dict[int, bytes] = {}
_date = [0, b""]


def body_of(size: int) -> bytes:
    b = _bodies.get(size)
    if b is None:
        pattern = b"reprise-bench-origin-"
        b = (pattern * (size // len(pattern) + 1))[:size]
        if len(_bodies) < 256:
            _bodies[size] = b
    return b


def http_date() -> bytes:
    now = int(time.time())
    if _date[0] != now:
        _date[0] = now
        _date[1] = email.utils.formatdate(now, usegmt=True).encode()
    return _date[1]


def parse_size(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    if not text.isdigit():
        return None
    n = int(text)
    return n if n <= MAX_BODY else None


class OriginProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.skip = 0  # request body bytes still to discard

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.transport is not None and not self.transport.is_closing():
            if self.skip:
                n = min(self.skip, len(self.buf))
                self.buf = self.buf[n:]
                self.skip -= n
                if self.skip:
                    return
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEAD:
                    self.respond(431, b"", {}, close=True)
                return
            head = self.buf[:end].decode("latin-1")
            self.buf = self.buf[end + 4:]
            self.handle(head)

    def handle(self, head: str) -> None:
        lines = head.split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            self.respond(400, b"bad request line\n", {}, close=True)
            return
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        conn = headers.get("connection", "").lower()
        close = "close" in conn or (version == "HTTP/1.0" and "keep-alive" not in conn)
        if headers.get("content-length", "0").isdigit():
            self.skip = int(headers.get("content-length", "0"))
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self.respond(501, b"chunked request bodies not supported\n", {}, close=True)
            return
        head_only = method == "HEAD"
        if method not in ("GET", "HEAD"):
            self.respond(405, b"method not allowed\n", {"Allow": "GET, HEAD"}, close, head_only)
            return

        url = urlsplit(target)
        path = url.path
        if path.startswith("/bench/"):
            size = parse_size(path[len("/bench/"):], 0)
            if size is None:
                self.respond(404, b"bad size\n", {}, close, head_only)
                return
            etag = f'"bench-{size}"'
            extra = {"Cache-Control": "public, max-age=3600", "ETag": etag}
            inm = headers.get("if-none-match")
            if inm is not None and (inm == "*" or etag in [t.strip() for t in inm.split(",")]):
                self.respond(304, b"", extra, close, head_only=True)
                return
            self.respond(200, body_of(size), extra, close, head_only)
        elif path == "/test/cache":
            q = parse_qs(url.query)
            size = parse_size(q.get("size", [None])[0], 1024)
            if size is None:
                self.respond(400, b"bad size\n", {}, close, head_only)
                return
            cc = q.get("cc", ["no-store"])[0]
            self.respond(200, body_of(size), {"Cache-Control": cc}, close, head_only)
        elif path == "/healthz":
            self.respond(200, b"ok\n", {"Cache-Control": "no-store"}, close, head_only)
        else:
            self.respond(404, b"not found\n", {}, close, head_only)

    def respond(self, status: int, body: bytes, extra: dict[str, str], close: bool,
                head_only: bool = False) -> None:
        assert self.transport is not None
        reason = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
                  405: "Method Not Allowed", 431: "Request Header Fields Too Large",
                  501: "Not Implemented"}.get(status, "Status")
        parts = [f"HTTP/1.1 {status} {reason}\r\n".encode(), b"Date: ", http_date(), b"\r\n",
                 b"Server: reprise-bench-origin\r\n"]
        if status != 304:
            parts.append(b"Content-Type: application/octet-stream\r\n")
            parts.append(f"Content-Length: {len(body)}\r\n".encode())
        for k, v in extra.items():
            parts.append(f"{k}: {v}\r\n".encode())
        if close:
            parts.append(b"Connection: close\r\n")
        parts.append(b"\r\n")
        self.transport.write(b"".join(parts))
        if not head_only and status != 304 and body:
            self.transport.write(body)
        if close:
            self.transport.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:18080", help="host:port (default %(default)s)")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        sys.exit("origin.py: refusing to listen on anything but 127.0.0.1")
    for size in (1024, 32 * 1024, 512 * 1024):
        body_of(size)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(OriginProtocol, "127.0.0.1", int(port), backlog=1024,
                                      reuse_address=True)
    print(f"origin.py listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
