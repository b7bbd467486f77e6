from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.store.builders import make_raw
from tui_mail.model import FolderRole
from tui_mail.store import NewMessage, SortBy, Store, View, listing

N = 700


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Read-only for the tests that share it."""
    store = Store.open(tmp_path_factory.mktemp("paging") / "mail.db")
    _fill(store)
    yield store
    store.close()


def _fill(store: Store) -> Store:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    senders = ["Zoe <z@x>", "Adam <a@x>", "Mia <m@x>"]
    store.add_messages(
        "work",
        "INBOX",
        [NewMessage(uid=n, raw=make_raw(n, sender=senders[n % 3])) for n in range(N)],
    )
    return store


def uids(rows: list) -> list[int]:
    return [r.uid for r in rows]


@pytest.mark.parametrize("start", [0, 30, 250, 340, N - 250, N - 50, N - 10])
def test_pages_by_position_match_the_full_order(big: Store, start: int) -> None:
    view = View.of(big.folder("work", "INBOX"))  # type: ignore[arg-type]
    newest_first = list(range(N - 1, -1, -1))
    assert uids(big.listing.page(view, start, 50)) == newest_first[start : start + 50]


def test_every_path_is_exercised(big: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ends by LIMIT and the middle by the id list give the same rows."""
    view = View.of(big.folder("work", "INBOX"))  # type: ignore[arg-type]
    head, middle, tail = big.listing.page(view, 0, 50), big.listing.page(view, 300, 50), big.listing.page(view, N - 50, 50)
    monkeypatch.setattr(listing, "END_WINDOW", 0)
    assert big.listing.page(view, 0, 50) == head
    assert big.listing.page(view, 300, 50) == middle
    assert big.listing.page(view, N - 50, 50) == tail


def test_past_the_end_is_short_or_empty(big: Store) -> None:
    view = View.of(big.folder("work", "INBOX"))  # type: ignore[arg-type]
    assert len(big.listing.page(view, N - 5, 50)) == 5
    assert big.listing.page(view, N + 10, 50) == []
    assert big.listing.count(view) == N


def test_oldest_first_and_sorted_by_sender(big: Store) -> None:
    folder = big.folder("work", "INBOX")
    assert folder is not None
    assert uids(big.listing.page(View.of(folder, descending=False), 0, 3)) == [0, 1, 2]
    by_sender = big.listing.page(View.of(folder, sort=SortBy.SENDER, descending=False), 0, N)
    names = [m.sender.name for m in by_sender]
    assert names == sorted(names)
    assert uids(by_sender[:2]) == [1, 4]  # Adam, oldest first among equals


def test_the_id_list_is_reloaded_after_a_change(store: Store) -> None:
    big = _fill(store)
    view = View.of(big.folder("work", "INBOX"))  # type: ignore[arg-type]
    before = big.listing.page(view, 300, 1)
    big.remove_uids("work", "INBOX", [N - 1])
    assert uids(big.listing.page(view, 299, 1)) == uids(before)


def test_all_inboxes_spans_accounts(store: Store) -> None:
    big = _fill(store)
    big.ensure_folder("home", "INBOX", FolderRole.INBOX)
    big.add_messages("home", "INBOX", [NewMessage(uid=1, raw=make_raw(5000, message_id="<h@x>"))])
    view = View.role(FolderRole.INBOX)
    assert big.listing.count(view) == N + 1
    first = big.listing.page(view, 0, 2)
    assert [m.account for m in first] == ["home", "work"]
