"""The official elevenlabs SDK through Reprise: voice lists, clones (write-invalidate), text-to-speech, streams,
the async client, per-key isolation and the new response fields."""

from __future__ import annotations

import asyncio
import re

import httpx
from elevenlabs.client import AsyncElevenLabs, ElevenLabs

from helpers import cache_key, cache_status, is_hit

VOICE = "21m00Tcm4TlvDq8ikWAM"  # Rachel, a premade voice


def client(stack, key: str) -> ElevenLabs:
    # Exactly as the README says, default settings.
    return ElevenLabs(api_key=key, base_url=f"{stack.reprise}/elevenlabs")


def test_the_voice_list_is_read_once(stack, unique):
    eleven = client(stack, f"key-{unique}")
    before = stack.count("GET /v1/voices")
    first = eleven.voices.with_raw_response.get_all()
    second = eleven.voices.with_raw_response.get_all()
    assert not is_hit(first.headers), cache_status(first.headers)
    assert is_hit(second.headers), cache_status(second.headers)
    assert [v.voice_id for v in second.data.voices] == [v.voice_id for v in first.data.voices]
    assert stack.count("GET /v1/voices") == before + 1
    # The shipped rule tells clients to revalidate, and names the entry.
    assert second.headers["cache-control"] == "private, no-cache"
    assert len(cache_key(second.headers)) == 16


def test_a_clone_drops_the_list_before_the_sdk_sees_the_answer(stack, unique):
    eleven = client(stack, f"key-{unique}")
    before = {v.voice_id for v in eleven.voices.get_all().voices}
    assert is_hit(eleven.voices.with_raw_response.get_all().headers)
    created = eleven.voices.ivc.create(name=f"Grandma {unique}", files=[("grandma.mp3", b"ID3" + b"\x00" * 2048)])
    after = eleven.voices.with_raw_response.get_all()
    assert not is_hit(after.headers)
    assert created.voice_id in {v.voice_id for v in after.data.voices} - before
    # v2 search sees it too (its entries were dropped by the same purge rule).
    assert created.voice_id in {v.voice_id for v in eleven.voices.search(page_size=100).voices}
    eleven.voices.delete(created.voice_id)
    assert created.voice_id not in {v.voice_id for v in eleven.voices.get_all().voices}


def test_two_api_keys_never_share_a_list_or_an_audio(stack, unique):
    a, b = client(stack, f"key-a-{unique}"), client(stack, f"key-b-{unique}")
    clone = a.voices.ivc.create(name=f"Private {unique}", files=[("me.mp3", b"ID3" + b"\x01" * 512)])
    assert clone.voice_id in {v.voice_id for v in a.voices.get_all().voices}
    assert clone.voice_id not in {v.voice_id for v in b.voices.get_all().voices}
    before = stack.count(f"POST /v1/text-to-speech/{VOICE}")
    text = f"Hello {unique}"
    audio_a = b"".join(a.text_to_speech.convert(VOICE, text=text, model_id="eleven_multilingual_v2"))
    audio_b = b"".join(b.text_to_speech.convert(VOICE, text=text, model_id="eleven_multilingual_v2"))
    assert audio_a == audio_b  # the fake is deterministic: same text, same audio
    assert stack.count(f"POST /v1/text-to-speech/{VOICE}") == before + 2


def test_text_to_speech_is_generated_once(stack, unique):
    eleven = client(stack, f"key-{unique}")
    text = f"Once upon a time, {unique}."
    before = stack.count(f"POST /v1/text-to-speech/{VOICE}")
    with eleven.text_to_speech.with_raw_response.convert(VOICE, text=text, model_id="eleven_multilingual_v2") as first:
        audio = b"".join(first.data)
        assert "stored" in cache_status(first.headers)
        assert first.headers.get("character-cost") == str(len(text))
    with eleven.text_to_speech.with_raw_response.convert(VOICE, text=text, model_id="eleven_multilingual_v2") as again:
        assert is_hit(again.headers), cache_status(again.headers)
        assert b"".join(again.data) == audio
        # Usage headers describe the first generation: not repeated on hits.
        assert "character-cost" not in again.headers
        assert cache_key(again.headers) == cache_key(first.headers)
    assert stack.count(f"POST /v1/text-to-speech/{VOICE}") == before + 1


