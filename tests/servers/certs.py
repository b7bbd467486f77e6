"""TLS material for the test servers: a CA that signed them, and a CA that did not."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TestCertificates:
    """Paths of the PEM files written for one test-server session."""

    ca_file: Path
    """The CA that signed the servers' certificate: clients that trust it can verify them."""
    wrong_ca_file: Path
    """A CA that signed nothing here: clients that trust only it must fail verification."""
    cert_file: Path
    """The servers' certificate chain (leaf first), valid for 127.0.0.1 and localhost."""
    key_file: Path


def write_certificates(directory: Path) -> TestCertificates:
    """Create a fresh CA, a leaf for 127.0.0.1/localhost and an unrelated CA in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="tui-mail test CA")
    leaf = ca.issue_cert("127.0.0.1", "localhost", common_name="localhost")
    stranger = trustme.CA(organization_name="tui-mail unrelated CA")

    paths = TestCertificates(
        ca_file=directory / "ca.pem",
        wrong_ca_file=directory / "wrong-ca.pem",
        cert_file=directory / "server-chain.pem",
        key_file=directory / "server-key.pem",
    )
    ca.cert_pem.write_to_path(str(paths.ca_file))
    stranger.cert_pem.write_to_path(str(paths.wrong_ca_file))
    paths.cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(paths.key_file))
    paths.key_file.chmod(0o600)
    for public in (paths.ca_file, paths.wrong_ca_file, paths.cert_file):
        public.chmod(0o644)
    return paths
