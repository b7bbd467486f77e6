"""RFC 3676 format=flowed: join soft-broken lines back into paragraphs."""

from __future__ import annotations


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join flowed lines (ending in a space) with the next line of the same quote depth.

    Quote markers are kept once at the start of each joined paragraph; space-stuffing is
    removed; the signature separator "-- " is never joined.
    """
    out: list[str] = []
    paragraph: list[str] = []
    para_depth = -1

    def close() -> None:
        nonlocal paragraph, para_depth
        if paragraph:
            prefix = ">" * para_depth + (" " if para_depth else "")
            out.append(prefix + "".join(paragraph))
        paragraph, para_depth = [], -1

    for line in text.split("\n"):
        line = line.removesuffix("\r")
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing, or the space after quote markers
        if paragraph and depth != para_depth:
            close()
        para_depth = depth
        if content.endswith(" ") and content != "-- ":
            paragraph.append(content[:-1] if delsp else content)
            continue
        paragraph.append(content)
        close()
    close()
    return "\n".join(out)
