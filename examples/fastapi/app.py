"""A small FastAPI app of the children's-book app's shape, calling ElevenLabs, Gemini and Kling through Reprise.

The clients are built exactly as Reprise's README tells users ("Pointing clients at Reprise"), with the official
SDKs at their default settings:

    ElevenLabs(api_key=..., base_url=f"{REPRISE}/elevenlabs")
    genai.Client(api_key=..., http_options=types.HttpOptions(base_url=f"{REPRISE}/gemini"))
    httpx.Client(base_url=f"{REPRISE}/kling")

Run it with `uvicorn app:app` (REPRISE_URL, ELEVENLABS_API_KEY, GEMINI_API_KEY, KLING_ACCESS_KEY and
KLING_SECRET_KEY from the environment); the tests in tests/ build it with `create_app(...)`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

import httpx
from elevenlabs.client import ElevenLabs
from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import Response
from google import genai
from google.genai import types
from pydantic import BaseModel

GEMINI_MODEL = "gemini-2.5-flash"
TTS_MODEL = "eleven_multilingual_v2"


@dataclass
class Keys:
    elevenlabs: str
    gemini: str
    kling_access: str
    kling_secret: str

    @staticmethod
    def from_environment() -> "Keys":
        return Keys(
            elevenlabs=os.environ.get("ELEVENLABS_API_KEY", ""),
            gemini=os.environ.get("GEMINI_API_KEY", ""),
            kling_access=os.environ.get("KLING_ACCESS_KEY", ""),
            kling_secret=os.environ.get("KLING_SECRET_KEY", ""),
        )


def kling_token(access_key: str, secret_key: str, now: float | None = None) -> str:
    """The HS256 JWT Kling wants on every call (iss = access key, valid 30 minutes), made without PyJWT."""
    now = time.time() if now is None else now

    def part(value: dict) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = part({"alg": "HS256", "typ": "JWT"}) + "." + part(
        {"iss": access_key, "exp": int(now) + 1800, "nbf": int(now) - 5}
    )
    signature = hmac.new(secret_key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


class Clients:
    """The three upstream clients, pointed at Reprise as the README shows."""

    def __init__(self, reprise_url: str, keys: Keys):
        self.keys = keys
        self.eleven = ElevenLabs(api_key=keys.elevenlabs, base_url=f"{reprise_url}/elevenlabs")
        self.gemini = genai.Client(
            api_key=keys.gemini, http_options=types.HttpOptions(base_url=f"{reprise_url}/gemini")
        )
        self.kling = httpx.Client(base_url=f"{reprise_url}/kling")

    def kling_headers(self) -> dict[str, str]:
        # A new token for every request, as Kling's docs say: Reprise partitions on its iss claim.
        return {"Authorization": "Bearer " + kling_token(self.keys.kling_access, self.keys.kling_secret)}


class StoryRequest(BaseModel):
    prompt: str
    pages: int = 3
    seed: int | None = 1


class PageRequest(BaseModel):
    text: str
    voice_id: str


class IllustrationRequest(BaseModel):
    prompt: str
    max_polls: int = 10


def create_app(reprise_url: str | None = None, keys: Keys | None = None) -> FastAPI:
    clients = Clients(reprise_url or os.environ.get("REPRISE_URL", "http://localhost:8080"), keys or Keys.from_environment())
    app = FastAPI(title="Narrated books (example)")
    app.state.clients = clients

    @app.get("/api/v1/tts/voices")
    def voices() -> dict:
        listed = clients.eleven.voices.get_all()
        return {"voices": [{"voice_id": v.voice_id, "name": v.name, "category": v.category} for v in listed.voices]}

    @app.post("/api/v1/tts/clone/create")
    async def clone(name: str = Form(...), sample: UploadFile = File(...)) -> dict:
        audio = await sample.read()
        created = clients.eleven.voices.ivc.create(name=name, files=[(sample.filename or "sample.mp3", audio)])
        return {"voice_id": created.voice_id}

    @app.post("/api/v1/story")
    def story(request: StoryRequest) -> dict:
        config = types.GenerateContentConfig(seed=request.seed) if request.seed is not None else None
        answer = clients.gemini.models.generate_content(
            model=GEMINI_MODEL,
            contents=f"Write a children's story in {request.pages} short pages: {request.prompt}",
            config=config,
        )
        words = (answer.text or "").split()
        size = max(1, len(words) // max(1, request.pages))
        pages = [" ".join(words[i : i + size]) for i in range(0, len(words), size)][: request.pages]
        return {"pages": pages}

    @app.post("/api/v1/tts/page")
    def page_audio(request: PageRequest) -> Response:
        audio = b"".join(
            clients.eleven.text_to_speech.convert(request.voice_id, text=request.text, model_id=TTS_MODEL)
        )
        return Response(content=audio, media_type="audio/mpeg")

    @app.post("/api/v1/illustration")
    def illustration(request: IllustrationRequest) -> dict:
        created = clients.kling.post(
            "/v1/images/generations",
            json={"model_name": "kling-v1", "prompt": request.prompt},
            headers=clients.kling_headers(),
        )
        created.raise_for_status()
        task_id = created.json()["data"]["task_id"]
        for _ in range(request.max_polls):
            polled = clients.kling.get(f"/v1/images/generations/{task_id}", headers=clients.kling_headers())
            polled.raise_for_status()
            data = polled.json()["data"]
            if data["task_status"] == "succeed":
                return {"task_id": task_id, "url": data["task_result"]["images"][0]["url"]}
            if data["task_status"] == "failed":
                raise HTTPException(status_code=502, detail=data.get("task_status_msg", "failed"))
            time.sleep(0.05)
        raise HTTPException(status_code=504, detail="the illustration is not ready")

    return app


if os.environ.get("REPRISE_URL"):
    app = create_app()
