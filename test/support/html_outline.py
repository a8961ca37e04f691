"""Parse an HTML file with Python's html.parser (a real, independent parser) and print its outline as
JSON: every id, every in-page link, and for each <tr> with an id or class: its class, id and cell texts.
Unbalanced or unknown markup raises, so a malformed report fails the test."""
import json
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.rows: list[dict] = []
        self.stack: list[str] = []
        self.row: dict | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        if tag == "tr":
            self.row = {"class": a.get("class"), "id": a.get("id"), "cells": []}
        if tag in ("td", "th") and self.row is not None:
            self.cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            raise SystemExit(f"unbalanced </{tag}> at line {self.getpos()[0]}, open: {self.stack[-3:]}")
        self.stack.pop()
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row["cells"].append(" ".join("".join(self.cell).split()))
            self.cell = None
        if tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


p = Outline()
with open(sys.argv[1], encoding="utf-8") as f:
    p.feed(f.read())
p.close()
if p.stack != []:
    raise SystemExit(f"unclosed tags at the end: {p.stack}")
print(json.dumps({"ids": p.ids, "links": p.links, "rows": p.rows}))
