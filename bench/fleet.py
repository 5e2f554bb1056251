#!/usr/bin/env python3
"""Purge propagation between two Reprise instances that share a Redis (fleet mode).

Each trial renames a cloned voice through the writer (PUT /api/v1/tts/clone/{id}, which fires the purge rule for the
voice list) and, as soon as that response has arrived, reads the voice list through the reader. The read is stale
when it does not show the new name: fleet mode promises zero. The reader's list is read before every trial, so it
sits in the reader's L1 when the write happens (the hard case: an L1 entry on another machine).

Prints write latency (client side), the writer's fan-out latency (its /stats: purge start to the last
acknowledgement), and the stale-read count.

usage: bench/fleet.py --writer 18581 --reader 18583 --writer-admin 18582 --token T [--trials 1000]
Loopback only; bounded in count.
"""
import argparse
import http.client
import json
import statistics
import time


def request(conn, method, path, body=None, headers=None):
    headers = dict(headers or {})
    if body is not None:
        body = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer", type=int, required=True)
    parser.add_argument("--reader", type=int, required=True)
    parser.add_argument("--writer-admin", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--trials", type=int, default=1000)
    args = parser.parse_args()

    key = {"xi-api-key": "bench-account"}
    writer = http.client.HTTPConnection("127.0.0.1", args.writer, timeout=10)
    reader = http.client.HTTPConnection("127.0.0.1", args.reader, timeout=10)
    status, _, body = request(writer, "POST", "/api/v1/tts/clone/create", {"name": "start"}, key)
    assert status == 200, status
    voice = json.loads(body)["voice_id"]

    stale = 0
    reader_hits = 0
    write_ms = []
    for trial in range(args.trials):
        status, headers, _ = request(reader, "GET", "/api/v1/tts/voices", headers=key)
        assert status == 200, status
        if "; hit" in headers.get("cache-status", ""):
            reader_hits += 1
        name = f"trial-{trial}"
        started = time.perf_counter()
        status, _, _ = request(writer, "PUT", f"/api/v1/tts/clone/{voice}", {"name": name}, key)
        write_ms.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        status, _, body = request(reader, "GET", "/api/v1/tts/voices", headers=key)
        assert status == 200, status
        if f'"{name}"'.encode() not in body:
            stale += 1

    admin = http.client.HTTPConnection("127.0.0.1", args.writer_admin, timeout=10)
    _, _, body = request(admin, "GET", "/stats", headers={"authorization": f"Bearer {args.token}"})
    redis = json.loads(body)["redis"]
    fanout = redis["purge_fanout_ms"]
    print(f"trials: {args.trials}; reader's list was an L1 hit before {reader_hits} of them")
    print(f"write through the writer (PUT, upstream + purge + fan-out), client side: "
          f"p50 {percentile(write_ms, 50):.2f} ms, p99 {percentile(write_ms, 99):.2f} ms, "
          f"mean {statistics.mean(write_ms):.2f} ms")
    print(f"fan-out (writer's /stats: L2 purge start to the last acknowledgement, last {fanout['samples']}): "
          f"p50 {fanout['p50']:.3f} ms, p99 {fanout['p99']:.3f} ms")
    print(f"acknowledgement timeouts: {redis['ack_timeouts']}")
    print(f"STALE READS: {stale} of {args.trials}")


if __name__ == "__main__":
    main()
