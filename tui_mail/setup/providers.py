"""Well-known mail providers whose settings are published and stable, tried before DNS."""

from __future__ import annotations

from dataclasses import dataclass

from tui_mail.model import Protocol, Security


@dataclass(frozen=True)
class Endpoint:
    """One server to try: where it is and how the connection is protected."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    source: str = ""  # "provider table", "SRV record", "conventional name"

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.security.value})"


@dataclass(frozen=True)
class Provider:
    name: str
    incoming: tuple[Endpoint, ...]
    smtp: tuple[Endpoint, ...]
    note: str = ""


_APP_PASSWORD = "needs an app password, not the web password"


def _provider(name: str, imap: str, smtp: str, note: str = "", *, imap_port: int = 993,
              imap_security: Security = Security.TLS, smtp_port: int = 465,
              smtp_security: Security = Security.TLS) -> Provider:
    source = "provider table"
    return Provider(
        name,
        (Endpoint(Protocol.IMAP, imap, imap_port, imap_security, source),),
        (Endpoint(Protocol.SMTP, smtp, smtp_port, smtp_security, source),),
        note,
    )


_GMAIL = _provider("Gmail", "imap.gmail.com", "smtp.gmail.com",
                   "needs an app password, not the web password; or use \"Sign in with Google\" "
                   "instead of a password")
_OUTLOOK = _provider("Outlook.com / Microsoft 365", "outlook.office365.com", "smtp.office365.com",
                     "accounts usually need \"Sign in with Microsoft\" (OAuth2): passwords are "
                     "often refused", smtp_port=587, smtp_security=Security.STARTTLS)
_YAHOO = _provider("Yahoo Mail", "imap.mail.yahoo.com", "smtp.mail.yahoo.com", _APP_PASSWORD)
_ICLOUD = _provider("iCloud Mail", "imap.mail.me.com", "smtp.mail.me.com",
                    "needs an app-specific password (appleid.apple.com)", smtp_port=587,
                    smtp_security=Security.STARTTLS)
_FASTMAIL = _provider("Fastmail", "imap.fastmail.com", "smtp.fastmail.com", _APP_PASSWORD)
_GMX = _provider("GMX", "imap.gmx.net", "mail.gmx.net",
                 "IMAP access must be enabled in the GMX web settings", smtp_port=587,
                 smtp_security=Security.STARTTLS)
_WEB_DE = _provider("WEB.DE", "imap.web.de", "smtp.web.de",
                    "IMAP access must be enabled in the WEB.DE web settings", smtp_port=587,
                    smtp_security=Security.STARTTLS)
_POSTEO = _provider("Posteo", "posteo.de", "posteo.de", smtp_port=587,
                    smtp_security=Security.STARTTLS)
_MAILBOX_ORG = _provider("mailbox.org", "imap.mailbox.org", "smtp.mailbox.org")
_PROTON = _provider("Proton Mail (through Proton Mail Bridge)", "127.0.0.1", "127.0.0.1",
                    "Proton Mail works only through the Bridge app running on this computer; use "
                    "the password the Bridge shows, and its certificate as ca_file",
                    imap_port=1143, imap_security=Security.STARTTLS, smtp_port=1025,
                    smtp_security=Security.STARTTLS)

PROVIDERS: dict[str, Provider] = {
    "gmail.com": _GMAIL, "googlemail.com": _GMAIL,
    "outlook.com": _OUTLOOK, "hotmail.com": _OUTLOOK, "live.com": _OUTLOOK, "msn.com": _OUTLOOK,
    "office365.com": _OUTLOOK,
    "yahoo.com": _YAHOO,
    "icloud.com": _ICLOUD, "me.com": _ICLOUD, "mac.com": _ICLOUD,
    "fastmail.com": _FASTMAIL, "fastmail.fm": _FASTMAIL,
    "web.de": _WEB_DE,
    "posteo.de": _POSTEO, "posteo.net": _POSTEO,
    "mailbox.org": _MAILBOX_ORG,
    "proton.me": _PROTON, "protonmail.com": _PROTON, "pm.me": _PROTON,
}


def provider_for(domain: str) -> Provider | None:
    """The provider serving `domain`, if it is a well-known one (gmx.* covers every GMX domain)."""
    domain = domain.lower().rstrip(".")
    if domain in PROVIDERS:
        return PROVIDERS[domain]
    if domain.split(".", 1)[0] == "gmx":
        return _GMX
    return None
