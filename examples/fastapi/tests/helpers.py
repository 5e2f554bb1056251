"""Small helpers shared by the SDK tests."""

from __future__ import annotations

KLING_SECRET = "demo-secret"  # the demo upstream's HS256 secret for Kling tokens


def cache_status(headers) -> str:
    """The `Cache-Status` Reprise put on a response (headers of httpx, the ElevenLabs SDK or google-genai)."""
    return headers.get("cache-status", "") or headers.get("Cache-Status", "")


def is_hit(headers) -> bool:
    return "; hit" in cache_status(headers)


def cache_key(headers) -> str:
    return headers.get("reprise-cache-key", "") or headers.get("Reprise-Cache-Key", "")
