#!/usr/bin/env python3
"""The book replay workload: a month of a children's-book app's upstream traffic, as a request trace.

Each line of the output (JSON) is one cacheable request as Reprise's repository proxy.conf would see it:

    {"t": seconds, "kind": "tts"|"story"|"prompt"|"voices", "key": ..., "path": ..., "bytes": body size,
     "units": characters (tts) or tokens (story, prompt), "latency_ms": upstream time, "ttl": seconds}

The model (deterministic for a seed):
- USERS children (default 200), each with SESSIONS bedtime sessions (default 8) spread over 30 days.
- A session opens the app (the voice list, a small GET), then reads one book: a catalog book (40 books, popularity
  Zipf s=1.1, read in the child's narrator voice, one of 3), a favourite the child read before (children ask for the
  same story again and again: half of the sessions once a favourite exists), or, in 6% of the sessions, a new story
  made for this child (the
  backend asks Gemini for the story text, then an illustration prompt per page).
- Reading a book asks for its story text (Gemini generateContent; catalog books were generated once, so their text
  is a cacheable POST like any other) and the text-to-speech audio of each page (8 pages of 100 to 400 characters,
  about 1 KiB of MP3 per character at 128 kbit/s).
- Costs: characters for text-to-speech (ElevenLabs' character-cost, which the repository's rule reads); tokens for
  Gemini (prompt + output). Gemini's latency (what Reprise weighs when a rule has no cost_header, as the Gemini
  rules have none) is 300 ms + 2 ms per output token; text-to-speech 150 ms + 1 ms per character.
"""

import argparse
import hashlib
import json
import random
import sys

DAY = 86_400


def zipf_weights(count, exponent):
    return [1.0 / (rank ** exponent) for rank in range(1, count + 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=8, help="sessions per user")
    parser.add_argument("--catalog", type=int, default=40)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    voices = ["narrator-a", "narrator-b", "narrator-c"]

    def page_text_length():
        return rng.randint(100, 400)

    catalog = []
    for book in range(args.catalog):
        catalog.append({
            "id": f"catalog-{book}",
            "pages": [page_text_length() for _ in range(args.pages)],
            "story_tokens": rng.randint(700, 1400),
        })
    weights = zipf_weights(args.catalog, 1.1)

    events = []
    for user in range(args.users):
        voice = rng.choice(voices)
        favourites = []
        times = sorted(rng.uniform(0, 30 * DAY) for _ in range(args.sessions))
        for number, start in enumerate(times):
            t = start
            events.append((t, {"kind": "voices", "key": "GET /api/v1/tts/voices", "path": "/api/v1/tts/voices",
                               "bytes": 2_400, "units": 0, "latency_ms": 120, "ttl": 300}))
            roll = rng.random()
            if favourites and roll < 0.5:
                book, book_voice = rng.choice(favourites)
                new = False
            elif roll < 0.94:
                book = rng.choices(catalog, weights)[0]
                book_voice = voice
                new = False
            else:
                book = {"id": f"user-{user}-story-{number}", "pages": [page_text_length() for _ in range(args.pages)],
                        "story_tokens": rng.randint(700, 1400)}
                book_voice = voice
                new = True
            if (book, book_voice) not in favourites and rng.random() < 0.6:
                favourites.append((book, book_voice))
            t += 1
            tokens = book["story_tokens"]
            events.append((t, request("story", book["id"], "/gemini/v1/models/gemini-2.5-flash:generateContent",
                                      bytes_=600 + tokens * 5, units=tokens + 80, latency=300 + 2 * tokens,
                                      ttl=7 * DAY)))
            if new:
                for page in range(len(book["pages"])):
                    t += 1
                    events.append((t, request("prompt", f"{book['id']}-p{page}",
                                              "/gemini/v1/models/gemini-2.5-flash:generateContent",
                                              bytes_=1_400, units=230, latency=300 + 2 * 150, ttl=7 * DAY)))
            for page, characters in enumerate(book["pages"]):
                t += rng.uniform(20, 60)
                events.append((t, request("tts", f"{book['id']}-p{page}-{book_voice}",
                                          f"/elevenlabs/v1/text-to-speech/{book_voice}",
                                          bytes_=characters * 1024, units=characters, latency=150 + characters,
                                          ttl=30 * DAY)))
    events.sort(key=lambda pair: pair[0])
    out = sys.stdout
    for t, event in events:
        event = dict(event)
        event["t"] = round(t, 3)
        out.write(json.dumps(event, separators=(",", ":")) + "\n")


def request(kind, identity, path, bytes_, units, latency, ttl):
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return {"kind": kind, "key": f"POST {path} app-key host {digest}", "path": path, "bytes": bytes_,
            "units": units, "latency_ms": latency, "ttl": ttl}


if __name__ == "__main__":
    main()
