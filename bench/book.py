#!/usr/bin/env python3
"""The book-creation workload replayed through one or more Reprise instances (bench/book.sh starts them).

Each user makes one narrated book the way the app does: reads the voice list (three times), asks Gemini for the
story and for one illustration prompt per page, has ElevenLabs read every page (users alternate plain and streamed
TTS), submits a Kling illustration and polls it until it is done and twice more. A few users clone a voice first and
then read the list again. Themes and voices follow a Zipf law, so popular books are asked for by many users, some at
the same moment. Every request of a user goes to the next instance in turn (--spread alternate) or all to one
(--spread sticky), as a load balancer without affinity would send them.

Per kind it reports requests, upstream calls (counted by the demo upstream), the calls a correct per-key cache must
make (one per key; per Kling task the polls until it is done; for the voice list one per write plus one), and the
share of the avoidable calls that were avoided. Also: stale reads (a voice list read after the user's own clone that
lacks it) and wrong bodies (a cached or collapsed answer whose body no upstream answer for its key had).
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

ELEVEN_KEY = "book-eleven-key"
GEMINI_KEY = "book-gemini-key"
KLING_ACCESS = "book-kling-access"
KLING_SECRET = "demo-secret"
VOICES = ["21m00Tcm4TlvDq8ikWAM", "EXAVITQu4vr4xnSDxMaL", "pNInz6obpgDQGcFmaJgB", "JBFqnCBsd6RMkjVDRZzb",
          "AZnzlk1XvdvUeBnXmlld"]  # the demo's premade voices
THEMES = [f"theme-{i:02d}" for i in range(30)]
PAGES = 8


def zipf(rng, items, s=1.1):
    weights = [1 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights)[0]


def kling_token(now):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"iss": KLING_ACCESS, "exp": int(now) + 1800, "nbf": int(now) - 5}).encode())
    signature = hmac.new(KLING_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []  # (kind, key, status, cache_status, body_hash)
        self.stale = 0
        self.errors = 0
        self.necessary_polls = 0
        self.writes = 0

    def add(self, kind, key, status, cache_status, body):
        with self.lock:
            self.rows.append((kind, key, status, cache_status, hashlib.sha256(body).hexdigest()))
            if status >= 400:
                self.errors += 1


class User:
    def __init__(self, index, ports, spread, recorder, seed):
        self.rng = random.Random(seed * 1000 + index)
        self.index = index
        self.ports = ports
        self.spread = spread
        self.recorder = recorder
        self.turn = index
        self.connections = {}

    def port(self):
        if self.spread == "sticky":
            return self.ports[self.index % len(self.ports)]
        self.turn += 1
        return self.ports[self.turn % len(self.ports)]

    def request(self, method, path, headers, body=None):
        port = self.port()
        for attempt in range(2):
            connection = self.connections.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            self.connections[port] = connection
            try:
                connection.request(method, path, body=body, headers={"host": "books.example", **headers})
                response = connection.getresponse()
                data = response.read()
                return response.status, response.getheader("cache-status", ""), data
            except (http.client.HTTPException, OSError):
                connection.close()
                self.connections.pop(port, None)
                if attempt == 1:
                    raise

    def call(self, kind, key, method, path, headers, body=None):
        status, cache_status, data = self.request(method, path, headers, body)
        self.recorder.add(kind, key, status, cache_status, data)
        return status, data

    def voices(self):
        status, data = self.call("voice list", "voices", "GET", "/api/v1/tts/voices", {"xi-api-key": ELEVEN_KEY})
        return data

    def run(self):
        theme = zipf(self.rng, THEMES)
        voice = zipf(self.rng, VOICES)
        stream = self.index % 2 == 1
        clone = self.index % 20 == 7
        self.voices()
        if clone:
            name = f"Grandma-{self.index}"
            body = json.dumps({"name": name}).encode()
            self.request("POST", "/api/v1/tts/clone/create", {"xi-api-key": ELEVEN_KEY, "content-type": "application/json"}, body)
            with self.recorder.lock:
                self.recorder.writes += 1
            if name.encode() not in self.voices():
                with self.recorder.lock:
                    self.recorder.stale += 1
        gemini = {"x-goog-api-key": GEMINI_KEY, "content-type": "application/json"}
        prompt = {"contents": [{"role": "user", "parts": [{"text": f"Write a bedtime story about {theme} in {PAGES} pages."}]}],
                  "generationConfig": {"maxOutputTokens": 400}}
        self.call("Gemini", "story " + theme, "POST", "/gemini/v1beta/models/gemini-2.5-flash:generateContent?delay_ms=300",
                  gemini, json.dumps(prompt).encode())
        self.voices()
        for page in range(PAGES):
            ask = {"contents": [{"role": "user", "parts": [{"text": f"Describe the illustration of page {page} of {theme}."}]}]}
            self.call("Gemini", f"page {theme} {page}", "POST",
                      "/gemini/v1beta/models/gemini-2.5-flash:generateContent?delay_ms=200", gemini, json.dumps(ask).encode())
            text = f"Page {page} of the story of {theme}. " * 4
            tts = json.dumps({"text": text, "model_id": "eleven_multilingual_v2"}).encode()
            path = f"/elevenlabs/v1/text-to-speech/{voice}" + ("/stream?chunk_delay_ms=30" if stream else "?delay_ms=150")
            self.call("TTS", f"{voice} {text} {stream}", "POST", path,
                      {"xi-api-key": ELEVEN_KEY, "content-type": "application/json"}, tts)
        self.voices()
        # One Kling illustration: submit (billed every time, never cached), poll until done, then twice more.
        now = time.time()
        submit = json.dumps({"model_name": "kling-v1", "prompt": f"cover of {theme}"}).encode()
        status, _, data = self.request("POST", "/kling/v1/images/generations",
                                       {"authorization": "Bearer " + kling_token(now), "content-type": "application/json"}, submit)
        if status != 200:
            with self.recorder.lock:
                self.recorder.errors += 1
            return
        task = json.loads(data)["data"]["task_id"]
        done_polls = 0
        for _ in range(12):
            status, body = self.call("Kling polls", task, "GET", f"/kling/v1/images/generations/{task}",
                                     {"authorization": "Bearer " + kling_token(time.time())})
            state = json.loads(body).get("data", {}).get("task_status") if status == 200 else None
            if state in ("succeed", "failed"):
                if done_polls == 0:
                    with self.recorder.lock:
                        self.recorder.necessary_polls += 1
                done_polls += 1
                if done_polls == 3:
                    break
            else:
                with self.recorder.lock:
                    self.recorder.necessary_polls += 1
        for connection in self.connections.values():
            connection.close()


def upstream_counts(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/test/counts")
    return json.loads(connection.getresponse().read())["requests"]


def kind_of(method_path):
    method, _, path = method_path.partition(" ")
    if method == "GET" and path == "/api/v1/tts/voices":
        return "voice list"
    if method == "POST" and path.startswith("/v1/text-to-speech/"):
        return "TTS"
    if method == "POST" and ":generateContent" in path:
        return "Gemini"
    if method == "GET" and path.startswith("/v1/images/generations/"):
        return "Kling polls"
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True, help="comma-separated proxy ports")
    parser.add_argument("--upstream", type=int, required=True)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--spread", choices=["alternate", "sticky"], default="alternate")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--label", default="")
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    parser.add_argument("--dump", action="store_true", help="print the Cache-Status of every key answered twice upstream")
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    before = upstream_counts(args.upstream)
    recorder = Recorder()
    started = time.time()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for future in [pool.submit(User(i, ports, args.spread, recorder, args.seed).run) for i in range(args.users)]:
            future.result()
    elapsed = time.time() - started
    time.sleep(0.5)  # fire-and-forget L2 writes and background work settle before the upstream is counted
    after = upstream_counts(args.upstream)
    calls = defaultdict(int)
    for name, count in after.items():
        kind = kind_of(name)
        if kind:
            calls[kind] += count - before.get(name, 0)

    requests = defaultdict(int)
    keys = defaultdict(set)
    miss_bodies = defaultdict(set)
    for kind, key, status, cache_status, digest in recorder.rows:
        requests[kind] += 1
        keys[kind].add(key)
        if "; hit" not in cache_status and "collapsed" not in cache_status:
            miss_bodies[(kind, key)].add(digest)
    wrong = 0
    for kind, key, status, cache_status, digest in recorder.rows:
        served = "; hit" in cache_status or "collapsed" in cache_status
        if served and status == 200 and digest not in miss_bodies[(kind, key)]:
            wrong += 1

    if args.dump:
        statuses = defaultdict(list)
        for kind, key, status, cache_status, digest in recorder.rows:
            statuses[(kind, key)].append(f"{status} {cache_status}")
        for (kind, key), seen in statuses.items():
            misses = sum(1 for line in seen if "; hit" not in line and "collapsed" not in line)
            if misses > (3 if kind == "Kling polls" else 1):
                print(kind, key[:60], seen)
    necessary = {
        "voice list": 1 + recorder.writes,
        "TTS": len(keys["TTS"]),
        "Gemini": len(keys["Gemini"]),
        "Kling polls": recorder.necessary_polls,
    }
    result = {"label": args.label, "instances": len(ports), "spread": args.spread, "users": args.users,
              "requests": sum(requests.values()), "seconds": round(elapsed, 1), "stale_reads": recorder.stale,
              "wrong_bodies": wrong, "errors": recorder.errors, "kinds": {}}
    print(f"{args.label}: {len(ports)} instance(s), {args.users} users, {result['requests']} requests in {elapsed:.1f} s, "
          f"stale reads {recorder.stale}, wrong bodies {wrong}, errors {recorder.errors}")
    print("| kind | requests | upstream calls | necessary | avoidable | avoided | share avoided |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind in ["voice list", "TTS", "Gemini", "Kling polls"]:
        avoidable = requests[kind] - necessary[kind]
        avoided = requests[kind] - calls[kind]
        share = avoided / avoidable if avoidable > 0 else 1.0
        result["kinds"][kind] = {"requests": requests[kind], "calls": calls[kind], "necessary": necessary[kind],
                                 "avoidable": avoidable, "avoided": avoided, "share": round(share, 4)}
        print(f"| {kind} | {requests[kind]} | {calls[kind]} | {necessary[kind]} | {avoidable} | {avoided} | {share:.1%} |")
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
