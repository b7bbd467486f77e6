"""Autocrypt Level 1 (autocrypt.org/level1.html): the header that carries a sender's key, the
state kept about each peer from the mail they send, and the recommendation whether to encrypt.

Pure: parsing and the rules. The cache keeps the peers (store), gpg uses their keys
(crypto.sealing), the composer asks for the recommendation.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

MAX_HEADER = 10 * 1024  # bytes: a larger header is invalid (level 1, "The Autocrypt Header")
STALE = timedelta(days=35)  # a key older than this before the peer's last mail: discouraged


@dataclass(frozen=True)
class AutocryptHeader:
    addr: str  # lower-cased
    mutual: bool  # prefer-encrypt=mutual
    keydata: bytes  # the OpenPGP transferable public key, binary


def parse_autocrypt(values: list[str], from_addr: str) -> AutocryptHeader | None:
    """The one valid Autocrypt header among `values` for the From address, or None (none
    valid, or more than one: all discarded, as level 1 says)."""
    valid = [header for value in values
             if (header := _parse_one(value)) is not None and header.addr == from_addr.lower()]
    return valid[0] if len(valid) == 1 else None


def _parse_one(value: str) -> AutocryptHeader | None:
    if len(value.encode("utf-8", "replace")) > MAX_HEADER:
        return None
    attributes: dict[str, str] = {}
    for part in value.split(";"):  # base64 holds no ";": keydata may come anywhere
        if not part.strip():
            continue
        name, equals, content = part.partition("=")
        if not equals:
            return None
        name = name.strip().lower()
        if name.startswith("_"):
            continue  # non-critical: ignored
        if name not in ("addr", "prefer-encrypt", "keydata") or name in attributes:
            return None  # a critical attribute we do not know makes the header invalid
        attributes[name] = content.strip()
    if "addr" not in attributes or "keydata" not in attributes:
        return None
    try:
        keydata = base64.b64decode("".join(attributes["keydata"].split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not keydata:
        return None
    return AutocryptHeader(attributes["addr"].lower(),
                           attributes.get("prefer-encrypt", "").lower() == "mutual", keydata)


def autocrypt_header(addr: str, keydata: bytes, mutual: bool) -> str:
    """The header value the user's mail carries, folded in lines of 76."""
    encoded = base64.b64encode(keydata).decode("ascii")
    lines = [encoded[i:i + 76] for i in range(0, len(encoded), 76)]
    prefer = " prefer-encrypt=mutual;" if mutual else ""
    return f"addr={addr};{prefer} keydata=\r\n " + "\r\n ".join(lines)


def with_header(raw: bytes, value: str) -> bytes:
    """`raw` with an Autocrypt header (`autocrypt_header`'s value) at the end of its header
    block (an old one for the same sender replaced)."""
    match = re.search(rb"\r?\n\r?\n", raw)
    end = match.start() if match else len(raw)
    head = re.sub(rb"(?im)^autocrypt:.*(?:\r?\n[ \t].*)*\r?\n?", b"", raw[:end] + b"\r\n")
    return head + b"Autocrypt: " + value.encode("ascii") + raw[end:]


def automatic(auto_submitted: str, content_type: str) -> bool:
    """Mail a program wrote, not the peer (RFC 3834's Auto-Submitted other than "no", or a
    multipart/report such as a read receipt or a bounce): it changes no peer's state, since
    it may come from a server or a vacation responder that knows nothing of their keys."""
    submitted = auto_submitted.split(";")[0].strip().lower()  # "auto-replied; ..." too
    report = content_type.strip().lower().startswith("multipart/report")
    return submitted not in ("", "no") or report


def is_setup_message(raw: bytes) -> bool:
    """Whether `raw` is an Autocrypt Setup Message (level 1): `Autocrypt-Setup-Message: v1`,
    from an address to that same address (a setup is only ever sent to oneself)."""
    from email.utils import getaddresses

    from tui_mail.mail.protected import header_fields, split_head

    fields: dict[str, list[str]] = {}
    for name, line in header_fields(split_head(raw)[0]):
        value = line.split(b":", 1)[1].decode("utf-8", "replace").strip()
        fields.setdefault(name.lower(), []).append(value)
    if fields.get("autocrypt-setup-message", [""])[0].lower() != "v1":
        return False
    senders = {a.lower() for _, a in getaddresses(fields.get("from", [])) if a}
    recipients = {a.lower() for _, a in getaddresses(fields.get("to", [])) if a}
    return len(senders) == 1 and senders == recipients


