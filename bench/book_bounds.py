#!/usr/bin/env python3
"""How much upstream cost any eviction policy could avoid on a book replay trace (bench/book-trace.py), for reading
bench/eviction.sh's LRU and GDSF numbers against.

    python3 bench/book-trace.py > book.jsonl; python3 bench/book_bounds.py book.jsonl [--budget-fraction 0.25]

Prints characters (text-to-speech) and tokens (Gemini) avoided by:
- an unbounded cache (every repeat within its TTL is a hit): the ceiling for any budget;
- clairvoyant eviction at the budget (Belady: evict the entry whose next request is furthest away; an entry never
  requested again is not stored). With entries of different sizes this is a heuristic, not the exact optimum, but no
  policy that cannot see the future does much better;
- LRU and GDSF re-simulated here (a check that this model of the store agrees with eviction-replay's numbers).
Sizes are the body plus 700 bytes (about what the memory tier charges an entry beyond its body).
"""

import argparse
import heapq
import json

OVERHEAD = 700


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--budget-fraction", type=float, default=0.25)
    args = parser.parse_args()
    events = [json.loads(line) for line in open(args.trace)]
    sizes = {}
    for event in events:
        sizes.setdefault(event["key"], event["bytes"] + OVERHEAD)
    budget = int(sum(sizes.values()) * args.budget_fraction)
    print(f"trace: {len(events)} requests, {len(sizes)} distinct, budget {budget / 2**20:.1f} MiB")
    rows = [
        ("unbounded", unbounded(events)),
        ("clairvoyant (Belady)", clairvoyant(events, budget)),
        ("LRU (model)", greedy(events, budget, lru=True)),
        ("GDSF (model)", greedy(events, budget, lru=False)),
        # Online variants that remember every key's request count past eviction (a TinyLFU sketch would approximate
        # it in bounded memory): how far frequency alone can take a policy that cannot see the future.
        ("GDSF, F from the whole history", remembering(events, budget, lambda floor, f, density: floor + f * density)),
        ("GDSF, history, L x 0.3", remembering(events, budget, lambda floor, f, density: 0.3 * floor + f * density)),
        ("LFU by value per byte, history, no aging", remembering(events, budget, lambda floor, f, density: f * density)),
    ]
    print("| eviction | hit ratio | characters avoided | tokens avoided |")
    print("|---|---:|---:|---:|")
    for name, (hits, avoided) in rows:
        print(f"| {name} | {100 * hits / len(events):.1f}% | {avoided['tts']} | {avoided['tokens']} |")


def unit_kind(event):
    if event["kind"] == "tts":
        return "tts"
    return "tokens" if event["kind"] in ("story", "prompt") else None


def count_hit(avoided, event):
    kind = unit_kind(event)
    if kind:
        avoided[kind] += event["units"]


def cost(event):
    # What the proxy weighs: the rule's cost (characters) for text-to-speech, else the upstream's latency.
    return event["units"] if event["kind"] == "tts" else event["latency_ms"]


def unbounded(events):
    expires, hits, avoided = {}, 0, {"tts": 0, "tokens": 0}
    for event in events:
        if expires.get(event["key"], -1) > event["t"]:
            hits += 1
            count_hit(avoided, event)
        else:
            expires[event["key"]] = event["t"] + event["ttl"]
    return hits, avoided


def make_room(cache, heap, used, size, budget):
    """Evicts the lowest-ranked entries (`cache[key]` is [rank, expiry, size, ...]) until `size` more bytes fit.
    Returns the bytes used and the rank of the last entry evicted (None when none was)."""
    last = None
    while used + size > budget and cache:
        rank, victim = heapq.heappop(heap)
        held = cache.get(victim)
        if held is None or held[0] != rank:
            continue
        used -= held[2]
        del cache[victim]
        last = rank
    return used, last


def clairvoyant(events, budget):
    never = len(events) + 1
    following, last = [never] * len(events), {}
    for index in range(len(events) - 1, -1, -1):
        following[index] = last.get(events[index]["key"], never)
        last[events[index]["key"]] = index
    cache, heap, used, hits, avoided = {}, [], 0, 0, {"tts": 0, "tokens": 0}
    for index, event in enumerate(events):
        key, entry = event["key"], cache.get(event["key"])
        if entry and entry[1] > event["t"]:
            hits += 1
            count_hit(avoided, event)
            entry[0] = -following[index]
            heapq.heappush(heap, (entry[0], key))
            continue
        if entry:
            used -= entry[2]
            del cache[key]
        size = event["bytes"] + OVERHEAD
        if following[index] == never:
            continue
        used, _ = make_room(cache, heap, used, size, budget)
        cache[key] = [-following[index], event["t"] + event["ttl"], size]
        used += size
        heapq.heappush(heap, (cache[key][0], key))
    return hits, avoided


def greedy(events, budget, lru):
    if lru:
        return ranked(events, budget, lambda floor, uses, density, now: now, remember=False)
    return ranked(events, budget, lambda floor, uses, density, now: floor + uses * density, remember=False)


def remembering(events, budget, priority):
    """Greedy eviction by `priority(L, F, C/S)`, where F counts every request for the key since the trace began."""
    return ranked(events, budget, lambda floor, uses, density, now: priority(floor, uses, density), remember=True)


def ranked(events, budget, priority, remember):
    """Evicts the entry of lowest `priority(L, uses, C/S, now)`, L being the rank of the last one evicted; `uses` counts
    the key's requests since it was stored, or since the trace began (`remember`)."""
    cache, heap, used, floor, hits, seen = {}, [], 0, 0.0, 0, {}
    avoided = {"tts": 0, "tokens": 0}
    for event in events:
        key, entry = event["key"], cache.get(event["key"])
        seen[key] = seen.get(key, 0) + 1
        size = event["bytes"] + OVERHEAD
        density = cost(event) / size
        if entry and entry[1] > event["t"]:
            hits += 1
            count_hit(avoided, event)
            entry[3] += 1
            entry[0] = priority(floor, seen[key] if remember else entry[3], density, event["t"])
            heapq.heappush(heap, (entry[0], key))
            continue
        if entry:
            used -= entry[2]
            del cache[key]
        used, evicted = make_room(cache, heap, used, size, budget)
        if evicted is not None:
            floor = max(floor, evicted)
        rank = priority(floor, seen[key] if remember else 1, density, event["t"])
        cache[key] = [rank, event["t"] + event["ttl"], size, 1]
        used += size
        heapq.heappush(heap, (rank, key))
    return hits, avoided

if __name__ == "__main__":
    main()
