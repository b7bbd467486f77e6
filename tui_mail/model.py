"""The domain vocabulary of tui-mail, defined once.

Every layer (config, mail, store, remote, sync, ui) speaks in these types. They are frozen
dataclasses with no behaviour that needs I/O, so any layer may import this module.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class Security(enum.StrEnum):
    """How a connection to a server is protected."""

    TLS = "tls"  # implicit TLS from the first byte (993, 995, 465)
    STARTTLS = "starttls"  # plaintext greeting, then STARTTLS/STLS, required
    NONE = "none"  # plaintext; only when written explicitly in the config


class Protocol(enum.StrEnum):
    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"


DEFAULT_PORTS: dict[tuple[Protocol, Security], int] = {
    (Protocol.IMAP, Security.TLS): 993,
    (Protocol.IMAP, Security.STARTTLS): 143,
    (Protocol.IMAP, Security.NONE): 143,
    (Protocol.POP3, Security.TLS): 995,
    (Protocol.POP3, Security.STARTTLS): 110,
    (Protocol.POP3, Security.NONE): 110,
    (Protocol.SMTP, Security.TLS): 465,
    (Protocol.SMTP, Security.STARTTLS): 587,
    (Protocol.SMTP, Security.NONE): 587,
}


@dataclass(frozen=True)
class ServerConfig:
    """One server of an account: incoming (IMAP or POP3) or outgoing (SMTP)."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str
    ca_file: Path | None = None
    tls_verify: bool = True
    password_command: str | None = None
    oauth2_token_command: str | None = None
    # A password written in the config file by the user. Works, but draws a warning.
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


class OAuth2Flow(enum.StrEnum):
    """How the user signs in: a browser on this machine, a code typed on another, or chosen."""

    AUTO = "auto"  # the browser when there is a display, else the device code
    BROWSER = "browser"  # authorization code with PKCE and a loopback redirect (RFC 8252)
    DEVICE = "device"  # device authorization grant (RFC 8628)


@dataclass(frozen=True)
class OAuth2Config:
    """How an account signs in with OAuth2: the provider's endpoints, the client, the scopes.

    Filled from the provider table (tui_mail.oauth2.providers) and the account's
    `[accounts.NAME.oauth2]` table at load, so every endpoint here is a complete https URL.
    """

    provider: str  # "google", "microsoft", or "custom"
    client_id: str
    authorization_url: str
    token_url: str
    scopes: tuple[str, ...]
    device_authorization_url: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    flow: OAuth2Flow = OAuth2Flow.AUTO
    # A command whose first line is the refresh token (for `pass` users); else the keyring.
    refresh_token_command: str | None = None
    # The CA that signs the authorization server's certificate (a private identity provider).
    ca_file: Path | None = None
    timeout: float = 30.0


class FolderRole(enum.StrEnum):
    """What a folder is for (RFC 6154 SPECIAL-USE, or guessed from its name)."""

    INBOX = "inbox"
    SENT = "sent"
    DRAFTS = "drafts"
    TRASH = "trash"
    JUNK = "junk"
    ARCHIVE = "archive"
    NONE = ""


class FolderKind(enum.StrEnum):
    """Whose folder it is, by the IMAP namespace it is in (RFC 2342).

    Only the user's own (personal) folders are ever chosen for a role: Trash in another user's
    namespace is never where `d` moves a message.
    """

    PERSONAL = ""
    OTHER_USERS = "other"  # another user's folder shared with this one ("Other Users/bob/...")
    SHARED = "shared"  # a folder shared by everyone ("Shared Folders/...", "#shared.")


def path_in_namespace(name: str, prefix: str, delimiter: str = "") -> str:
    """A folder's name inside its namespace, as the user sees it: "INBOX.Work.2024" with the
    prefix "INBOX." is "Work.2024", or "Work/2024" given the delimiter "." (levels shown
    with "/"). INBOX, and the prefix alone, stay as they are."""
    path = name[len(prefix):] if prefix and name.startswith(prefix) and name != prefix \
        else name
    return path.replace(delimiter, "/") if delimiter and delimiter != "/" else path


@dataclass(frozen=True)
class Address:
    """A mailbox: display name (may be empty) and addr-spec."""

    name: str
    email: str

    def display(self) -> str:
        """The name if there is one, else the address (what a list column shows)."""
        return self.name or self.email

    def __str__(self) -> str:
        if self.name:
            return f"{self.name} <{self.email}>"
        return self.email


