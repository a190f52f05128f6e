"""The link chart in headless Chromium against the real app and engines.

Manchester holds CAVIAR's calls (Morselli's wiretap network, as operator call data) of four of its
phases, each sixty days after the one before; West Yorkshire recorded five calls from the leader's
phone to a number of its own. The browser opens ``/chart?id=...`` as an investigator does, enters
a token and a purpose, and the tests read what cytoscape drew and what the screen shows. The first
tests need neither engines nor a browser: the page's headers, and the committed bundle against its
sources.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from elasticsearch import Elasticsearch
from neo4j import Driver
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from starlette.applications import Starlette
from starlette.testclient import TestClient

from polegraph.api import chart
from polegraph.api.app import create_app
from polegraph.api.data import analytics
from polegraph.api.ids import to_global_id
from polegraph.config import Settings
from tests.analytics.conftest import CallRow, load_to_graph, matrix_calls, number, write_cdr
from tests.api.chart_support import (
    CHART_SOURCES,
    click_node,
    colour_counts,
    launch,
    node_data,
    node_ids,
    open_chart,
    served,
    settled,
    sources_hash,
)
from tests.api.shell_support import PURPOSE, audit_records, ensure_audit_index, shell_settings, token
from tests.conftest import Engines, empty

CAVIAR = Path(__file__).resolve().parents[3] / "shared" / "data" / "caviar" / "phases"
START = dt.datetime(1994, 3, 1, 9, 0, tzinfo=dt.UTC)
PHASE_GAP = dt.timedelta(days=60)
# Four of the eleven phases (658 calls, 55 people) keep the load to seconds; N12 talks to nine
# people in them whom N1 never called.
PHASES = (1, 2, 5, 9)
OUTSIDE = number(0, block=902)  # West Yorkshire's own number
CASE = PURPOSE["X-Purpose"]


def phone(num: str) -> str:
    return to_global_id("Phone", f"phone:+{num}")


def contacts(calls: list[CallRow], own: str, until: dt.datetime | None = None) -> set[str]:
    """The numbers ``own`` called or was called by (before ``until``), straight from the call rows."""
    return {
        row.b if row.a == own else row.a
        for row in calls
        if own in (row.a, row.b) and (until is None or row.at < until)
    }


# --- the page and the bundle, without engines or browser -----------------------------------


def test_the_page_is_served_with_a_strict_content_security_policy() -> None:
    client = TestClient(create_app(Settings()))  # no lifespan: the page needs no engine
    page = client.get("/chart")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = dict(p.strip().split(" ", 1) for p in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert (policy["script-src"], policy["style-src"], policy["connect-src"]) == ("'self'",) * 3
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    html = page.text
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="/chart/assets/chart.js">']
    assert "<style" not in html
    assert " style=" not in html
    # No form field has a name, so none could ever be sent in a URL.
    assert re.findall(r"<(?:input|select|textarea)\b[^>]*\bname=", html) == []

    script = client.get("/chart/assets/chart.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["content-security-policy"] == chart.CSP
    again = client.get("/chart/assets/chart.js", headers={"If-None-Match": script.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert client.get("/chart/assets/chart.css").headers["content-type"] == "text/css; charset=utf-8"
    assert "Cytoscape Consortium" in client.get("/chart/assets/LICENSE.cytoscape.txt").text
    # Only the built files are served: not the manifest, not the page twice, nothing outside.
    for name in ("manifest.json", "index.html", "..%2F..%2Fapp.py", "missing.js"):
        assert client.get(f"/chart/assets/{name}").status_code == 404, name


def test_an_unbuilt_chart_is_a_404_not_a_failure_to_start(tmp_path: Path) -> None:
    client = TestClient(Starlette(routes=chart.chart_routes(tmp_path)))  # a folder without a build
    for path in ("/chart", "/chart/assets/chart.js"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert missing.headers["content-security-policy"] == chart.CSP


def test_the_committed_bundle_is_built_from_the_committed_sources() -> None:
    built = chart.STATIC
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    current = sources_hash()
    assert manifest["sources"] == current, "chart/ changed since the bundle was built: run make chart"
    assert set(manifest["files"]) == {"index.html", "chart.js", "chart.css", "LICENSE.cytoscape.txt"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((built / name).read_bytes()).hexdigest() == digest, f"{name} edited by hand"
    for name in ("index.html", "chart.js", "chart.css"):
        head = (built / name).read_text(encoding="utf-8")[:400]
        assert f"built from sources sha256:{current}" in head, name

    package = json.loads((CHART_SOURCES / "package.json").read_text(encoding="utf-8"))
    wanted = {**package["dependencies"], **package["devDependencies"]}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in wanted.values()), "versions must be exact"
    lock = json.loads((CHART_SOURCES / "package-lock.json").read_text(encoding="utf-8"))
    locked = {name: lock["packages"][f"node_modules/{name}"]["version"] for name in wanted}
    assert locked == wanted
    bundle_head = (built / "chart.js").read_text(encoding="utf-8")[:400]
    assert f"cytoscape.js {wanted['cytoscape']}" in bundle_head
    licence = (built / "LICENSE.cytoscape.txt").read_text(encoding="utf-8")
    assert "The Cytoscape Consortium" in licence
    assert "Permission is hereby granted, free of charge" in licence


# --- in the browser, against the engines ---------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    numbers: dict[str, str]  # CAVIAR label -> phone number
    calls: list[CallRow]  # Manchester's calls


@dataclass(frozen=True)
class Api:
    base: str
    settings: Settings


@pytest.fixture(scope="module")
def loaded(
    stack: Settings, neo4j_driver: Driver, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Loaded:
    engines = Engines(stack, neo4j_driver, es_client)
    empty(engines)
    folder = tmp_path_factory.mktemp("chart")
    numbers: dict[str, str] = {}
    calls = [
        call
        for phase in PHASES
        for call in matrix_calls(CAVIAR / f"CAVIAR{phase}.csv", START + (phase - 1) * PHASE_GAP, numbers)
    ]
    load_to_graph(engines, "cdr", write_cdr(folder / "caviar.csv", calls), "GMP")
    leader = numbers["1"]
    outside = [CallRow(leader, OUTSIDE, START + dt.timedelta(days=30, hours=h)) for h in range(5)]
    load_to_graph(engines, "cdr", write_cdr(folder / "wyp.csv", outside), "WYP")
    return Loaded(numbers, calls)


@pytest.fixture(scope="module")
def api(
    loaded: Loaded, stack: Settings, es_client: Elasticsearch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    settings = shell_settings(stack, tmp_path_factory.mktemp("audit"))
    ensure_audit_index(es_client, settings)
    with served(create_app(settings)) as base:
        yield Api(base, settings)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A page of its own browser context, and what its console said: errors and warnings, among
    them any Content-Security-Policy violation and any uncaught exception."""

    page: Page
    console: list[str]


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    opened = Tab(page, [])

    def noted(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            opened.console.append(message.text)

    page.on("console", noted)
    page.on("pageerror", lambda error: opened.console.append(f"uncaught: {error}"))
    yield opened
    context.close()


def _token(settings: Settings, force: str) -> str:
    return token(settings, user=f"analyst.{force.lower()}", force=force, roles=("analyst",))


def _message(page: Page) -> str:
    return page.locator("#message").inner_text()


def _within_two_hops(calls: list[CallRow], own: str) -> set[str]:
    first = contacts(calls, own)
    return {own} | first | {n for c in first for n in contacts(calls, c)}


@pytest.mark.engines
def test_the_network_is_drawn_in_community_colours_sized_by_the_chosen_measure(
    api: Api, loaded: Loaded, tab: Tab
) -> None:
    page, leader = tab.page, loaded.numbers["1"]
    open_chart(page, api.base, phone(leader), _token(api.settings, "GMP"), CASE)
    assert page.locator("#cy").get_attribute("data-state") == "ready", _message(page)

    # Everyone within two hops is drawn (fewer than the hundred nodes the API gives at most).
    reach = {phone(n) for n in _within_two_hops(loaded.calls, leader)}
    assert len(reach) <= 100
    drawn = node_ids(page)
    assert drawn == reach
    nodes = {n["id"]: n for n in node_data(page)}
    assert nodes[phone(leader)]["seed"] is True
    assert {n["force"] for n in nodes.values()} == {"GMP"}
    assert nodes[phone(leader)]["caption"] == f"+{leader}"

    # The screen shows the nodes in their communities' colours: at least three of them, plainly.
    colours: list[str] = page.evaluate("() => window.polegraphChart.communities.map(c => c.colour)")
    assert len(set(colours)) >= 3
    shown = colour_counts(page, page.locator("#cy").screenshot(), sorted(set(colours)))
    assert sum(count >= 40 for count in shown.values()) >= 3, shown
    legend = page.locator("#legend li").all_inner_texts()
    assert sum(text.startswith("community ") for text in legend) == min(len(colours), 12)

    # Sized by betweenness, the leader (first by betweenness in CAVIAR) is the largest node.
    page.select_option("#measure", "betweenness")
    sizes = {n["id"]: n["size"] for n in node_data(page)}
    assert max(sizes, key=lambda k: sizes[k]) == phone(leader)
    assert "Size: betweenness" in page.locator("#legend").inner_text()

    # The token is in this tab's sessionStorage only: not in the address, not in localStorage.
    assert page.url == f"{api.base}/chart?id={quote(phone(leader))}"
    assert page.evaluate("() => sessionStorage.getItem('polegraph.chart.token')")
    assert page.evaluate("() => localStorage.length") == 0
    # Every node drawn came through /graphql under the analyst's name and purpose, and was audited.
    records = [r for r in audit_records(api.settings) if r.get("user") == "analyst.gmp"]
    assert records
    assert {r["purpose"] for r in records} == {CASE}
    assert drawn <= {i for r in records for i in r["returned_ids"]}
    assert tab.console == []


@pytest.mark.engines
def test_clicking_a_node_merges_its_neighbourhood(api: Api, loaded: Loaded, tab: Tab) -> None:
    page, leader, second = tab.page, loaded.numbers["1"], loaded.numbers["12"]
    open_chart(page, api.base, phone(leader), _token(api.settings, "GMP"), CASE, hops=1)
    before = node_ids(page)
    assert before == {phone(n) for n in {leader} | contacts(loaded.calls, leader)}

    with settled(page):
        click_node(page, phone(second))
    after = node_ids(page)
    added = {phone(n) for n in contacts(loaded.calls, second)} - before
    assert added  # N12 talks to people N1 never called
    assert after == before | added
    merged = {n["id"]: n for n in node_data(page)}
    assert {i for i, n in merged.items() if not n["measured"]} == added
    assert _message(page) == f"{len(added)} nodes added around +{second}."
    assert "added by a click" in page.locator("#legend").inner_text()
    assert page.locator("#details h2").inner_text() == f"+{second}"
    assert tab.console == []


@pytest.mark.engines
def test_the_time_slider_redraws_the_network_of_the_window(api: Api, loaded: Loaded, tab: Tab) -> None:
    page, leader = tab.page, loaded.numbers["1"]
    open_chart(page, api.base, phone(leader), _token(api.settings, "GMP"), CASE, hops=1)
    everything = node_ids(page)

    with (
        page.expect_request(lambda r: "ChartNetwork" in (r.post_data or "")) as sent,
        settled(page),
    ):
        page.locator("#until").fill("300")
    variables = json.loads(sent.value.post_data or "{}")["variables"]
    assert variables["since"] is None
    until = dt.datetime.fromisoformat(variables["until"])
    windowed = node_ids(page)
    assert windowed == {phone(n) for n in {leader} | contacts(loaded.calls, leader, until)}
    assert windowed < everything
    assert page.locator("#until-label").inner_text() == until.strftime("%Y-%m-%d %H:%M UTC")
    assert tab.console == []


@pytest.mark.engines
def test_the_chart_exports_as_a_png(api: Api, loaded: Loaded, tab: Tab) -> None:
    page = tab.page
    open_chart(page, api.base, phone(loaded.numbers["1"]), _token(api.settings, "GMP"), CASE, hops=1)
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename.startswith("link-chart-")
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width > 400
    assert height > 300
    colours: list[str] = page.evaluate("() => window.polegraphChart.communities.map(c => c.colour)")
    exported = colour_counts(page, png, sorted(set(colours)))
    assert sum(count >= 40 for count in exported.values()) >= 2, exported
    assert tab.console == []


@pytest.mark.engines
def test_a_bad_token_is_refused_with_a_message(api: Api, loaded: Loaded, tab: Tab) -> None:
    page = tab.page
    open_chart(page, api.base, phone(loaded.numbers["1"]), "not-a-token", CASE)
    assert page.locator("#cy").get_attribute("data-state") == "error"
    assert "Your token was refused (401)" in _message(page)
    assert node_ids(page) == set()
    assert page.evaluate("() => sessionStorage.getItem('polegraph.chart.token')") is None
    assert page.locator("#signed-in").inner_text() == "not signed in"
    # The browser logs the 401 response itself; nothing else goes wrong.
    assert [p for p in tab.console if "401" not in p] == []


@pytest.mark.engines
def test_another_forces_officer_sees_no_node_it_may_not_read(api: Api, loaded: Loaded, tab: Tab) -> None:
    page, leader = tab.page, loaded.numbers["1"]
    wyp = _token(api.settings, "WYP")
    # West Yorkshire's own five calls name the leader's number: it sees that number through its own
    # records (shown with its own labels), and nothing of Manchester's calls around it.
    open_chart(page, api.base, phone(leader), wyp, CASE)
    mine = {(phone(leader), "WYP"), (phone(OUTSIDE), "WYP")}
    assert {(n["id"], n["force"]) for n in node_data(page)} == mine

    with settled(page):
        page.fill("#entity", phone(OUTSIDE))
        page.click("#draw")
    assert {(n["id"], n["force"]) for n in node_data(page)} == mine

    # Manchester's analyst, expanding the leader, never sees West Yorkshire's number.
    open_chart(page, api.base, phone(leader), _token(api.settings, "GMP"), CASE, hops=1)
    with settled(page):
        click_node(page, phone(leader))
    assert phone(OUTSIDE) not in node_ids(page)
    assert {n["force"] for n in node_data(page)} == {"GMP"}
    assert tab.console == []


@pytest.mark.engines
def test_a_network_too_large_to_draw_is_explained(
    api: Api, loaded: Loaded, tab: Tab, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, leader = tab.page, loaded.numbers["1"]
    one_hop = {leader} | contacts(loaded.calls, leader)
    # The served app runs in this process: a limit between the one-hop and the two-hop network.
    monkeypatch.setattr(analytics, "MAX_NODES", len(one_hop) + 1)
    assert len(_within_two_hops(loaded.calls, leader)) > len(one_hop) + 1
    open_chart(page, api.base, phone(leader), _token(api.settings, "GMP"), CASE, hops=1)
    assert len(node_ids(page)) == len(one_hop)

    with settled(page):
        page.select_option("#hops", "2")
    message = _message(page)
    assert message.startswith("The network is too large to draw:"), message
    assert f"more than {len(one_hop) + 1} nodes" in message
    assert message.endswith("Choose fewer hops or a narrower time window.")
    # The one-hop drawing is not left beside the message as if it were the answer.
    assert node_ids(page) == set()
    assert page.locator("#export").is_disabled()


@pytest.mark.engines
def test_a_spent_query_budget_is_explained(
    loaded: Loaded, stack: Settings, es_client: Elasticsearch, tab: Tab, tmp_path: Path
) -> None:
    settings = shell_settings(stack, tmp_path, api_cost_budget=10)  # less than any of the chart's queries
    ensure_audit_index(es_client, settings)
    with served(create_app(settings)) as base:
        open_chart(tab.page, base, phone(loaded.numbers["1"]), _token(settings, "GMP"), CASE)
    message = _message(tab.page)
    assert message.startswith("Too many requests (429): your query budget is spent for now."), message
    assert re.search(r"Try again in \d+ seconds\.$", message), message
