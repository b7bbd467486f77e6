"""What a failed sign-in says to the user, and what to do: one wording for the command line,
the setup screen and the app's "sign in again" screen."""

from __future__ import annotations

from tui_mail.errors import TuiMailError
from tui_mail.oauth2.flows import SignInCancelled


def failure_words(exc: TuiMailError, label: str, *, again: str,
                  check_client: str) -> tuple[bool, str]:
    """What an OAuth2 sign-in that failed with `exc` says, and what to do (`again`: how to try
    once more; `check_client`: where to check the client ID). Returns (whether the client ID
    is to blame, the message); the provider's words in it are plain text to show as such."""
    said = str(exc)
    said = said[:1].upper() + said[1:]
    code = getattr(exc, "error", "")
    if isinstance(exc, SignInCancelled):
        if code == "cancelled":
            return False, f"Sign-in cancelled. {again}"
        return False, f"{said}. {again}"
    if code in ("invalid_client", "unauthorized_client"):
        return True, f"{label} does not accept this client ({said}). {check_client} {again}"
    if code in ("unreachable", "timeout"):  # said starts with a host name: left as it is
        return False, (f"{label} cannot be reached: {exc}. Check the network connection (or "
                       f"proxy). {again}")
    if code == "invalid_request" and ("AADSTS90002" in said or "tenant" in said.lower()):
        return False, (f"{label} does not know this tenant ({said}). Check `tenant` in the "
                       f"account's oauth2 table: your organisation's domain, or leave it out. "
                       f"{again}")
    if code == "access_denied":
        return False, (f"{said}. Allow tui-mail access to your mail when you sign in; a work "
                       f"or school account may need its administrator's consent. {again}")
    return False, f"The sign-in failed: {said}. {again}"
