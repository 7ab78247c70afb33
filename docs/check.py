#!/usr/bin/env python3
"""Builds the book and fails on anything broken: `python3 docs/check.py`.

mdBook reports a missing include file only as a log line and renders a missing anchor as
nothing at all, and it never checks links. This script makes all of those errors:

1. `mdbook build` must succeed and log no ERROR or WARN line;
2. every `{{#include path:anchor}}` in docs/src must name an existing file with a
   non-empty `ANCHOR: anchor` ... `ANCHOR_END: anchor` block;
3. no `{{#` marker may survive into the rendered HTML;
4. every relative link and image in the rendered chapters must point to a file of the
   book, and every `#fragment` to an id on the target page.

Needs python3 (standard library only) and mdbook on PATH.
"""

import html.parser
import pathlib
import re
import subprocess
import sys
import urllib.parse

DOCS = pathlib.Path(__file__).resolve().parent
SRC = DOCS / "src"
OUT = DOCS / "book"
INCLUDE = re.compile(r"\{\{#(include|rustdoc_include)\s+([^}\s]+)\s*\}\}")

errors = []


def build():
    run = subprocess.run(["mdbook", "build", str(DOCS)], capture_output=True, text=True)
    log = run.stdout + run.stderr
    for line in log.splitlines():
        if re.search(r"\b(ERROR|WARN)\b", line):
            errors.append(f"mdbook: {line.strip()}")
    if run.returncode != 0:
        errors.append(f"mdbook build failed with status {run.returncode}:\n{log}")


def check_includes():
    for page in sorted(SRC.rglob("*.md")):
        for match in INCLUDE.finditer(page.read_text(encoding="utf-8")):
            target, _, anchor = match.group(2).partition(":")
            path = (page.parent / target).resolve()
            where = f"{page.relative_to(DOCS)}: {match.group(0)}"
            if not path.is_file():
                errors.append(f"{where}: no such file {path}")
                continue
            if not anchor or anchor.split(":")[0].isdigit():
                continue  # whole file or line ranges
            text = path.read_text(encoding="utf-8")
            block = re.search(
                rf"ANCHOR:\s*{re.escape(anchor)}\b(.*?)ANCHOR_END:\s*{re.escape(anchor)}\b",
                text,
                re.S,
            )
            if block is None:
                errors.append(f"{where}: anchor `{anchor}` not found in {target}")
            elif not block.group(1).strip(" \n/"):
                errors.append(f"{where}: anchor `{anchor}` is empty")


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for attr in ("href", "src"):
            if attrs.get(attr):
                self.links.append(attrs[attr])


def parse(path, cache={}):
    if path not in cache:
        page = Page()
        page.feed(path.read_text(encoding="utf-8"))
        cache[path] = page
    return cache[path]


def check_html():
    chapters = [p for p in OUT.rglob("*.html") if p.name not in ("print.html", "404.html", "toc.html")]
    if not chapters:
        errors.append(f"no HTML in {OUT}")
    for page_path in sorted(chapters):
        text = page_path.read_text(encoding="utf-8")
        if "{{#" in text:
            errors.append(f"{page_path.relative_to(DOCS)}: unexpanded `{{{{#` marker")
        for link in parse(page_path).links:
            url = urllib.parse.urlsplit(link)
            if url.scheme or url.netloc or link.startswith(("mailto:", "javascript:")):
                continue
            target = page_path if not url.path else (page_path.parent / urllib.parse.unquote(url.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = f"{page_path.relative_to(DOCS)}: link `{link}`"
            if not target.exists():
                errors.append(f"{where}: no such file")
            elif url.fragment and target.suffix == ".html" and url.fragment not in parse(target).ids:
                errors.append(f"{where}: no id `{url.fragment}` in {target.relative_to(DOCS)}")


def main():
    if "--no-build" not in sys.argv:
        build()
    check_includes()
    check_html()
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        print(f"the book has {len(errors)} problem(s)", file=sys.stderr)
        return 1
    pages = len([p for p in OUT.rglob("*.html") if p.name not in ("print.html", "404.html", "toc.html")])
    print(f"book OK: {pages} pages, includes and links checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
