#!/usr/bin/env python3
"""Coalescing under load: N concurrent misses on one fresh key through Reprise.

Each trial uses a new key on the demo upstream's /test/cache, which answers after `delay_ms` and numbers its
requests in `x-request-number`. If Reprise coalesces, every client of a trial sees the same request number: the
upstream served the key once. Prints the upstream request count per trial and the latency of all clients.

usage: bench/coalesce.py --port 18081 [--clients 1000] [--trials 3] [--delay-ms 200]
Loopback only; bounded in count and time.
"""
import argparse
import asyncio
import statistics
import time
import uuid


async def one_request(port: int, path: str, timeout: float):
    started = time.perf_counter()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(-1), timeout)
    writer.close()
    elapsed = time.perf_counter() - started
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    number = None
    status = head.split(" ", 2)[1] if head.startswith("http/") else "?"
    for line in head.split("\r\n"):
        if line.startswith("x-request-number:"):
            number = int(line.split(":", 1)[1])
    return elapsed, number, status


async def trial(port: int, clients: int, delay_ms: int, timeout: float):
    key = uuid.uuid4().hex
    path = f"/test/cache?cc=max-age%3D600&delay_ms={delay_ms}&size=1024&k={key}"
    results = await asyncio.gather(*(one_request(port, path, timeout) for _ in range(clients)), return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    errors = len(results) - len(ok)
    latencies = sorted(r[0] * 1000 for r in ok)
    # The demo upstream numbers requests per path (not per query): distinct numbers = upstream requests.
    upstream = len({r[1] for r in ok if r[1] is not None})
    statuses = {}
    for r in ok:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    return upstream, latencies, errors, statuses


def pct(values, p):
    if not values:
        return float("nan")
    index = min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))
    return values[index]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=18081)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--delay-ms", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    print(f"coalescing: {args.clients} concurrent misses on one key, upstream answers after {args.delay_ms} ms")
    print("| trial | upstream requests | p50 ms | p99 ms | max ms | errors | statuses |")
    print("|------:|------------------:|-------:|-------:|-------:|-------:|:---------|")
    for index in range(args.trials):
        upstream, latencies, errors, statuses = await trial(args.port, args.clients, args.delay_ms, args.timeout)
        print(
            f"| {index + 1} | {upstream} | {pct(latencies, 50):.1f} | {pct(latencies, 99):.1f} | "
            f"{(latencies[-1] if latencies else float('nan')):.1f} | {errors} | {statuses} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
