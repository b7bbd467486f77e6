"""Real Dovecot and Postfix servers for the test suite (see mailservers.py and fixtures.py)."""

from .dovecot import CAPABILITY_WITHOUT_CONDSTORE, SPECIAL_USE_FOLDERS, Dovecot, MailUser
from .mailservers import MailServers, start_mail_servers
from .netutil import ServerStartError

__all__ = [
    "CAPABILITY_WITHOUT_CONDSTORE",
    "SPECIAL_USE_FOLDERS",
    "Dovecot",
    "MailServers",
    "MailUser",
    "ServerStartError",
    "start_mail_servers",
]