@dataclass(frozen=True)
class Identity:
    """A From address an account may send as."""

    address: Address
    signature: str = ""


DOWNLOAD_BODIES = ("all", "recent", "on-open")
RECENT_DAYS = 30


class Sealing(enum.IntEnum):
    """Whether a message is signed or encrypted at its top, as the cache keeps it
    (`messages.sealed`), read from its Content-Type alone."""

    PLAIN = 0
    SIGNED = 1
    ENCRYPTED = 2
    # Encrypted, and its decrypted text is in the search index and the list, as the account
    # allows (`cache_decrypted`): store.decrypted_text.
    DECRYPTED_INDEXED = 3


class CryptoKind(enum.StrEnum):
    """The standard a signature or an encryption follows."""

    OPENPGP = "OpenPGP"
    SMIME = "S/MIME"


class SignPolicy(enum.StrEnum):
    """When the composer starts with signing on (OpenPGP, with the sender's key)."""

    NEVER = "never"
    ALWAYS = "always"
    IF_REPLYING_TO_SIGNED = "if-replying-to-signed"


class EncryptPolicy(enum.StrEnum):
    """When the composer encrypts (OpenPGP, to every recipient and the sender)."""

    NEVER = "never"
    ALWAYS = "always"  # and says who has no key, instead of sending
    # decided when sending: encrypted when every recipient has a key, else sent as it is
    IF_ALL_RECIPIENTS_HAVE_KEYS = "if-all-recipients-have-keys"


class AutocryptMode(enum.StrEnum):
    """Whether the account takes part in Autocrypt (autocrypt.org, level 1): its mail carries
    the user's key in an Autocrypt header, and correspondents' keys are learned from theirs."""

    OFF = "off"
    NO_PREFERENCE = "nopreference"  # take part; encrypt when asked or when replying encrypted
    MUTUAL = "mutual"  # and encrypt by default with anyone who says mutual too


@dataclass(frozen=True)
class Account:
    """One configured mail account."""

    name: str
    address: Address
    incoming: ServerConfig
    smtp: ServerConfig | None
    identities: tuple[Identity, ...] = ()
    signature: str = ""
    folders: dict[FolderRole, str] = field(default_factory=dict)
    # SMTP server stores sent mail itself (Gmail): do not APPEND to Sent.
    server_saves_sent: bool = False
    sendmail_command: str | None = None
    # POP3: keep mail on the server (None), or delete after N days (0 = after download).
    pop3_delete_after_days: int | None = None
    # Bodies downloaded in the background after a sync: "all" (under the cap), "recent" (of
    # the last RECENT_DAYS days) or "on-open" (only when a message is opened).
    download_bodies: str = "all"
    body_size_cap: int = 2_000_000  # bytes: larger bodies are fetched only when opened
    body_ask_above: int = 25_000_000  # bytes: opening a larger message asks first
    # IMAP: show and sync only the folders the user is subscribed to (INBOX and the folders
    # with a role always), as Thunderbird does; False: every folder, the unsubscribed dim.
    only_subscribed: bool = False
    # The authserv-id the user's own server writes in Authentication-Results (RFC 8601), the
    # only one believed; None: discovered from the topmost Received header (mail.authresults).
    authserv_id: str | None = None
    # Sign in with OAuth2 (XOAUTH2/OAUTHBEARER) on every server of the account, not a password.
    oauth2: OAuth2Config | None = None
    # New-mail notifications: whether this account gives any, and for which folders (names or
    # glob patterns, as the folder pane shows them or as the server spells them).
    notify: bool = True
    notify_folders: tuple[str, ...] = ("INBOX",)
    sign: SignPolicy = SignPolicy.NEVER
    encrypt: EncryptPolicy = EncryptPolicy.NEVER
    crypto: CryptoKind = CryptoKind.OPENPGP  # what signs and encrypts what it sends
    autocrypt: AutocryptMode = AutocryptMode.OFF
    # Ask the recipient's mail domain for their key (the Web Key Directory, over HTTPS) when
    # encrypting to an address neither the keyring nor Autocrypt has a key for.
    wkd: bool = False
    # Keep the text of encrypted mail, once opened, in the cache's search index (decrypted):
    # search then finds its words, and the list shows its real Subject.
    cache_decrypted: bool = False

    @property
    def all_identities(self) -> tuple[Identity, ...]:
        return (Identity(self.address, self.signature), *self.identities)