NEVER_SEEN = datetime.fromtimestamp(0, UTC)  # a peer known from gossip only: no mail of theirs


@dataclass(frozen=True)
class Peer:
    """What the user's mail program knows of one correspondent (level 1 "peers")."""

    address: str
    last_seen: datetime  # NEVER_SEEN for one known only from gossip
    autocrypt_timestamp: datetime | None = None
    public_key: bytes | None = None
    mutual: bool = False
    # What someone else's encrypted group mail said of their key (Autocrypt-Gossip).
    gossip_timestamp: datetime | None = None
    gossip_key: bytes | None = None

    @property
    def key(self) -> bytes | None:
        """The key to encrypt to: their own header's, else gossip's."""
        return self.public_key or self.gossip_key


def updated(peer: Peer | None, address: str, effective: datetime,
            header: AutocryptHeader | None) -> Peer | None:
    """The peer's state after a message from them of `effective` date ("Updating Autocrypt
    Peer State"); None when nothing changes."""
    if peer is not None and peer.autocrypt_timestamp is not None \
            and effective < peer.autocrypt_timestamp:
        return None
    changed = peer or Peer(address, effective)
    if effective > changed.last_seen:
        changed = replace(changed, last_seen=effective)
    if header is None:
        return changed if changed != peer else None
    return replace(changed, autocrypt_timestamp=effective, public_key=header.keydata,
                   mutual=header.mutual)


def gossiped(peer: Peer | None, address: str, effective: datetime,
             keydata: bytes) -> Peer | None:
    """The peer's state after an encrypted message of `effective` date gossiped their key
    ("Updating Autocrypt Peer State from Key Gossip"); None when it is not newer."""
    if peer is not None and peer.gossip_timestamp is not None \
            and effective <= peer.gossip_timestamp:
        return None
    base = peer or Peer(address, NEVER_SEEN)
    return replace(base, gossip_timestamp=effective, gossip_key=keydata)


def gossip_of(values: list[str], recipients: set[str]) -> dict[str, bytes]:
    """The keys Autocrypt-Gossip headers give, by address: only for the message's recipients
    (level 1: a gossip header for anyone else is ignored), one valid header each."""
    found: dict[str, list[bytes]] = {}
    for value in values:
        header = _parse_one(value)
        if header is not None and header.addr in recipients:
            found.setdefault(header.addr, []).append(header.keydata)
    return {address: keys[0] for address, keys in found.items() if len(keys) == 1}


class Recommendation(enum.IntEnum):
    """Level 1's ui-recommendation, ordered: a message to several takes the lowest."""

    DISABLE = 0
    DISCOURAGE = 1
    AVAILABLE = 2
    ENCRYPT = 3


def recommend(peer: Peer | None, own_mutual: bool, reply_to_encrypted: bool) -> Recommendation:
    """The recommendation for one recipient (a peer whose key is unusable is given as one
    without a key)."""
    if peer is None or peer.key is None:
        return Recommendation.DISABLE
    if peer.public_key is None or peer.autocrypt_timestamp is None:
        preliminary = Recommendation.DISCOURAGE  # a key only someone else vouched for
    else:
        preliminary = Recommendation.DISCOURAGE \
            if peer.last_seen - peer.autocrypt_timestamp > STALE else Recommendation.AVAILABLE
    if reply_to_encrypted or (preliminary is Recommendation.AVAILABLE and peer.mutual
                              and own_mutual):
        return Recommendation.ENCRYPT
    return preliminary


def recommend_all(peers: list[Peer | None], own_mutual: bool,
                  reply_to_encrypted: bool) -> Recommendation:
    """For a message to several: the lowest of theirs (disable if any cannot be encrypted
    to; encrypt only if each would be)."""
    if not peers:
        return Recommendation.DISABLE
    return min(recommend(peer, own_mutual, reply_to_encrypted) for peer in peers)
