#!/usr/bin/env python3
"""The soak's load and its judge (bench/soak.sh starts the servers and calls this).

A mixed load of the children's-book app's calls through one Reprise in fleet mode: voice-list reads (app backend and
ElevenLabs), TTS and Gemini generations drawn from a pool of texts (repeats are hits) with some new ones, Kling task
submissions polled until they finish, voice clones created, renamed and deleted (each write fires a purge rule),
admin purges, requests with an injected upstream fault (x-demo-fault: a 5xx, a reset before the head, a reset in
the body) and clients that leave mid-response. Meanwhile: SIGHUP (with a changed config) and a Redis restart on a
schedule.

Phases: warm-up, then the capacity of this mix on this machine (closed loop, every worker as fast as it can, for
--capacity-seconds), then --minutes at --load (0.5) of that rate. Each minute: requests, unexpected errors, stale
reads, RSS and open fds of Reprise. At the end: the fds once the load stopped, by kind, and the final /stats.

Judged: an answer is unexpected when it is not what the request should get: 200 for a normal call; for an
injected fault the upstream's status passed through, or 502/504 (before a head), or a cut connection (after one).
A read is stale when it started after a write's response had arrived and does not show that write.
Exit status: 1 on any unexpected error, stale read or leak (fds not back to baseline; RSS growth >= 10% between
minute 5 and the end, judged only when the run is 10 minutes or longer).
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

WORDS = ("fox owl moon river lantern quiet forest stars bear honey rabbit garden whisper dragon small brave "
         "cloud morning story page tree night dream boat sea wind castle mouse cheese apple").split()


def text_for(n, words=9):
    rng = random.Random(n)
    return f"{n}: " + " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def kling_token(access_key, secret):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"iss": access_key, "exp": now + 1800, "nbf": now - 5}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


class Cut(Exception):
    """The connection was cut after the head (a truncated response)."""


class Client:
    """One keep-alive connection; reconnects after anything that leaves it unusable."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body). Raises Cut when the body was cut, OSError/HTTPException before a head."""
        headers = dict(headers or {})
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except Exception:
            self.close()
            raise
        try:
            data = response.read()
        except (http.client.IncompleteRead, ConnectionError, OSError) as error:
            self.close()
            raise Cut(f"{response.status} cut: {type(error).__name__}") from error
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data


