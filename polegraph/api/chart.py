"""The link chart: ``/chart`` and its assets under ``/chart/assets/``, served in every environment.

The page holds no data and needs no token to load: it asks ``/graphql`` with the token and purpose
the user enters, so every node it draws went through the same policy and audit as any other
request. Its assets are built from ``chart/`` at the repository root (``make chart``) into
``polegraph/api/static/chart`` and ship with the package, so serving it needs no node. Only the
files ``manifest.json`` lists are served, read once when the app is made.

The Content-Security-Policy allows scripts, styles and connections to this origin only, and no
inline script or style: the page's data cannot become code even if a recorded name is hostile.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static" / "chart"
PAGE = "index.html"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Revalidated each time (by ETag): a new release's page never runs an old release's script.
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    """One built file: its bytes, media type and ETag (its SHA-256 from the manifest)."""

    body: bytes
    media_type: str
    etag: str


def load_assets(folder: Path = STATIC) -> dict[str, Asset]:
    """The files of the built chart by name; empty (and a warning) when it was never built."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        log.warning(
            "the link chart is not built (%s is missing): /chart answers 404; run make chart", manifest
        )
        return {}
    files: dict[str, str] = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    return {
        name: Asset(
            (folder / name).read_bytes(),
            MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream"),
            f'"{digest}"',
        )
        for name, digest in files.items()
    }


def _answer(request: Request, asset: Asset | None) -> Response:
    if asset is None:
        return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def chart_routes(folder: Path = STATIC) -> list[BaseRoute]:
    """``/chart`` (the page) and ``/chart/assets/{name}`` (its script, style and licence)."""
    assets = load_assets(folder)

    async def page(request: Request) -> Response:
        return _answer(request, assets.get(PAGE))

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        return _answer(request, assets.get(name) if name != PAGE else None)

    return [Route("/chart", page, methods=["GET"]), Route("/chart/assets/{name}", asset, methods=["GET"])]
