"""The calendar invitation a message carries, drawn above its body: what, when (in the
reader's zone), where, who organizes it, who is invited and how they answered, how it repeats.

Every value comes from the sender's calendar data, cleaned by `mail.invite` (one line, no
control characters); it is drawn as `Content`, so "[bold]" in a title stays literal.
"""

from __future__ import annotations

from datetime import tzinfo

from textual.content import Content, Span

from tui_mail.mail.invite import Invite, describe


def invite_content(invite: Invite | None, answer_key: str = "i",
                   zone: tzinfo | None = None) -> Content:
    """The invitation's lines, labels in the header colours; a cancelled event says so in
    the warning colour; one that can be answered names the key. Empty for None."""
    if invite is None:
        return Content("")
    lines = describe(invite, zone)
    if invite.can_answer:
        lines.append(("Answer", f"press {answer_key}: accept, tentative or decline"))
    width = max(len(label) for label, _ in lines) + 2
    text_parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    for number, (label, value) in enumerate(lines):
        line = f"{label + ':':<{width}}{value}"
        if number == 0 and invite.cancelled:
            spans.append(Span(offset, offset + len(line), "bold $text-warning"))
        elif number == 0:
            spans.append(Span(offset, offset + len(label) + 1, "bold $header-label"))
            spans.append(Span(offset + width, offset + len(line), "bold $header-value"))
        elif label == "Answer":
            spans.append(Span(offset, offset + len(line), "$text-muted"))
        else:
            spans.append(Span(offset, offset + len(label) + 1, "bold $header-label"))
            spans.append(Span(offset + width, offset + len(line), "$header-value"))
        text_parts.append(line)
        offset += len(line) + 1
    return Content("\n".join(text_parts)).add_spans(spans)