@dataclass(frozen=True)
class Flags:
    """The IMAP system flags a mail client shows and changes."""

    seen: bool = False
    answered: bool = False
    flagged: bool = False
    deleted: bool = False
    draft: bool = False
    forwarded: bool = False  # $Forwarded keyword

    _IMAP = (
        ("seen", "\\Seen"),
        ("answered", "\\Answered"),
        ("flagged", "\\Flagged"),
        ("deleted", "\\Deleted"),
        ("draft", "\\Draft"),
        ("forwarded", "$Forwarded"),
    )

    def to_imap(self) -> tuple[str, ...]:
        return tuple(name for attr, name in self._IMAP if getattr(self, attr))

    @classmethod
    def from_imap(cls, flags: object) -> Flags:
        """Build from an iterable of flag strings or bytes, case-insensitively."""
        names: set[str] = set()
        for f in flags or ():  # type: ignore[attr-defined]
            text = f.decode("ascii", "replace") if isinstance(f, bytes) else str(f)
            names.add(text.lower())
        return cls(**{attr: name.lower() in names for attr, name in cls._IMAP})

    def to_bits(self) -> int:
        """A compact integer form for the cache."""
        bits = 0
        for i, (attr, _) in enumerate(self._IMAP):
            if getattr(self, attr):
                bits |= 1 << i
        return bits

    @classmethod
    def from_bits(cls, bits: int) -> Flags:
        return cls(**{attr: bool(bits & (1 << i)) for i, (attr, _) in enumerate(cls._IMAP)})


@dataclass(frozen=True)
class Folder:
    """A folder of an account as the cache knows it."""

    account: str
    name: str  # full server name, e.g. "INBOX" or "Archive/2024"
    role: FolderRole = FolderRole.NONE
    delimiter: str = "/"
    total: int = 0
    unread: int = 0
    id: int = 0  # cache row id
    kind: FolderKind = FolderKind.PERSONAL
    # The namespace prefix the name starts with ("INBOX." on Courier, "Other Users/" for other
    # users' folders on Cyrus, "" on Dovecot): the tree nests by what follows it.
    prefix: str = ""
    subscribed: bool = True  # IMAP subscription (LSUB); INBOX counts as always subscribed

    @property
    def display_name(self) -> str:
        return self.name.rsplit(self.delimiter, 1)[-1] if self.delimiter else self.name

    @property
    def path(self) -> str:
        """The name inside its namespace: "INBOX.Work.2024" -> "Work.2024" (INBOX stays)."""
        return path_in_namespace(self.name, self.prefix)

    def shown(self, only_subscribed: bool) -> bool:
        """Whether the folder is listed (and synced) for an account with this
        `only_subscribed`: INBOX and the folders with a role always are."""
        return (self.subscribed or not only_subscribed or self.role is not FolderRole.NONE
                or self.name.upper() == "INBOX")


@dataclass(frozen=True)
class FolderSyncState:
    """What a folder's next sync starts from, as the server last said it: UIDVALIDITY, UIDNEXT,
    HIGHESTMODSEQ. 0 means not known (a folder never synced, a server without CONDSTORE):
    none of the three is 0 on a server that gives it (RFC 3501, RFC 7162)."""

    uidvalidity: int = 0
    uidnext: int = 0
    highestmodseq: int = 0


@dataclass(frozen=True)
class MessageSummary:
    """What one row of a message list shows; read from the cache."""

    id: int  # cache row id (stable for the life of the cached message)
    account: str
    folder: str
    uid: int | None
    message_id: str
    subject: str
    sender: Address
    date: datetime
    flags: Flags
    has_attachment: bool
    size: int
    thread_id: int = 0
    depth: int = 0  # indentation in a threaded view
    folded: int = 0  # messages of its thread hidden under it (a folded thread's first row)
    folded_unread: int = 0  # how many of those are unread
    to_text: str = ""  # the To addresses as a header value (shown for mail one sent)

    @property
    def first_recipient(self) -> str:
        """The first To name (else address), for a list row of a message one sent."""
        from email.utils import getaddresses

        found = [pair for pair in getaddresses([self.to_text]) if any(pair)]
        if not found:
            return self.to_text.strip()
        name, address = found[0]
        return name or address


