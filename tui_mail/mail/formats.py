"""How dates are written where a message is shown (a light module: the UI imports it at start)."""

HEADER_DATE = "%a, %d %b %Y %H:%M %z"  # the Date line of the header block