def test_a_streamed_generation_is_replayed(stack, unique):
    eleven = client(stack, f"key-{unique}")
    text = f"A streamed chapter {unique}"
    first = b"".join(eleven.text_to_speech.stream(VOICE, text=text, model_id="eleven_multilingual_v2"))
    again = b"".join(eleven.text_to_speech.stream(VOICE, text=text, model_id="eleven_multilingual_v2"))
    assert first == again and len(first) > 0
    assert stack.count(f"POST /v1/text-to-speech/{VOICE}/stream") >= 1


def test_the_async_client_gets_the_same_hits(stack, unique):
    key = f"key-{unique}"
    text = f"Async page {unique}"

    async def run():
        eleven = AsyncElevenLabs(api_key=key, base_url=f"{stack.reprise}/elevenlabs")
        parts = [part async for part in eleven.text_to_speech.convert(VOICE, text=text, model_id="m")]
        async with eleven.text_to_speech.with_raw_response.convert(VOICE, text=text, model_id="m") as again:
            assert is_hit(again.headers), cache_status(again.headers)
            return b"".join(parts), b"".join([part async for part in again.data])

    before = stack.count(f"POST /v1/text-to-speech/{VOICE}")
    first, second = asyncio.run(run())
    assert first == second
    assert stack.count(f"POST /v1/text-to-speech/{VOICE}") == before + 1


def test_a_namespace_and_a_ttl_per_request(stack, unique):
    eleven = client(stack, f"key-{unique}")
    text = f"Namespaced {unique}"

    def convert(headers: dict):
        with eleven.text_to_speech.with_raw_response.convert(
            VOICE, text=text, model_id="m", request_options={"additional_headers": headers}
        ) as response:
            b"".join(response.data)
            return response.headers

    v1 = convert({"Reprise-Cache-Namespace": "story-v1", "Reprise-Cache-TTL": "120"})
    # The entry's age counts from the upstream's Date (whole seconds): 119 or 120 left.
    assert re.search(r"stored; ttl=(119|120)$", cache_status(v1))
    v2 = convert({"Reprise-Cache-Namespace": "story-v2"})
    assert not is_hit(v2)
    assert is_hit(convert({"Reprise-Cache-Namespace": "story-v1"}))
    assert cache_key(v1) != cache_key(v2)
    # A malformed control is the client's mistake: 400 with a JSON error, and nothing reaches the upstream.
    answer = httpx.post(
        f"{stack.reprise}/elevenlabs/v1/text-to-speech/{VOICE}",
        headers={"xi-api-key": f"key-{unique}", "Reprise-Cache-Namespace": "two words"},
        json={"text": text},
    )
    assert answer.status_code == 400
    assert "Reprise-Cache-Namespace" in answer.json()["error"]


def test_an_admin_purge_by_key_regenerates_one_page(stack, unique):
    eleven = client(stack, f"key-{unique}")
    text = f"Purge me {unique}"
    with eleven.text_to_speech.with_raw_response.convert(VOICE, text=text, model_id="m") as first:
        b"".join(first.data)
        entry = cache_key(first.headers)
    # With the disk tier on (the repository's proxy.conf), the answer also counts each tier: {"memory": 1, "disk": 1}.
    assert stack.purge_keys(entry)["purged"] == 1
    with eleven.text_to_speech.with_raw_response.convert(VOICE, text=text, model_id="m") as again:
        b"".join(again.data)
        assert not is_hit(again.headers)


def test_a_list_revalidates_with_a_304_from_memory(stack, unique):
    key = f"key-{unique}"
    eleven = client(stack, key)
    eleven.voices.get_all()
    listed = eleven.voices.with_raw_response.get_all()
    etag = listed.headers["etag"]
    before = stack.count("GET /v1/voices")
    # What an HTTP cache told `no-cache` does: revalidate with the ETag it holds.
    with httpx.Client(base_url=f"{stack.reprise}/elevenlabs") as raw:
        revalidated = raw.get("/v1/voices", headers={"xi-api-key": key, "If-None-Match": etag})
        assert revalidated.status_code == 304
        assert is_hit(revalidated.headers)
        assert stack.count("GET /v1/voices") == before
        clone = eleven.voices.ivc.create(name=f"New {unique}", files=[("n.mp3", b"ID3" + b"\x02" * 256)])
        changed = raw.get("/v1/voices", headers={"xi-api-key": key, "If-None-Match": etag})
        assert changed.status_code == 200
        assert clone.voice_id in changed.text