@dataclass(frozen=True)
class Attachment:
    """One attachment of a parsed message."""

    filename: str  # sanitized for display; never a path
    content_type: str
    size: int
    index: int  # position among the message's attachments, used to fetch its bytes
    inline: bool = False


@dataclass(frozen=True)
class Message:
    """A parsed message, everything the viewer needs. Text fields are already sanitized."""

    subject: str
    from_: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    text_body: str | None
    html_body: str | None
    attachments: tuple[Attachment, ...]
    list_post: str = ""
    list_id: str = ""  # the mailing list it came through, for the header block ("" for none)
    defects: tuple[str, ...] = ()  # what was wrong with the input, in words


@dataclass(frozen=True)
class AttachedFile:
    """A file attached by its contents, not its path: an attachment carried over from a
    forwarded message, or a file the composer read when it was attached (so a draft keeps it
    even if the file is moved or deleted)."""

    filename: str  # a bare name, no directories
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Draft:
    """A message being written."""

    identity: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    subject: str = ""
    body: str = ""
    attachments: tuple[Path, ...] = ()
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    # Whole messages attached as message/rfc822 (forward as attachment).
    attached_messages: tuple[bytes, ...] = ()
    attached_files: tuple[AttachedFile, ...] = ()
    # An iTIP calendar part (RFC 5546: "METHOD:REPLY" answering an invitation), sent as the
    # text/calendar alternative of the body, where calendar programs look for it.
    calendar: bytes = field(default=b"", repr=False)


class SignatureState(enum.StrEnum):
    """What checking a signature found, in the words the header block uses."""

    GOOD = "good signature"
    BAD = "bad signature"  # the message changed after it was signed, or a forged signature
    UNKNOWN_KEY = "unknown key"  # the signer's key (or certificate) is not in the keyring
    EXPIRED_SIGNATURE = "signature expired"
    EXPIRED_KEY = "key expired"
    REVOKED_KEY = "key revoked"
    ERROR = "not checked"  # the check itself failed: see Signature.error


class KeyValidity(enum.StrEnum):
    """How sure the keyring is that the key belongs to the user id it names."""

    FULL = "full"  # certified (OpenPGP web of trust, ultimate) or a chain to a trusted CA
    MARGINAL = "marginal"
    UNKNOWN = "unknown"  # nobody the user trusts vouches for the key
    NEVER = "never"  # the user said not to trust it


@dataclass(frozen=True)
class Signature:
    """One signature on a message, as checked when it was opened."""

    kind: CryptoKind
    state: SignatureState
    fingerprint: str = ""  # the signing key's (OpenPGP) or certificate's (S/MIME)
    user_id: str = ""  # the name and address the key is for (sanitized)
    key_id: str = ""  # what the signature names, when the key itself is not known
    validity: KeyValidity = KeyValidity.UNKNOWN
    # False when no address of the key is the From address: a valid key of someone else
    matches_sender: bool = True
    error: str = ""  # why it could not be checked


@dataclass(frozen=True)
class Encryption:
    """The encryption a message came in, and whether it could be opened."""

    kind: CryptoKind
    decrypted: bool
    recipients: tuple[str, ...] = ()  # key ids it is encrypted to, as the message says
    error: str = ""  # why it could not be decrypted
    # The key that can open it is there but needs its passphrase (asked, then tried again).
    needs_passphrase: bool = False
    key_hint: str = ""  # the user id of that key, for the question
    # The recipients, named as the keyring knows them ("Alice <alice@example.org>"), or the key id
    # ("a hidden recipient" for an id of zeros); filled in when the message is opened.
    recipient_names: tuple[str, ...] = ()
    # Its decrypted text goes into the cache's search index (the account's cache_decrypted).
    kept_for_search: bool = False


@dataclass(frozen=True)
class ProtectedSender:
    """The From inside a signed or encrypted part when it names another address than the
    From outside. It is shown beside that From, never in its place: the one shown is the one
    signatures are checked against."""

    kind: CryptoKind
    address: str  # the inner From as written (sanitized when shown)
    signed: bool  # the inner part came with a good signature


@dataclass(frozen=True)
class UnprotectedText:
    """Text after an inline PGP block (signed or encrypted) that the block does not cover:
    not shown with the message, so the reader is told it is there."""

    kind: CryptoKind
    encrypted: bool  # after an encrypted block (else a clearsigned one)


SecurityLayer = Signature | Encryption | ProtectedSender | UnprotectedText
