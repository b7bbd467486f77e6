"""Signs that a message pretends to be what it is not, said in words for the viewer.

- An attachment whose shown name hides its real extension ("report.pdf.exe", "invoice.pdf
  .exe" padded with blanks) or whose declared type disagrees with its extension.
- A From display name that holds an address other than the real sender's
  ('"paypal@paypal.com" <evil@x.ru>').

Pure functions over already sanitized values; each returns "" when there is nothing to say.
"""

from __future__ import annotations

import mimetypes
import re

from tui_mail.model import Address, Attachment

# Extensions a desktop runs, installs or opens with a script host when the file is opened.
RISKY_EXTENSIONS = frozenset({
    "exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta",
    "msi", "msp", "mst", "jar", "ps1", "psm1", "lnk", "reg", "cpl", "dll", "ocx", "sys", "inf",
    "scf", "url", "iso", "img", "vhd", "vhdx", "apk", "app", "dmg", "pkg", "sh", "bash",
    "command", "desktop", "appimage", "docm", "xlsm", "pptm", "dotm", "xltm", "chm", "gadget",
    "application", "msc", "svg", "html", "htm", "xhtml", "shtml"
})
# What a victim expects to open: a document, a picture, a sound.
DOCUMENT_EXTENSIONS = frozenset({
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "txt",
    "csv", "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "heic", "webp", "mp3", "mp4",
    "wav", "m4a", "mov", "avi", "ics", "vcf", "eml"
})
_COMPRESSION = frozenset({"gz", "bz2", "xz", "zst", "z", "lz", "lzma", "br"})
_EXT = re.compile(r"^[A-Za-z0-9]{1,8}$")
# Declared types that say "run me" whatever the name says.
_EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-msdos-program", "application/x-dosexec",
    "application/x-executable", "application/x-ms-installer", "application/x-msi",
    "application/vnd.microsoft.portable-executable", "application/x-sh",
    "application/x-shellscript", "application/hta", "application/x-ms-shortcut",
    "application/java-archive", "application/x-java-archive", "application/javascript",
    "text/javascript", "application/x-bat"
})
# Declared types too generic to disagree with anything.


def _extensions(filename: str) -> tuple[str, str, bool]:
    """(the real extension, the one before it, blanks before the last dot), lowercased;
    "" where there is none."""
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem.strip(" .") or not _EXT.match(ext):
        return "", "", False
    padded = stem != stem.rstrip()
    inner_stem, inner_dot, inner = stem.rstrip(" .").rpartition(".")
    if not inner_dot or not inner_stem or not _EXT.match(inner):
        inner = ""
    return ext.lower(), inner.lower(), padded


def _looks_like_document(ctype: str) -> bool:
    """A declared type a victim would take for a document ("application/pdf", "image/png")."""
    if ctype.startswith(("image/", "audio/", "video/")) and ctype != "image/svg+xml":
        return True
    return any(ext.lstrip(".") in DOCUMENT_EXTENSIONS
               for ext in mimetypes.guess_all_extensions(ctype, strict=False))


def attachment_warning(filename: str, content_type: str) -> str:
    """What is misleading about an attachment's name, e.g. "real type: .exe", or ""."""
    ext, inner, padded = _extensions(filename)
    ctype = content_type.lower().strip()
    if ext:
        if inner in DOCUMENT_EXTENSIONS and inner != ext and ext not in _COMPRESSION:
            return f"real type: .{ext}"
        if padded and (ext in RISKY_EXTENSIONS or inner):
            return f"real type: .{ext}"
    if ctype in _EXECUTABLE_TYPES and ext not in RISKY_EXTENSIONS:
        return f"sent as a program ({ctype})" + (f", named .{ext}" if ext else "")
    if ext in RISKY_EXTENSIONS and _looks_like_document(ctype):
        return f"real type: .{ext}, sent as {ctype}"
    return ""


def attachment_label(attachment: Attachment) -> str:
    """The warning for an attachment list, "⚠ real type: .exe", or ""."""
    warning = attachment_warning(attachment.filename, attachment.content_type)
    return f"⚠ {warning}" if warning else ""


_ADDRESS_IN_TEXT = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def display_name_warning(sender: Address) -> str:
    """'name shows paypal@paypal.com, sent from evil@x.ru' when the display name holds an
    address that is not the sender's, else ""."""
    real = sender.email.strip().lower()
    for shown in _ADDRESS_IN_TEXT.findall(sender.name or ""):
        shown = shown.strip(".")
        if shown.lower() != real:
            return f"name shows {shown}, sent from {sender.email}"
    return ""
