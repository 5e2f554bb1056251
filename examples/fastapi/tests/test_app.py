"""The example FastAPI app end to end: its routes call ElevenLabs, Gemini and Kling through Reprise with the
official SDKs, and every repeat is answered from Reprise's memory."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import Keys, create_app
from helpers import KLING_SECRET


@pytest.fixture
def book(stack, unique):
    keys = Keys(elevenlabs=f"key-{unique}", gemini=f"gk-{unique}", kling_access=f"AK-{unique}", kling_secret=KLING_SECRET)
    with TestClient(create_app(stack.reprise, keys)) as test_client:
        yield test_client


def test_a_book_costs_each_upstream_call_once(stack, book, unique):
    before = stack.counts()

    def delta(key: str) -> int:
        return stack.count(key) - before.get(key, 0)

    voices = book.get("/api/v1/tts/voices").json()["voices"]
    assert book.get("/api/v1/tts/voices").json()["voices"] == voices
    voice = voices[0]["voice_id"]

    story = book.post("/api/v1/story", json={"prompt": f"a fox who reads {unique}", "pages": 3}).json()["pages"]
    assert story and book.post("/api/v1/story", json={"prompt": f"a fox who reads {unique}", "pages": 3}).json()["pages"] == story

    audio = [book.post("/api/v1/tts/page", json={"text": page, "voice_id": voice}).content for page in story]
    again = [book.post("/api/v1/tts/page", json={"text": page, "voice_id": voice}).content for page in story]
    assert audio == again

    first = book.post("/api/v1/illustration", json={"prompt": f"a fox {unique}"}).json()
    assert first["url"].endswith(".png")

    assert delta("GET /v1/voices") == 1
    assert sum(n for k, n in stack.counts().items() if k.endswith(":generateContent")) - sum(
        n for k, n in before.items() if k.endswith(":generateContent")
    ) == 1
    assert delta(f"POST /v1/text-to-speech/{voice}") == len(set(story))
    # Kling: every submission is billed (no rule caches it); only the finished poll is stored.
    assert delta("POST /v1/images/generations") == 1


def test_a_clone_through_the_app_shows_in_its_next_voice_list(book, unique):
    book.get("/api/v1/tts/voices")
    created = book.post(
        "/api/v1/tts/clone/create",
        data={"name": f"Grandma {unique}"},
        files={"sample": ("grandma.mp3", b"ID3" + b"\x00" * 1024, "audio/mpeg")},
    ).json()
    names = {v["voice_id"] for v in book.get("/api/v1/tts/voices").json()["voices"]}
    assert created["voice_id"] in names
