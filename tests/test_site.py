"""`make docs` builds the tutorial as a static site that works offline, in a real browser.

The site (build/site/) is served on 127.0.0.1 and every page is opened in headless Chromium (Debian's
`chromium`, driven by playwright: playwright cannot download its own browser here). Each page must
load with no console error and no request to another host, every image must decode, every link
inside the site must lead to a file of the site, and every notebook must be on a page, whole.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.parse

import nbformat
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from werkzeug.exceptions import NotFound
from werkzeug.utils import send_from_directory

from service import NOTEBOOKS, PRODUCTION_TRACK
from spamcheck.paths import ROOT

pytestmark = pytest.mark.notebooks

SITE = ROOT / "build" / "site"


@pytest.fixture(scope="module")
def site():
    """`make docs`, then the site served on a free port of 127.0.0.1."""
    built = subprocess.run(
        [sys.executable, "scripts/build_site.py"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(re.compile("^/")).respond_with_handler(static_file)
    server.start()
    yield server.url_for("").rstrip("/")
    server.stop()


def static_file(request: Request) -> Response:
    """The file of the built site at the request's path (a folder: its index.html), or a 404."""
    path = request.path.lstrip("/")
    try:
        return send_from_directory(
            SITE, path + "index.html" if not path or path.endswith("/") else path, request.environ
        )
    except NotFound:
        return Response("not found", status=404)


@pytest.fixture(scope="module")
def browser(missing_tool):
    # Debian's chromium here; elsewhere (GitHub's runners) Chrome, or the browser CHROMIUM names
    names = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    executable = next((found for name in names if name and (found := shutil.which(name))), None)
    if executable is None:
        missing_tool(
            "no Chromium: install Debian's chromium (apt-get install chromium) or set CHROMIUM", "requires-chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # root needs --no-sandbox; the rest keeps Chromium from calling Google's hosts on its own
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


def pages():
    return sorted(path.relative_to(SITE).as_posix() for path in SITE.rglob("*.html"))


def visit(browser, url):
    """Open ``url``; return (console errors, page errors, requests elsewhere, failed requests, page)."""
    page = browser.new_page()
    errors, page_errors, elsewhere, failed = [], [], [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urllib.parse.urlsplit(request.url).hostname not in ("127.0.0.1", None)
            and not request.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    page.on(
        "response",
        lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    page.on("requestfailed", lambda request: failed.append(f"failed {request.url}"))
    page.goto(url, wait_until="networkidle")
    return errors, page_errors, elsewhere, failed, page


def test_every_page_loads_offline_with_no_error_and_no_broken_link_or_image(site, browser, record_property):
    assert "index.html" in pages() and len(pages()) >= 15
    links_checked = 0
    for name in pages():
        errors, page_errors, elsewhere, failed, page = visit(browser, f"{site}/{name}")
        assert not errors and not page_errors, (name, errors, page_errors)
        assert not elsewhere, f"{name} asks other hosts for {elsewhere}"
        assert not failed, (name, failed)
        broken_images = page.eval_on_selector_all(
            "img", "images => images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert not broken_images, (name, broken_images)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urllib.parse.urlsplit(href)
            if parts.hostname != "127.0.0.1" or not parts.path:
                continue  # links to other sites are not followed: there is no network
            target = SITE / urllib.parse.unquote(parts.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{name} links to {href}, which the site does not have"
            links_checked += 1
        page.close()
    record_property("site", f"{len(pages())} pages opened in Chromium, {links_checked} links inside the site checked")


def test_the_front_page_shows_the_picture_and_the_navigation_the_reader_needs(site, browser):
    errors, _, _, _, page = visit(browser, f"{site}/index.html")
    assert page.eval_on_selector("img[src$='path.svg']", "image => image.naturalWidth") > 0
    navigation = page.inner_text("nav.md-nav--primary")
    assert "The article's path" in navigation and "the production track" in navigation
    titles = [nbformat.read(path, as_version=4).cells[0].source.splitlines()[0].lstrip("# ") for path in NOTEBOOKS]
    for title in [*titles, "Departures from the article", "Results", "What ran where"]:
        assert title in navigation, title
    page.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_is_on_a_page_whole_with_hidden_solutions(site, browser, path):
    notebook = nbformat.read(path, as_version=4)
    _, _, _, _, page = visit(browser, f"{site}/notebooks/{path.stem}.html")
    # each cell is one element with an id "cell-id=..." (inside a wrapper with the same classes)
    assert page.locator("[id^='cell-id=']").count() == len(notebook.cells)
    title = notebook.cells[0].source.splitlines()[0].lstrip("# ")
    assert title in page.inner_text("article")
    solutions = [c for c in notebook.cells if "solution" in c.metadata.get("tags", [])]
    details = page.locator("details.solution")
    assert details.count() == len(solutions) and not any(
        details.nth(i).get_attribute("open") is not None for i in range(details.count())
    )
    if solutions:  # the production track's notebooks have none
        details.first.locator("summary").click()
        assert details.first.locator("[id^='cell-id=']").is_visible()
    beyond = [c for c in notebook.cells if c.cell_type == "code" and "beyond-article" in c.metadata.get("tags", [])]
    assert page.locator("[id^='cell-id='].jp-CodeCell.celltag_beyond-article").count() == len(beyond)
    page.close()


def beyond_lines(path) -> list[str]:
    """The first line of each code cell beyond the article that no other cell holds."""
    cells = nbformat.read(path, as_version=4).cells
    article = "\n".join(c.source for c in cells if "beyond-article" not in c.metadata.get("tags", []))
    beyond = [c for c in cells if c.cell_type == "code" and "beyond-article" in c.metadata.get("tags", [])]
    lines = [c.source.strip().splitlines()[0].strip() for c in beyond if c.source.strip()]
    return [line for line in lines if len(line) > 15 and line not in article]


HIDDEN = "cells => cells.every(cell => cell.offsetParent === null)"
SHOWN = "cells => cells.every(cell => cell.offsetParent !== null)"


def test_the_article_only_switch_hides_every_part_beyond_the_article_from_page_to_page(site, browser):
    context = browser.new_context()  # one reader: the choice is kept in this context's localStorage
    page = context.new_page()
    first = next(path for path in NOTEBOOKS if beyond_lines(path))  # an article notebook with a trap's note
    production = PRODUCTION_TRACK[0]
    page.goto(f"{site}/notebooks/{first.stem}.html", wait_until="networkidle")
    switch = page.locator("#article-only")
    assert not switch.is_checked()
    assert all(line in page.inner_text("article") for line in beyond_lines(first))
    switch.check()
    shown = page.inner_text("article")
    assert not any(line in shown for line in beyond_lines(first))
    assert page.locator(".celltag_beyond-article").evaluate_all(HIDDEN)
    assert "Recap" in shown, "the article's step and its recap stay"
    # remembered on the next page: a notebook of the production track is hidden whole, and says why
    page.goto(f"{site}/notebooks/{production.stem}.html", wait_until="networkidle")
    assert page.locator("#article-only").is_checked()
    assert page.locator("[id^='cell-id=']").evaluate_all(HIDDEN)
    assert "the production track, beyond the article" in page.inner_text("article")
    page.locator("#article-only").uncheck()
    assert page.locator("[id^='cell-id=']").evaluate_all(SHOWN)
    assert "the production track, beyond the article" not in page.inner_text("article")
    context.close()
