"""Protocol adapters (IMAP, POP3, SMTP): no Textual, no SQL.

Importing the package first gives imapclient its version without `importlib.metadata`
(see `imapclient_version`): every import of imapclient goes through a module of this package.
"""

from tui_mail.remote.imapclient_version import provide_imapclient_version

provide_imapclient_version()