class Worker:
    """One load process: THREADS threads sharing a token bucket, one clone writer, counters sent to the parent."""

    def __init__(self, index, args, rate, stop, queue):
        self.index, self.args, self.rate, self.stop, self.queue = index, args, rate, stop, queue
        self.lock = threading.Lock()
        self.counts = {"requests": 0, "unexpected": 0, "stale": 0, "expected_faults": 0, "left": 0, "reads_checked": 0}
        self.errors = []
        self.next_slot = time.monotonic()
        self.tts_key = f"soak-tts-{index}"
        self.gemini_key = f"soak-gemini-{index}"
        self.app_key = f"soak-app-{index}"
        self.rw_key = f"soak-rw-{index}"  # the clone writer's account: its reads are checked for staleness
        self.kling_access = f"soak-kling-{index}"
        self.committed = 0  # the highest rename whose response arrived
        self.voice_id = None
        self.deleted = set()  # clone ids deleted (response arrived): must not be listed again
        self.unique = 0

    # ---- bookkeeping

    def count(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def unexpected(self, what):
        with self.lock:
            self.counts["unexpected"] += 1
            if len(self.errors) < 20:
                self.errors.append(f"{time.strftime('%H:%M:%S')} {what}")

    def flush(self):
        with self.lock:
            counts, errors = dict(self.counts), list(self.errors)
            for key in self.counts:
                self.counts[key] = 0
            self.errors.clear()
        self.queue.put((self.index, counts, errors))

    def wait_turn(self):
        rate = self.rate.value
        if rate <= 0:
            return
        with self.lock:
            now = time.monotonic()
            self.next_slot = max(self.next_slot + 1.0 / rate, now - 1.0)
            slot = self.next_slot
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def new_text(self):
        with self.lock:
            self.unique += 1
            return text_for(10_000_000 * (self.index + 1) + self.unique + int(time.time() * 1000) % 1_000_000 * 100)

    def pooled_text(self):
        # Skewed: a few texts are hot (hits), the long tail cycles through the L1 budget.
        return text_for(int(random.paretovariate(1.1)) % self.args.pool)

    # ---- one call, judged

    def expect_ok(self, client, method, path, body=None, headers=None, what=None):
        self.count("requests")
        try:
            status, response_headers, data = client.request(method, path, body, headers)
        except Exception as error:
            self.unexpected(f"{what or method + ' ' + path}: {type(error).__name__}: {error}")
            return None
        if status != 200:
            self.unexpected(f"{what or method + ' ' + path}: {status} {data[:160]!r}")
            return None
        return response_headers, data

    def voices_read_checked(self, client):
        """The writer's account's list: it must show every rename and delete whose response arrived before."""
        committed, deleted = self.committed, set(self.deleted)
        result = self.expect_ok(client, "GET", "/api/v1/tts/voices", headers={"xi-api-key": self.rw_key})
        if result is None:
            return
        voices = json.loads(result[1])["voices"]
        self.count("reads_checked")
        listed = {v["voice_id"]: v["name"] for v in voices}
        stale = [v for v in deleted if v in listed]
        for name in listed.values():
            if name.startswith("rename-"):
                if int(name.split("-")[1]) < committed:
                    stale.append(name)
        if committed and not any(n.startswith("rename-") for n in listed.values()) and self.voice_id in listed:
            stale.append("renamed voice without its name")
        if stale:
            self.count("stale")
            headers = result[0]
            self.unexpected(f"stale read: committed rename-{committed}, listed {sorted(listed.values())[-3:]} "
                            f"{stale[:3]}; cache-status {headers.get('cache-status')!r}, age {headers.get('age')!r}")

    def op_app_voices(self, client):
        if random.random() < 0.5:
            self.voices_read_checked(client)
        else:
            self.expect_ok(client, "GET", "/api/v1/tts/voices", headers={"xi-api-key": self.app_key})

    def op_eleven_voices(self, client):
        path = random.choice(["/elevenlabs/v1/voices", "/elevenlabs/v2/voices", "/elevenlabs/v1/models"])
        self.expect_ok(client, "GET", path, headers={"xi-api-key": self.tts_key})

    def op_tts(self, client):
        text = self.new_text() if random.random() < self.args.new_share else self.pooled_text()
        stream = random.random() < 0.3
        path = f"/elevenlabs/v1/text-to-speech/{self.args.voice}" + ("/stream" if stream else "")
        body = {"text": text, "model_id": "eleven_multilingual_v2"}
        self.expect_ok(client, "POST", path, body, {"xi-api-key": self.tts_key}, what=f"POST {path}")

    def op_gemini(self, client):
        text = self.new_text() if random.random() < self.args.new_share else self.pooled_text()
        body = {"contents": [{"role": "user", "parts": [{"text": "Write one line for a picture book: " + text}]}],
                "generationConfig": {"temperature": 0.7}}
        model = random.choice(["v1beta", "v1"])
        path = f"/gemini/{model}/models/gemini-2.0-flash:generateContent"
        self.expect_ok(client, "POST", path, body, {"x-goog-api-key": self.gemini_key})

    def op_kling(self, client):
        auth = lambda: {"authorization": "Bearer " + kling_token(self.kling_access, self.args.kling_secret)}
        result = self.expect_ok(client, "POST", "/kling/v1/images/generations",
                                {"prompt": "a fox reading to an owl, " + self.pooled_text(), "n": 1}, auth())
        if result is None:
            return
        task = json.loads(result[1])["data"]["task_id"]
        for poll in range(6):
            self.wait_turn()
            result = self.expect_ok(client, "GET", f"/kling/v1/images/generations/{task}", headers=auth())
            if result is None:
                return
            data = json.loads(result[1])
            if data.get("code") != 0:
                self.unexpected(f"kling poll: {result[1][:160]!r}")
                return
            if data["data"]["task_status"] == "succeed" and poll >= 3:
                return  # the poll after "succeed" is answered from the cache

    def op_fault(self, client):
        """A request with an injected upstream fault, on a key no other request shares (nothing coalesces on it)."""
        fault = random.choice(["status=500", "status=503", "reset", "reset-body"])
        text = self.new_text()
        if random.random() < 0.5:
            path = f"/elevenlabs/v1/text-to-speech/{self.args.voice}"
            body, headers = {"text": text, "model_id": "eleven_multilingual_v2"}, {"xi-api-key": self.tts_key}
        else:
            path = "/gemini/v1beta/models/gemini-2.0-flash:generateContent"
            body, headers = {"contents": [{"parts": [{"text": text}]}]}, {"x-goog-api-key": self.gemini_key}
        headers["x-demo-fault"] = fault
        self.count("requests")
        try:
            status, _, data = client.request("POST", path, body, headers)
        except Cut as cut:
            if fault == "reset-body":
                self.count("expected_faults")
            else:
                self.unexpected(f"fault {fault}: {cut}")
            return
        except Exception as error:
            self.unexpected(f"fault {fault}: no answer: {type(error).__name__}: {error}")
            return
        expected = {502, 504} | ({int(fault[7:])} if fault.startswith("status=") else set())
        if status in expected:
            self.count("expected_faults")
        else:
            self.unexpected(f"fault {fault} on {path}: {status} {data[:120]!r}")

    def op_leave(self, _client):
        """A client that leaves mid-response: a big download or a generation, closed (sometimes reset) early."""
        self.count("requests")
        self.count("left")
        if random.random() < 0.5:
            target = f"/test/large?bytes={random.randint(1, 8) << 20}&n={random.random()}"
            request = f"GET {target} HTTP/1.1\r\nhost: soak\r\nxi-api-key: soak-leaver\r\n\r\n".encode()
        else:
            body = json.dumps({"text": self.new_text() * 20, "model_id": "eleven_multilingual_v2"}).encode()
            request = (f"POST /elevenlabs/v1/text-to-speech/{self.args.voice}/stream HTTP/1.1\r\nhost: soak\r\n"
                       f"xi-api-key: soak-leaver-{self.index}\r\ncontent-type: application/json\r\n"
                       f"content-length: {len(body)}\r\n\r\n").encode() + body
        sock = socket.create_connection(("127.0.0.1", self.args.port), timeout=10)
        try:
            sock.sendall(request)
            want = random.choice([0, 1, 4096, 100_000])
            got = 0
            while got < want:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += len(chunk)
            if random.random() < 0.5:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        finally:
            sock.close()

    OPS = [("op_app_voices", 25), ("op_eleven_voices", 15), ("op_tts", 20), ("op_gemini", 18), ("op_kling", 6),
           ("op_fault", 4), ("op_leave", 2)]

    # ---- the clone writer: renames (each fires the purge rule), sometimes a create and a delete

    def writer(self):
        client, reader = Client(self.args.port), Client(self.args.port)
        key = {"xi-api-key": self.rw_key}
        result = None
        while result is None and not self.stop.is_set():
            result = self.expect_ok(client, "POST", "/api/v1/tts/clone/create", {"name": "rename-0"}, key)
        if result is None:
            return
        self.voice_id = json.loads(result[1])["voice_id"]
        n = 0
        while not self.stop.is_set():
            self.wait_turn()
            n += 1
            if n % 25 == 0:
                created = self.expect_ok(client, "POST", "/api/v1/tts/clone/create", {"name": f"extra-{n}"}, key)
                if created is not None:
                    extra = json.loads(created[1])["voice_id"]
                    self.voices_read_checked(reader)
                    if self.expect_ok(client, "DELETE", f"/api/v1/tts/clone/{extra}", headers=key) is not None:
                        self.deleted.add(extra)
            elif self.expect_ok(client, "PUT", f"/api/v1/tts/clone/{self.voice_id}", {"name": f"rename-{n}"},
                                key) is not None:
                self.committed = n
            self.voices_read_checked(reader)
            time.sleep(self.args.write_pause)

    def loop(self):
        client = Client(self.args.port)
        names, weights = zip(*[(n, 0 if n == "op_fault" and not self.args.faults else w) for n, w in self.OPS])
        while not self.stop.is_set():
            self.wait_turn()
            getattr(self, random.choices(names, weights)[0])(client)
        client.close()

    def run(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(self.args.threads)]
        threads.append(threading.Thread(target=self.writer, daemon=True))
        for thread in threads:
            thread.start()
        while not self.stop.is_set():
            self.stop.wait(1.0)
            self.flush()
        for thread in threads:
            thread.join(timeout=35)
        self.flush()


def worker_main(index, args, rate, stop, queue):
    Worker(index, args, rate, stop, queue).run()


# ---------------------------------------------------------------- the parent: schedule, samples, verdict

def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_kinds(pid, args):
    """Open fds of Reprise by kind: client connections, upstream, redis, listeners, other."""
    inodes = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        inodes[target] = inodes.get(target, 0) + 1
    sockets = {}
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as lines:
                next(lines)
                for line in lines:
                    parts = line.split()
                    local_port = int(parts[1].split(":")[1], 16)
                    remote_port = int(parts[2].split(":")[1], 16)
                    sockets[f"socket:[{parts[9]}]"] = (local_port, remote_port, parts[3])
        except FileNotFoundError:
            pass
    kinds = {"total": 0, "clients": 0, "upstream": 0, "redis": 0, "listeners": 0, "other": 0}
    others = {}
    for target, n in inodes.items():
        kinds["total"] += n
        local, remote, state = sockets.get(target, (None, None, None))
        if state == "0A":
            kinds["listeners"] += n
        elif remote == args.upstream_port:
            kinds["upstream"] += n
        elif remote == args.redis_port:
            kinds["redis"] += n
        elif local in (args.port, args.admin_port):
            kinds["clients"] += n
        else:
            kinds["other"] += n
            name = target.split(":[")[0] if target.startswith(("socket:", "pipe:")) else target
            others[name] = others.get(name, 0) + n
    kinds["other_kinds"] = others
    return kinds


def admin(args, method, path, body=None):
    client = Client(args.admin_port)
    try:
        return client.request(method, path, body, {"authorization": f"Bearer {args.token}"})
    finally:
        client.close()


class Soak:
    def __init__(self, args):
        self.args = args
        self.queue = mp.Queue()
        self.stop = mp.Event()
        self.rates = [mp.Value("d", 0.0) for _ in range(args.processes)]
        self.totals = {"requests": 0, "unexpected": 0, "stale": 0, "expected_faults": 0, "left": 0,
                       "reads_checked": 0}
        self.window = dict.fromkeys(self.totals, 0)
        self.errors = []
        self.parent_unexpected = 0

    def drain(self):
        while True:
            try:
                _, counts, errors = self.queue.get_nowait()
            except Exception:
                return
            for key, value in counts.items():
                self.totals[key] += value
                self.window[key] += value
            for error in errors:
                if len(self.errors) < 30:
                    self.errors.append(error)

    def set_rate(self, total):
        for rate in self.rates:
            rate.value = total / len(self.rates)

    def restart_redis(self):
        with open(self.args.redis_pid_file) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        time.sleep(1.0)
        redis = subprocess.Popen(self.args.redis_cmd, shell=True, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        with open(self.args.redis_pid_file, "w") as f:
            f.write(str(redis.pid))

    def reload(self, n):
        # A changed file each time, so that every SIGHUP swaps a whole configuration.
        with open(self.args.conf) as f:
            text = f.read()
        old, new = ('coalesce_timeout = "10s"', 'coalesce_timeout = "9s"') if n % 2 == 0 else \
            ('coalesce_timeout = "9s"', 'coalesce_timeout = "10s"')
        with open(self.args.conf, "w") as f:
            f.write(text.replace(old, new))
        os.kill(self.args.pid, signal.SIGHUP)

    def purge(self, n):
        bodies = [("POST", "/purge", {"tags": ["voices"]}), ("PURGE", "/elevenlabs/v1/voices", None),
                  ("POST", "/purge", {"prefixes": ["/gemini/v1beta/models"]}),
                  ("POST", "/purge", {"urls": ["/elevenlabs/v1/models"]})]
        method, path, body = bodies[n % len(bodies)]
        try:
            status, _, data = admin(self.args, method, path, body)
        except Exception as error:
            status, data = 0, repr(error).encode()
        self.totals["requests"] += 1
        self.window["requests"] += 1
        if status != 200:
            self.parent_unexpected += 1
            self.errors.append(f"admin {method} {path}: {status} {data[:120]!r}")

    def run(self):
        args = self.args
        processes = [mp.Process(target=worker_main, args=(i, args, self.rates[i], self.stop, self.queue))
                     for i in range(args.processes)]
        # The idle baseline of fds: every kind of call made once (so that whatever Reprise opens lazily is open),
        # the client connections closed, then counted.
        probe = Worker(99, args, mp.Value("d", 0.0), self.stop, mp.Queue())
        for name, _ in Worker.OPS:
            if name == "op_fault" and not args.faults:
                continue
            client = Client(args.port)
            getattr(probe, name)(client)
            client.close()
        # And one reload: whatever a reload opens once (and keeps) is part of the baseline too.
        self.reload(1)
        time.sleep(2)
        args.baseline = fd_kinds(args.pid, args)
        if probe.counts["unexpected"]:
            print(f"warm-up calls failed: {probe.errors}", flush=True)
            return 1
        # Warm-up at a low rate.
        self.set_rate(20)
        for process in processes:
            process.start()
        time.sleep(args.warmup_seconds)
        self.drain()
        # Capacity: every worker as fast as it can.
        cpu0, started = self.cpu_ticks(), time.monotonic()
        before = self.totals["requests"]
        self.set_rate(0)
        time.sleep(args.capacity_seconds)
        self.drain()
        elapsed = time.monotonic() - started
        capacity = (self.totals["requests"] - before) / elapsed
        reprise_cpu = (self.cpu_ticks() - cpu0) / os.sysconf("SC_CLK_TCK") / elapsed
        target = capacity * args.load
        self.set_rate(target)
        # When Reprise used well under the machine's CPUs, the load generator (Python, on the same cores) was the
        # limit: Reprise's own capacity is then about rate / (its share of the CPUs), which is printed too.
        reprise_capacity = capacity * os.cpu_count() / max(reprise_cpu, 0.01)
        print(f"capacity of this mix on this machine: {capacity:.0f} req/s (closed loop, {args.processes} processes "
              f"x {args.threads + 1} threads; Reprise used {reprise_cpu * 100:.0f}% of a core meanwhile, so alone on "
              f"the {os.cpu_count()} CPUs it would serve about {reprise_capacity:.0f} req/s); "
              f"load: {target:.0f} req/s ({args.load:.0%} of the measured rate)", flush=True)
        time.sleep(2)
        self.drain()
        self.window = dict.fromkeys(self.totals, 0)
        base_totals = dict(self.totals)

        seconds = args.minutes * 60
        reload_period = 60 if args.minutes >= 2 else 20
        redis_period = 300 if args.minutes >= 10 else max(30, seconds // 2)
        events = sorted([(t, "reload") for t in range(reload_period // 2, seconds, reload_period)] +
                        [(t, "redis") for t in range(redis_period // 2, seconds, redis_period)] +
                        [(t, "purge") for t in range(3, seconds, args.purge_every)] +
                        [(t, "sample") for t in range(60, seconds + 1, 60)])
        print("| minute | requests | req/s | unexpected | stale | faults (expected) | left | RSS MiB | fds "
              "(clients/upstream/redis/other) | events |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        start = time.monotonic()
        samples = []
        reloads = redis_restarts = purges = 0
        minute_events = []
        for at, kind in events:
            delay = start + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if kind == "reload":
                self.reload(reloads)
                reloads += 1
                minute_events.append("HUP")
            elif kind == "redis":
                self.restart_redis()
                redis_restarts += 1
                minute_events.append("redis restart")
            elif kind == "purge":
                self.purge(purges)
                purges += 1
            else:
                self.drain()
                rss = proc_rss_kib(args.pid)
                fds = fd_kinds(args.pid, args)
                samples.append((rss, fds))
                w = self.window
                print(f"| {at // 60} | {w['requests']} | {w['requests'] / 60:.0f} | {w['unexpected']} | {w['stale']} | "
                      f"{w['expected_faults']} | {w['left']} | {rss / 1024:.1f} | {fds['total']} "
                      f"({fds['clients']}/{fds['upstream']}/{fds['redis']}/{fds['other']}) | {', '.join(minute_events) or '-'} |",
                      flush=True)
                self.window = dict.fromkeys(self.totals, 0)
                minute_events = []
        self.stop.set()
        for process in processes:
            process.join(timeout=60)
        self.drain()
        return self.verdict(samples, base_totals, capacity, target, reloads, redis_restarts, purges)

    def cpu_ticks(self):
        with open(f"/proc/{self.args.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def verdict(self, samples, base_totals, capacity, target, reloads, redis_restarts, purges):
        args = self.args
        # Idle: every client connection closed; Reprise's side of the leavers' sockets too, within a few seconds.
        deadline = time.monotonic() + 15
        while True:
            idle = fd_kinds(args.pid, args)
            if idle["clients"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        baseline = args.baseline
        failures = []
        unexpected = self.totals["unexpected"] + self.parent_unexpected
        stale = self.totals["stale"]
        run_requests = self.totals["requests"] - base_totals["requests"]
        print()
        print(f"requests: {self.totals['requests']} ({run_requests} in the {args.minutes}-minute run at "
              f"{target:.0f} req/s target, {run_requests / (args.minutes * 60):.0f} req/s achieved; capacity "
              f"{capacity:.0f} req/s); reads checked for staleness: {self.totals['reads_checked']}; injected faults "
              f"answered as expected: {self.totals['expected_faults']}; clients that left mid-response: "
              f"{self.totals['left']}; SIGHUP reloads: {reloads}; Redis restarts: {redis_restarts}; admin purges: "
              f"{purges}")
        print(f"UNEXPECTED ERRORS: {unexpected}")
        for error in self.errors[:30]:
            print(f"  {error}")
        print(f"STALE READS: {stale}")
        if unexpected:
            failures.append(f"{unexpected} unexpected errors")
        if stale:
            failures.append(f"{stale} stale reads")
        print(f"fds: baseline (idle, after warm-up) {baseline}; at the end, idle: {idle}")
        # A leak is a socket or file that stays: client connections all closed, Redis back to its two connections
        # (commands, subscription), no other fd added; idle pooled upstream connections are kept by design, at most
        # one per concurrent call.
        limit_upstream = args.processes * (args.threads + 1) * 2 + 8
        if idle["clients"] != 0:
            failures.append(f"{idle['clients']} client connections still open when idle")
        if idle["other"] + idle["listeners"] != baseline["other"] + baseline["listeners"]:
            failures.append(f"non-socket fds {idle['other'] + idle['listeners']} != baseline "
                            f"{baseline['other'] + baseline['listeners']}")
        if idle["redis"] > max(baseline["redis"], 2):
            failures.append(f"{idle['redis']} Redis connections (baseline {baseline['redis']})")
        if idle["upstream"] > limit_upstream:
            failures.append(f"{idle['upstream']} upstream connections idle (bound {limit_upstream})")
        if args.minutes >= 10 and len(samples) > 5:
            rss5 = samples[4][0]
            peak = max(s[0] for s in samples[5:])
            growth = (peak - rss5) / rss5
            print(f"RSS: minute 5 {rss5 / 1024:.1f} MiB, peak after it {peak / 1024:.1f} MiB, final "
                  f"{samples[-1][0] / 1024:.1f} MiB: growth {growth:+.1%} (goal < 10%)")
            if growth >= 0.10:
                failures.append(f"RSS grew {growth:.1%} after minute 5")
        else:
            print(f"RSS: not judged (a {args.minutes}-minute run is shorter than the 5-minute warm-up plus a trend; "
                  f"leaks judged by fds only); samples: {[round(s[0] / 1024, 1) for s in samples]} MiB")
        status, _, stats = admin(args, "GET", "/stats")
        print(f"final /stats ({status}):")
        print(json.dumps(json.loads(stats), indent=None, sort_keys=False))
        print(f"VERDICT: {'FAIL: ' + '; '.join(failures) if failures else 'PASS'}")
        return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--admin-port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--redis-cmd", required=True)
    parser.add_argument("--redis-pid-file", required=True)
    parser.add_argument("--pid", type=int, required=True, help="Reprise's pid")
    parser.add_argument("--conf", required=True, help="Reprise's config file (rewritten before each SIGHUP)")
    parser.add_argument("--token", required=True)
    parser.add_argument("--kling-secret", default="demo-secret")
    parser.add_argument("--voice", default="21m00Tcm4TlvDq8ikWAM")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--load", type=float, default=0.5)
    parser.add_argument("--pool", type=int, default=400, help="texts that repeat")
    parser.add_argument("--new-share", type=float, default=0.1, help="share of generations with a new text")
    parser.add_argument("--write-pause", type=float, default=0.05)
    parser.add_argument("--purge-every", type=int, default=7, help="seconds between admin purges")
    parser.add_argument("--no-faults", dest="faults", action="store_false",
                        help="no injected faults (an upstream without x-demo-fault)")
    parser.add_argument("--warmup-seconds", type=float, default=5)
    parser.add_argument("--capacity-seconds", type=float, default=20)
    args = parser.parse_args()
    sys.exit(Soak(args).run())


if __name__ == "__main__":
    main()
