"""Turn the tables an HTML mail uses for layout into plain blocks before it becomes text.

Newsletters lay out the whole message in nested tables. Converted as tables, a cell's
paragraphs run together on one line ("Frankfurt[1]Lower latency...") and the grid leaves
stray `|` and `---` lines. A table is taken for layout when it holds another table or a block
element (p, div, h1-h6, lists, blockquote, pre) in a cell, has one column only, or says
role="presentation"; its table, row and cell tags become `<div>`s, so each cell is a block of
its own. Other tables (a grid of short values) stay tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre",
           "table", "hr", "center"}
_CELLS = {"td", "th"}
_SECTIONS = {"thead", "tbody", "tfoot", "caption", "colgroup", "col"}
_TABLE_TAGS = {"table", "tr"} | _CELLS | _SECTIONS


@dataclass
class _Table:
    """One <table> of the document, as the layout pass sees it."""

    number: int  # order of its <table> tag in the document
    layout: bool = False
    cells_in_row: int = 0
    most_cells: int = 0

    def settle(self) -> None:
        if self.most_cells <= 1:
            self.layout = True


class _Tokens(HTMLParser):
    """Every piece of the document as (tag or None, start/end/other, source text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str | None, str, str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append((tag, "start", self.get_starttag_text() or "", dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append((tag, "startend", self.get_starttag_text() or "", dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append((tag, "end", f"</{tag}>", {}))

    def handle_data(self, data: str) -> None:
        self.tokens.append((None, "data", data, {}))

    def handle_entityref(self, name: str) -> None:
        self.tokens.append((None, "data", f"&{name};", {}))

    def handle_charref(self, name: str) -> None:
        self.tokens.append((None, "data", f"&#{name};", {}))

    def handle_decl(self, decl: str) -> None:
        self.tokens.append((None, "other", f"<!{decl}>", {}))

    def handle_comment(self, data: str) -> None:
        self.tokens.append((None, "other", f"<!--{data}-->", {}))

    def handle_pi(self, data: str) -> None:
        self.tokens.append((None, "other", f"<?{data}>", {}))

    def unknown_decl(self, data: str) -> None:
        end = "]]>" if data.startswith("CDATA[") else "]>"  # <![CDATA[x]]>, <![if !mso]>
        self.tokens.append((None, "other", f"<![{data}{end}", {}))


def _layout_decisions(tokens: list[tuple[str | None, str, str, dict[str, str | None]]]
                      ) -> dict[int, bool]:
    """Table number -> is it a layout table."""
    decisions: dict[int, bool] = {}
    stack: list[_Table] = []
    in_cell: list[bool] = []  # per open table: inside one of its cells
    count = 0
    for tag, kind, _, attrs in tokens:
        if kind not in ("start", "end") or tag is None:
            continue
        if kind == "start" and tag == "table":
            if stack and in_cell[-1]:
                stack[-1].layout = True
            role = (attrs.get("role") or "").lower()
            stack.append(_Table(count, layout=role == "presentation"))
            in_cell.append(False)
            count += 1
        elif kind == "start" and stack:
            if tag == "tr":
                stack[-1].cells_in_row = 0
                in_cell[-1] = False
            elif tag in _CELLS:
                stack[-1].cells_in_row += 1
                stack[-1].most_cells = max(stack[-1].most_cells, stack[-1].cells_in_row)
                in_cell[-1] = True
            elif tag in _BLOCKS and in_cell[-1]:
                stack[-1].layout = True
        elif kind == "end" and tag == "table" and stack:
            table = stack.pop()
            in_cell.pop()
            table.settle()
            decisions[table.number] = table.layout
    for table in stack:  # never closed
        table.settle()
        decisions[table.number] = table.layout
    return decisions


def unwrap_layout_tables(html: str) -> str:
    """`html` with its layout tables made into blocks (see the module's docstring)."""
    parser = _Tokens()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # the parser is lenient, but never lose the message over it
        return html
    tokens = parser.tokens
    decisions = _layout_decisions(tokens)
    if not any(decisions.values()):
        return html
    out: list[str] = []
    open_tables: list[bool] = []  # is each open table a layout one
    count = 0
    for tag, kind, text, _ in tokens:
        if tag == "table" and kind == "start":
            open_tables.append(decisions.get(count, False))
            count += 1
            out.append("<div>" if open_tables[-1] else text)
            continue
        if tag == "table" and kind == "end":
            layout = open_tables.pop() if open_tables else False
            out.append("</div>" if layout else text)
            continue
        if tag in _TABLE_TAGS and kind in ("start", "end") and open_tables and open_tables[-1]:
            if tag in _SECTIONS:
                continue
            out.append("<div>" if kind == "start" else "</div>")
            continue
        out.append(text)
    return "".join(out)
