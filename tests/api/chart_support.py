"""What the link chart's browser tests need: the real app served on a free port, Debian's chromium
driven by Playwright, the chart opened as a user would, and the hash of the chart's sources.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import uvicorn
from playwright.sync_api import Browser, Page, Playwright
from starlette.applications import Starlette

CHART_SOURCES = Path(__file__).resolve().parents[2] / "chart"


def sources_hash(folder: Path = CHART_SOURCES) -> str:
    """The hash ``chart/build.mjs`` records: each source's path, NUL, content, NUL, in path order."""
    files = [folder / "build.mjs", folder / "package.json", folder / "package-lock.json"]
    files += [p for p in (folder / "src").rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for name, path in sorted((p.relative_to(folder).as_posix(), p) for p in files):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        raise RuntimeError(
            "the link chart's tests drive Debian's chromium, which is not on PATH: "
            "apt-get install chromium fonts-liberation (scripts/bootstrap does it as root)"
        )
    return found


def launch(playwright: Playwright) -> Browser:
    """Headless chromium from the system (Playwright never downloads a browser here)."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(app: Starlette) -> Iterator[str]:
    """``app`` served by uvicorn in a thread (lifespan and all) until the block ends; its base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="chart-test-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def open_chart(page: Page, base: str, entity: str, token: str, purpose: str, hops: int = 2) -> None:
    """Opens ``/chart?id=entity``, chooses the hops, enters the token and purpose as a user does, and
    waits for the chart's answer."""
    page.goto(f"{base}/chart?id={quote(entity)}")
    page.select_option("#hops", str(hops))
    page.fill("#token", token)
    page.fill("#purpose", purpose)
    with settled(page):
        page.click("#use-token")


@contextmanager
def settled(page: Page) -> Iterator[None]:
    """Waits, after the block, until the chart has finished what the block started (drawn or failed).

    Every script the tests run in the page is a function: the page's policy forbids evaluating strings.
    """
    page.evaluate("() => { document.getElementById('cy').dataset.state = 'waiting'; }")
    yield
    page.wait_for_function(
        "() => ['ready', 'error'].includes(document.getElementById('cy').dataset.state)", timeout=60_000
    )


def node_ids(page: Page) -> set[str]:
    ids: list[str] = page.evaluate("() => window.polegraphChart.cy.nodes().map(n => n.id())")
    return set(ids)


def node_data(page: Page) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = page.evaluate("() => window.polegraphChart.cy.nodes().map(n => n.data())")
    return data


def click_node(page: Page, node_id: str) -> None:
    """Clicks the node where it is drawn (zoomed onto it first, so that no neighbour is under the pointer)."""
    page.evaluate(
        """id => { const cy = window.polegraphChart.cy; const n = cy.getElementById(id);
                   cy.zoom(2.5); cy.center(n); }""",
        node_id,
    )
    where: dict[str, float] = page.evaluate(
        "id => window.polegraphChart.cy.getElementById(id).renderedPosition()", node_id
    )
    box = page.locator("#cy").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])


def colour_counts(page: Page, png: bytes, colours: list[str]) -> dict[str, int]:
    """How many pixels of a PNG have each of ``colours`` (hex), decoded by the browser's own decoder
    on a blank page of its own."""
    blank = page.context.new_page()
    try:
        counts: dict[str, int] = blank.evaluate(
            """async ([data, colours]) => {
                 const image = new Image();
                 image.src = 'data:image/png;base64,' + data;
                 await image.decode();
                 const canvas = document.createElement('canvas');
                 canvas.width = image.width; canvas.height = image.height;
                 const context = canvas.getContext('2d');
                 context.drawImage(image, 0, 0);
                 const pixels = context.getImageData(0, 0, image.width, image.height).data;
                 const wanted = new Map(colours.map(c => [parseInt(c.slice(1), 16), c]));
                 const counts = Object.fromEntries(colours.map(c => [c, 0]));
                 for (let i = 0; i < pixels.length; i += 4) {
                   const colour = wanted.get((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
                   if (colour !== undefined) counts[colour] += 1;
                 }
                 return counts;
               }""",
            [base64.b64encode(png).decode(), colours],
        )
    finally:
        blank.close()
    return counts
