"""GET /v1/reports/follow-ups against appointments driven through the real API and worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from fastapi.testclient import TestClient
from temporalio.worker import Worker

from tests.support.payloads import appointment_body, future_iso, starting_soon_iso

EXPERIMENT = {"name": "followup-tone", "variants": ["a", "b"]}


async def _book(api_client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api_client.post("/v1/appointments", json=appointment_body(**changes))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _report(api_client: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await api_client.get("/v1/reports/follow-ups", params=params)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def _event(api_client: httpx.AsyncClient, appointment_id: str, **body: Any) -> None:
    response = await api_client.post(f"/v1/appointments/{appointment_id}/events", json=body)
    assert response.status_code == 202, response.text


async def test_report_counts_no_shows_won_back_per_variant(
    api_client: httpx.AsyncClient, appointment_worker: Worker
) -> None:
    soon = starting_soon_iso()  # so that misses and attendance may be reported
    won_back = await _book(api_client, experiment=EXPERIMENT, starts_at=soon)
    still_missed = await _book(api_client, experiment=EXPERIMENT, starts_at=soon)
    attended = await _book(api_client, experiment=EXPERIMENT, starts_at=soon)
    cancelled = await _book(api_client, experiment=EXPERIMENT, starts_at=soon)
    outside_experiment = await _book(api_client, starts_at=soon)

    for appointment in (won_back, still_missed, outside_experiment):
        await _event(api_client, appointment["id"], type="missed")
    await _event(api_client, won_back["id"], type="rescheduled", new_starts_at=future_iso(5))
    await _event(api_client, attended["id"], type="attended")
    await _event(api_client, cancelled["id"], type="cancelled")

    expected_totals = {
        "appointments": 5,
        "missed": 3,
        "rebooked_after_miss": 1,
        "attended": 1,
        "cancelled": 1,
        "lost": 0,
        "expired": 0,
        "no_show_rate": 0.6,
        "rebook_rate": 0.3333,
    }
    for _ in range(100):  # the worker mirrors statuses asynchronously
        report = await _report(api_client)
        if report["totals"] == expected_totals:
            break
        await asyncio.sleep(0.1)
    assert report["totals"] == expected_totals

    # Per variant: whatever arm each appointment drew, its outcome is counted there.
    arms: dict[str, Counter[str]] = {}
    for appointment, outcome in (
        (won_back, "rebooked"),
        (still_missed, "missed"),
        (attended, "attended"),
        (cancelled, "cancelled"),
    ):
        arms.setdefault(appointment["experiment"]["variant"], Counter())[outcome] += 1
    by_variant = {v["variant"]: v["outcomes"] for v in report["variants"]}
    assert set(by_variant) == set(arms)
    assert all(v["experiment"] == "followup-tone" for v in report["variants"])
    for variant, outcomes in arms.items():
        got = by_variant[variant]
        assert got["appointments"] == sum(outcomes.values())
        assert got["missed"] == outcomes["rebooked"] + outcomes["missed"]
        assert got["rebooked_after_miss"] == outcomes["rebooked"]
        assert got["attended"] == outcomes["attended"]
        assert got["cancelled"] == outcomes["cancelled"]

    # Every message sent for these appointments is counted once, by channel and status
    # (asked again while the worker may still be sending: both sides must agree at rest).
    for _ in range(100):
        listed = 0
        for appointment in (won_back, still_missed, attended, cancelled, outside_experiment):
            path = f"/v1/appointments/{appointment['id']}/communications"
            listed += len((await api_client.get(path)).json())
        counted = sum(d["messages"] for d in (await _report(api_client))["deliveries"])
        if counted == listed:
            break
        await asyncio.sleep(0.1)
    assert counted == listed
    assert listed >= 5  # at least every confirmation

    only_experiment = await _report(api_client, experiment="followup-tone")
    assert only_experiment["totals"]["appointments"] == 4
    assert only_experiment["totals"]["missed"] == 2


async def test_report_window_excludes_appointments_created_outside_it(
    api_client: httpx.AsyncClient,
) -> None:
    await _book(api_client)
    empty = await _report(
        api_client, since="2020-01-01T00:00:00+00:00", until="2020-02-01T00:00:00+00:00"
    )
    assert empty["totals"]["appointments"] == 0
    assert empty["totals"]["no_show_rate"] is None
    assert empty["variants"] == [] and empty["deliveries"] == []


def test_report_window_must_be_ordered_and_offset_aware(sync_api_client: TestClient) -> None:
    backwards = sync_api_client.get(
        "/v1/reports/follow-ups",
        params={"since": "2026-02-01T00:00:00+00:00", "until": "2026-01-01T00:00:00+00:00"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"] == ["query", "since"]
    naive = sync_api_client.get("/v1/reports/follow-ups", params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["query", "since"]
