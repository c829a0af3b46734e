"""The dashboard at /__admin/ui/ in a real browser: Debian's chromium, driven by Playwright.

The tests act over the API (as the developer's app would) and through the page's own buttons, and assert on what the
page shows, without reloading it. A screenshot lands in reports/dashboard.png.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from miraflow.spec import lifecycle
from miraflow_mock.testing import SimulatorHandle

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:  # pragma: no cover - .ci/run installs it
    pytest.skip("no chromium browser installed (Debian: apt-get install chromium)", allow_module_level=True)

# No sandbox: CI runs as root; the rest keeps the browser from reaching for the network or updating itself.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPORTS = Path(__file__).resolve().parents[2] / "reports"
MARGOT, AERIN = "cmdms9d3s001no401kqwbr0q5", "cm2yaz9j10008l0qg9npyjgs3"
SPEC = lifecycle()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


def client(sim: SimulatorHandle, key: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": key or sim.key}, timeout=30)


def create(http: httpx.Client, name: str, avatar: str = MARGOT, **extra: Any) -> str:
    response = http.post("video/create", json={"avatarId": avatar, "name": name, "text": "Hello there.", **extra})
    assert response.status_code == 200, response.text
    return str(response.json()["jobId"])


def open_dashboard(page: Page, sim: SimulatorHandle) -> None:
    page.goto(sim.admin_url + "/__admin")  # leads to /__admin/ui/
    expect(page).to_have_url(re.compile(r"/__admin/ui/$"))
    expect(page.locator("#connection")).to_have_text("live")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads


def progress_of(page: Page, job: str) -> int:
    value = page.locator(f'tr[data-job-id="{job}"] [role="progressbar"]').get_attribute("aria-valuenow")
    return int(value or 0)


def test_jobs_show_their_state_and_progress_live(page: Page, sim: SimulatorHandle) -> None:
    open_dashboard(page, sim)
    with client(sim) as http:
        jobs = [create(http, f"tour {index}") for index in range(3)]  # two render slots: the third waits
    rows = page.locator("#jobs-body tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-job-id", jobs[2])  # newest first
    first, third = (page.locator(f'tr[data-job-id="{job}"]') for job in (jobs[0], jobs[2]))
    expect(first.get_by_test_id("job-state")).to_have_text(SPEC.progress_state)
    expect(third.get_by_test_id("job-state")).to_have_text(SPEC.initial)
    expect(third.locator(".progress .label")).to_have_text("queued")
    credits = next(tenant["credits"] for tenant in sim.tenants() if tenant["name"] == "demo-1")
    assert credits < 1000
    expect(page.locator('tr[data-tenant="demo-1"] [data-testid="tenant-credits"]')).to_have_text(f"{credits:,}")

    plans = {row["jobId"]: row["plan"] for row in sim.jobs()}
    for job, plan in plans.items():  # each job's planned outcome is on the page before it happens
        timeline = page.locator(f'tr[data-job-id="{job}"] .timeline')
        expect(timeline).to_have_attribute("data-outcome", plan["outcome"])
        expect(page.locator(f'tr[data-job-id="{job}"]').get_by_test_id("job-outcome")).to_have_class(
            re.compile("pending")
        )

    sim.advance(30)  # over the admin API: the page follows by itself
    expect(page.locator("#clock-now")).to_have_text("t=30.0 s")
    expect(first.get_by_role("progressbar")).not_to_have_attribute("aria-valuenow", "0")
    before = progress_of(page, jobs[0])
    page.get_by_role("button", name="+10 s").click()  # the page's own clock button
    expect(page.locator("#clock-now")).to_have_text("t=40.0 s")
    page.wait_for_function(
        f"Number(document.querySelector('tr[data-job-id=\"{jobs[0]}\"] [role=progressbar]')"
        f".getAttribute('aria-valuenow')) > {before}"
    )
    assert sim.now() == 40.0

    page.get_by_role("button", name="+10 min").click()
    for job in jobs:
        row = page.locator(f'tr[data-job-id="{job}"]')
        expect(row.get_by_test_id("job-state")).to_have_text(SPEC.success_state)
        expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
        expect(row.get_by_test_id("job-outcome")).not_to_have_class(re.compile("pending"))
    assert page.evaluate("window.__sameDocument") is True
    assert sim.key not in page.content()


def test_a_fault_button_takes_effect(page: Page, sim: SimulatorHandle) -> None:
    with client(sim) as http:
        job = create(http, "faulty")
        open_dashboard(page, sim)
        page.get_by_role("button", name="503 on next status poll").click()
        expect(page.locator("#faults-body tr")).to_have_count(1)
        expect(page.locator("#faults-body")).to_contain_text("getJobStatus")
        assert [fault["status"] for fault in sim.admin("GET", "/faults")["faults"]] == [503]

        assert http.get(f"video/{job}/status").status_code == 503
        newest = page.locator("#requests-body tr.entry").first
        expect(newest).to_have_attribute("data-status", "503")
        expect(newest.locator(".fault-mark")).to_be_visible()
        expect(page.locator("#faults-body tr")).to_have_count(0)  # used up
        assert http.get(f"video/{job}/status").status_code == 200
        expect(page.locator("#requests-body tr.entry").first).to_have_attribute("data-status", "200")

        # The form: any operation, any effect; "Clear all" drops what is pending.
        page.get_by_text("Add a fault").click()
        form = page.locator("#fault-form")
        form.locator("select[name=operationId]").select_option("listAvatars")
        form.locator("input[name=status]").fill("429")
        form.locator("input[name=count]").fill("2")
        form.get_by_role("button", name="Add fault").click()
        expect(page.locator("#faults-body tr")).to_have_count(1)
        expect(page.locator("#faults-body")).to_contain_text("listAvatars")
        assert sim.admin("GET", "/faults")["faults"][0]["count"] == 2
        page.locator("#faults-clear").click()
        expect(page.locator("#faults-empty")).to_be_visible()
        assert sim.admin("GET", "/faults")["faults"] == []
        assert http.get("avatars").status_code == 200


def test_the_journal_shows_responses_and_filters(page: Page, sim: SimulatorHandle) -> None:
    open_dashboard(page, sim)
    with client(sim) as http, client(sim, sim.keys[1]) as other:
        job = create(http, "journaled")
        http.get("video/cnotajobnotajobnotajob000/status")
        other.get("avatars")
    httpx.get(sim.api_root + "/avatars", headers={"x-api-key": "sk-nobody"})
    entries = page.locator("#requests-body tr.entry")
    expect(entries).to_have_count(4)

    page.locator("#requests-filters input[name=status]").fill("4xx")
    expect(entries).to_have_count(2)
    for status in entries.evaluate_all("rows => rows.map(row => row.dataset.status)"):
        assert status.startswith("4")
    page.locator("#requests-filters input[name=status]").fill("")
    page.locator("#requests-filters select[name=tenant]").select_option("demo-2")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("/api/avatars")
    page.locator("#requests-filters select[name=tenant]").select_option("")
    page.locator("#requests-filters input[name=path]").fill("/api/video/{jobId}/status")
    expect(entries).to_have_count(1)
    expect(entries.first).to_have_attribute("data-status", "404")
    page.locator("#requests-filters input[name=path]").fill("/api/video/create")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("/api/video/create")

    entries.first.click()  # the request and the response, in full
    detail = page.locator("#requests-body tr.detail")
    expect(detail).to_contain_text('"name": "journaled"')
    expect(detail).to_contain_text(f'"jobId": "{job}"')
    expect(detail).to_contain_text("content-type: application/json")
    page.locator("#requests-filters input[name=status]").fill("abc")
    expect(page.locator("#filter-error")).to_contain_text("status")
    content = page.content()
    assert sim.key not in content and sim.keys[1] not in content and "sk-nobody" not in content


def test_tenants_and_credits_can_be_set_from_the_page(page: Page, sim: SimulatorHandle) -> None:
    open_dashboard(page, sim)
    page.get_by_text("Add a tenant or set credits").click()
    form = page.locator("#tenant-form")
    form.locator("input[name=key]").fill("sk-made-in-the-browser")
    form.locator("input[name=credits]").fill("42")
    form.locator("input[name=name]").fill("browser")
    form.get_by_role("button", name="Save").click()
    expect(page.locator('tr[data-tenant="browser"] [data-testid="tenant-credits"]')).to_have_text("42")
    expect(form.locator("input[name=key]")).to_have_value("")  # the key does not stay on the page
    assert {"name": "browser", "keyHint": "wser", "credits": 42} in sim.tenants()
    assert "sk-made-in-the-browser" not in page.content()


def test_the_error_count_shows_only_where_the_simulator_counts(page: Page, sim: SimulatorHandle) -> None:
    open_dashboard(page, sim)
    counted = httpx.get(sim.admin_url + "/__admin/errors").status_code != 404
    if counted:
        expect(page.get_by_test_id("errors")).to_be_visible()
    else:
        expect(page.get_by_test_id("errors")).to_be_hidden()


def test_a_real_clock_moves_on_its_own_and_hides_the_manual_buttons(
    page: Page, miraflow_simulator_factory: Callable[..., SimulatorHandle]
) -> None:
    sim = miraflow_simulator_factory(clock="real", time_scale=0.02, seed=5)
    open_dashboard(page, sim)
    expect(page.locator("#clock-hint")).to_be_visible()
    expect(page.get_by_role("button", name="+10 s")).to_be_hidden()
    with client(sim) as http:
        job = create(http, "real time")  # 60–120 s of render at ×0.02: 1.2–2.4 s
    row = page.locator(f'tr[data-job-id="{job}"]')
    expect(row.get_by_test_id("job-state")).to_have_text(SPEC.progress_state)
    expect(row.get_by_test_id("job-state")).to_have_text(SPEC.success_state, timeout=15_000)


def test_screenshot(page: Page, miraflow_simulator_factory: Callable[..., SimulatorHandle]) -> None:
    """A busy simulator, as a developer sees it: reports/dashboard.png."""
    sim = miraflow_simulator_factory(clock="manual", seed=3, fail_rate=0.3)
    scripts = ["welcome", "onboarding tour", "pricing explainer", "weekly update", "launch teaser", "faq answer"]
    with client(sim) as http, client(sim, sim.keys[1]) as other:
        jobs = []
        for index, name in enumerate(scripts):
            who = other if index % 3 == 2 else http
            jobs.append(create(who, name, AERIN if index == 4 else MARGOT, im2vid_full=index % 2 == 0))
        sim.advance(75)
        for job in jobs[:4]:
            http.get(f"video/{job}/status")
        http.get("avatars")
    httpx.get(sim.api_root + "/avatars", headers={"x-api-key": "sk-nobody"})
    sim.add_fault(operationId="getJobStatus", status=429, retryAfter=1, count=2)
    sim.add_fault(operationId="downloadVideo", truncate=True)
    open_dashboard(page, sim)
    expect(page.locator("#jobs-body tr")).to_have_count(len(scripts))
    expect(page.locator("#requests-body tr.entry")).to_have_count(len(scripts) + 6)
    page.locator("#requests-body tr.entry").nth(2).click()
    page.wait_for_timeout(600)  # let the progress bars finish their transition
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / "dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000
