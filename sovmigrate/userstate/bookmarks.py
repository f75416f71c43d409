"""Browser bookmarks from a Windows profile, written for Firefox ESR as a bookmarks.html file.

Sources: Chrome/Edge ``Bookmarks`` JSON, Internet Explorer/Edge ``Favorites`` ``.url`` files,
and a Firefox ``places.sqlite`` when it is a readable SQLite database. The result is one
Netscape bookmarks file (the format every browser imports).
"""

from __future__ import annotations

import contextlib
import html
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def from_chromium(path: Path) -> list[tuple[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return []
    out: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "url" and isinstance(node.get("url"), str):
                out.append((str(node.get("name") or node["url"]), node["url"]))
            for child in node.get("children", []) if isinstance(node.get("children"), list) else []:
                walk(child)
            if "roots" in node and isinstance(node["roots"], dict):
                for root in node["roots"].values():
                    walk(root)

    walk(data)
    return out


def url_of_shortcut(path: Path) -> str:
    """The URL= line of a Windows ``.url`` file ("" when there is none)."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "url":
            return value.strip()
    return ""


def from_firefox(path: Path) -> list[tuple[str, str]]:
    """Bookmarks of a places.sqlite; [] when it is not a readable database."""
    try:
        uri = f"file:{path}?mode=ro&immutable=1"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            rows = db.execute(
                "SELECT COALESCE(b.title, p.url), p.url FROM moz_bookmarks b "
                "JOIN moz_places p ON p.id = b.fk WHERE b.type = 1 ORDER BY b.id"
            ).fetchall()
    except sqlite3.Error:
        return []
    return [(str(t), str(u)) for t, u in rows if str(u).startswith(("http:", "https:", "ftp:"))]


def unique(items: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    seen = set()
    for title, url in items:
        if url and url not in seen:
            seen.add(url)
            yield title, url


def netscape_html(items: list[tuple[str, str]], folder: str) -> str:
    lines = [
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
        "<TITLE>Bookmarks</TITLE>",
        "<H1>Bookmarks</H1>",
        "<DL><p>",
        f"    <DT><H3>{html.escape(folder)}</H3>",
        "    <DL><p>",
    ]
    for title, url in unique(items):
        lines.append(f'        <DT><A HREF="{html.escape(url)}">{html.escape(title)}</A>')
    lines += ["    </DL><p>", "</DL><p>", ""]
    return "\n".join(lines)
