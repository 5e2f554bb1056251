"""Kling polls and what /stats says about routes no rule covers."""

from __future__ import annotations

import httpx

from app import kling_token
from helpers import KLING_SECRET, cache_status, is_hit


def test_only_a_finished_task_is_stored_and_an_unfinished_poll_promises_nothing(stack, unique):
    access = f"AK-{unique}"
    with httpx.Client(base_url=f"{stack.reprise}/kling") as kling:
        def auth():
            return {"Authorization": "Bearer " + kling_token(access, KLING_SECRET)}

        task = kling.post("/v1/images/generations", json={"prompt": f"a fox {unique}"}, headers=auth()).json()["data"]["task_id"]
        statuses = []
        for _ in range(5):
            polled = kling.get(f"/v1/images/generations/{task}", headers=auth())
            status = polled.json()["data"]["task_status"]
            statuses.append(status)
            if status in ("submitted", "processing"):
                assert "ttl=" not in cache_status(polled.headers), polled.headers
                assert not is_hit(polled.headers)
            if statuses.count("succeed") == 2:
                assert is_hit(polled.headers)
                break
        assert statuses[-2:] == ["succeed", "succeed"]


def test_stats_list_the_busiest_routes_no_rule_covers(stack, unique):
    access = f"AK-{unique}"
    with httpx.Client(base_url=f"{stack.reprise}/kling") as kling:
        for _ in range(3):
            kling.post(
                "/v1/images/generations",
                json={"prompt": f"billed every time {unique}"},
                headers={"Authorization": "Bearer " + kling_token(access, KLING_SECRET)},
            )
    routes = {r["route"]: r for r in stack.stats()["unmatched_routes"]}
    assert routes["POST /kling/v1/images/generations"]["requests"] >= 3
    assert routes["POST /kling/v1/images/generations"]["upstream"] == "kling"
    # The Gemini SDK's calls match the shipped rules on its API version: not listed.
    assert not any("generateContent" in route for route in routes)
