"""Codings: the demo upstream gzips for clients that ask and, like Gemini's front end, does not say
`Vary: Accept-Encoding`. Whatever an SDK (which accepts gzip) stored, a client that did not ask for gzip gets the
body decoded."""

from __future__ import annotations

import gzip
import json
import urllib.request

from google import genai
from google.genai import types

from helpers import is_hit


def test_a_client_without_accept_encoding_never_gets_gzip(stack, unique):
    key = f"gk-{unique}"
    gemini = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=f"{stack.reprise}/gemini"))
    listed = [m.name for m in gemini.models.list()]
    version = next(k.split()[1].split("/")[1] for k in stack.counts() if k.startswith("GET /v1") and k.endswith("/models"))

    # urllib sends no Accept-Encoding at all.
    plain = urllib.request.Request(f"{stack.reprise}/gemini/{version}/models", headers={"x-goog-api-key": key})
    with urllib.request.urlopen(plain) as answer:
        assert answer.headers.get("content-encoding") is None
        assert is_hit(answer.headers)
        body = json.loads(answer.read())
    assert [m["name"] for m in body["models"]] == listed

    # A client that accepts gzip gets the stored gzip bytes.
    zipped = urllib.request.Request(
        f"{stack.reprise}/gemini/{version}/models", headers={"x-goog-api-key": key, "Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(zipped) as answer:
        assert answer.headers.get("content-encoding") == "gzip"
        assert json.loads(gzip.decompress(answer.read())) == body
