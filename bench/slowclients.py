#!/usr/bin/env python3
"""Slow and idle clients against one Reprise (bench/slowclients.sh runs it).

  slowclients.py slow PORT COUNT INTERVAL     COUNT connections that each send a request head one byte every
                                              INTERVAL seconds; prints, as JSON, how many were closed by the server
                                              and when the last one was closed (seconds after its first byte).
  slowclients.py idle PORT COUNT PIDFILE      COUNT kept-alive connections that each make one request and then sit
                                              idle; prints the server's RSS before and with them, as JSON.
"""
import asyncio
import json
import sys
import time

HEAD = b"GET /bench/1024 HTTP/1.1\r\nHost: bench\r\nX-Slow: " + b"s" * 64 + b"\r\n\r\n"


async def slow_one(port, interval, results, started):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        results.append(("refused", 0.0))
        return
    first = None
    try:
        for byte in HEAD:
            writer.write(bytes([byte]))
            await writer.drain()
            if first is None:
                first = time.monotonic()
                started.append(first)
            try:
                data = await asyncio.wait_for(reader.read(4096), timeout=interval)
                # The server answered (408) or closed: this connection is done.
                while data:
                    data = await reader.read(4096)
                results.append(("closed", time.monotonic() - first))
                return
            except asyncio.TimeoutError:
                continue
        results.append(("completed", time.monotonic() - first))
    except (ConnectionResetError, BrokenPipeError):
        results.append(("closed", time.monotonic() - (first or time.monotonic())))
    finally:
        writer.close()


async def slow(port, count, interval):
    results, started = [], []
    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(slow_one(port, interval, results, started)))
        await asyncio.sleep(0.0005)
    await asyncio.gather(*tasks)
    closed = [t for kind, t in results if kind == "closed"]
    print(json.dumps({
        "connections": count,
        "closed_by_server": len(closed),
        "refused": sum(1 for kind, _ in results if kind == "refused"),
        "completed_head": sum(1 for kind, _ in results if kind == "completed"),
        "max_seconds_to_close": round(max(closed), 2) if closed else None,
        "median_seconds_to_close": round(sorted(closed)[len(closed) // 2], 2) if closed else None,
    }))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def idle(port, count, pid):
    before = rss_kib(pid)
    connections = []
    for index in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /bench/1024 HTTP/1.1\r\nHost: bench\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        connections.append((reader, writer))
    await asyncio.sleep(2)
    during = rss_kib(pid)
    for _, writer in connections:
        writer.close()
    print(json.dumps({
        "connections": count,
        "rss_before_kib": before,
        "rss_with_idle_kib": during,
        "bytes_per_connection": round((during - before) * 1024 / count),
    }))


def main():
    mode, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if mode == "slow":
        asyncio.run(slow(port, count, float(sys.argv[4])))
    elif mode == "idle":
        pid = int(open(sys.argv[4]).read().strip()) if not sys.argv[4].isdigit() else int(sys.argv[4])
        asyncio.run(idle(port, count, pid))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
