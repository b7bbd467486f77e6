"""Real Dovecot, Postfix and OAuth2 servers for the test suite (see mailservers.py and fixtures.py)."""

from .dovecot import CAPABILITY_WITHOUT_CONDSTORE, SPECIAL_USE_FOLDERS, Dovecot, MailUser
from .mailservers import MailServers, start_mail_servers
from .netutil import ServerStartError
from .oauth import OAuthServer

__all__ = [
    "CAPABILITY_WITHOUT_CONDSTORE",
    "SPECIAL_USE_FOLDERS",
    "Dovecot",
    "MailServers",
    "MailUser",
    "OAuthServer",
    "ServerStartError",
    "start_mail_servers",
]
