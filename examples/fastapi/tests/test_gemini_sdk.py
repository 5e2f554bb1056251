"""The official google-genai SDK through Reprise: generateContent on the SDK's default API version, streams, the
async client, one partition per key wherever it is sent, and model lists."""

from __future__ import annotations

import asyncio
import re

import httpx
from google import genai
from google.genai import types

from helpers import cache_key, cache_status, is_hit

MODEL = "gemini-2.5-flash"


def client(stack, key: str, headers: dict | None = None) -> genai.Client:
    # Exactly as the README says, default settings (the SDK picks the API version).
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=f"{stack.reprise}/gemini", headers=headers))


def generation_counts(stack) -> int:
    return sum(n for k, n in stack.counts().items() if k.endswith(f"/models/{MODEL}:generateContent"))


def test_a_story_is_generated_once_on_the_default_api_version(stack, unique):
    gemini = client(stack, f"gk-{unique}")
    prompt = f"A fox who reads, {unique}"
    before = generation_counts(stack)
    first = gemini.models.generate_content(model=MODEL, contents=prompt, config=types.GenerateContentConfig(seed=1))
    again = gemini.models.generate_content(model=MODEL, contents=prompt, config=types.GenerateContentConfig(seed=1))
    assert "stored" in cache_status(first.sdk_http_response.headers), first.sdk_http_response.headers
    assert is_hit(again.sdk_http_response.headers), again.sdk_http_response.headers
    assert again.text == first.text
    assert generation_counts(stack) == before + 1
    # google-genai 3.x calls the stable API version, which the shipped rules must match.
    assert stack.count(f"POST /v1/models/{MODEL}:generateContent") >= 1
    assert len(cache_key(again.sdk_http_response.headers)) == 16


def test_the_key_as_header_or_query_is_one_partition(stack, unique):
    key = f"gk-{unique}"
    prompt = f"One key, one partition {unique}"
    gemini = client(stack, key)  # kept: a genai.Client closes its connections when it is collected
    answer = gemini.models.generate_content(model=MODEL, contents=prompt)
    body = {"contents": [{"parts": [{"text": prompt}], "role": "user"}]}
    # The same request with the key in the query (REST quickstart style), on the API version the SDK used.
    version = next(k.split()[1].split("/")[1] for k in stack.counts() if k.endswith(f"{MODEL}:generateContent"))
    raw = httpx.post(f"{stack.reprise}/gemini/{version}/models/{MODEL}:generateContent?key={key}", json=body)
    assert raw.status_code == 200
    assert is_hit(raw.headers), raw.headers
    assert raw.json()["candidates"][0]["content"]["parts"][0]["text"] == answer.text
    assert key not in str(stack.stats())


def test_a_stream_is_replayed_whole(stack, unique):
    gemini = client(stack, f"gk-{unique}")
    prompt = f"A streamed tale {unique}"
    config = types.GenerateContentConfig(seed=3)
    first = "".join(chunk.text or "" for chunk in gemini.models.generate_content_stream(model=MODEL, contents=prompt, config=config))
    before = stack.counts()
    again = "".join(chunk.text or "" for chunk in gemini.models.generate_content_stream(model=MODEL, contents=prompt, config=config))
    assert again == first and first
    assert stack.counts() == {**before, "GET /test/counts": before.get("GET /test/counts", 0) + 1}


def test_the_async_client_shares_the_entries(stack, unique):
    gemini = client(stack, f"gk-{unique}")
    prompt = f"Async story {unique}"
    first = gemini.models.generate_content(model=MODEL, contents=prompt)

    async def again():
        return await gemini.aio.models.generate_content(model=MODEL, contents=prompt)

    second = asyncio.run(again())
    assert is_hit(second.sdk_http_response.headers)
    assert second.text == first.text


def test_model_lists_are_cached(stack, unique):
    gemini = client(stack, f"gk-{unique}")
    names = [m.name for m in gemini.models.list()]
    assert "models/gemini-2.5-flash" in names
    before = stack.counts()
    assert [m.name for m in gemini.models.list()] == names
    assert gemini.models.get(model=MODEL).name == "models/gemini-2.5-flash"
    listed = {k: n for k, n in stack.counts().items() if k.startswith("GET /v1") and "models" in k}
    assert sum(listed.values()) <= sum(n for k, n in before.items() if k.startswith("GET /v1") and "models" in k) + 1


def test_per_request_controls_through_http_options(stack, unique):
    prompt = f"Two versions of a story {unique}"
    one = client(stack, f"gk-{unique}", headers={"Reprise-Cache-Namespace": "v1", "Reprise-Cache-TTL": "300"})
    two = client(stack, f"gk-{unique}", headers={"Reprise-Cache-Namespace": "v2"})
    a = one.models.generate_content(model=MODEL, contents=prompt)
    assert re.search(r"stored; ttl=(299|300)$", cache_status(a.sdk_http_response.headers))
    b = two.models.generate_content(model=MODEL, contents=prompt)
    assert not is_hit(b.sdk_http_response.headers)
    assert is_hit(one.models.generate_content(model=MODEL, contents=prompt).sdk_http_response.headers)
    # A regeneration on demand: Cache-Control: no-cache goes upstream and replaces the entry.
    fresh = client(stack, f"gk-{unique}", headers={"Reprise-Cache-Namespace": "v1", "Cache-Control": "no-cache"})
    regenerated = fresh.models.generate_content(model=MODEL, contents=prompt)
    assert "fwd=request" in cache_status(regenerated.sdk_http_response.headers)
