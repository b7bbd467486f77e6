"""JWZ threading: real mailing-list conversations group, and hostile References do no harm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_mail.mail import ThreadItem, normalize_subject, parse_headers, thread_messages

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _lkml() -> tuple[list[ThreadItem], dict[str, int]]:
    items, keys = [], {}
    for key, path in enumerate(sorted((CORPUS / "notmuch").glob("lkml__*.eml"))):
        h = parse_headers(path.read_bytes())
        items.append(ThreadItem(key, h.message_id, h.in_reply_to, h.references, h.subject, h.date))
        keys[path.name] = key
    return items, keys


def test_lkml_conversations_group_into_their_threads() -> None:
    items, keys = _lkml()
    threads = thread_messages(items).thread_of
    patch_05 = [
        "lkml__cur__1382298587.001740_2,.eml",
        "lkml__cur__1382298587.002193_2,.eml",
        "lkml__cur__1382298587.002917_2,.eml",
        "lkml__cur__1382298587.003486_2,.eml",
        "lkml__cur__1382298770.002911_2,.eml",
        "lkml__cur__1382298770.002930_2,.eml",
        "lkml__cur__1382298770.003499_2,.eml",
    ]
    notmuch = [
        "lkml__cur__1354585346.000260_2,.eml",
        "lkml__cur__1354585346.000261_2,.eml",
        "lkml__cur__1354585346.000265_2,.eml",
        "lkml__cur__1354585346.000323_2,.eml",
        "lkml__cur__1354585346.000324_2,.eml",
        "lkml__cur__1354585346.000325_2,.eml",
    ]
    assert len({threads[keys[n]] for n in patch_05}) == 1
    assert len({threads[keys[n]] for n in notmuch}) == 1
    # git send-email's "In-Reply-To: <yes>" must not glue the two conversations together.
    assert threads[keys[patch_05[0]]] != threads[keys[notmuch[0]]]
    # The thread is named after its smallest key.
    assert threads[keys[notmuch[0]]] == min(keys[n] for n in notmuch)


def test_replies_nest_under_their_parent_in_date_order() -> None:
    items = [
        ThreadItem(1, "<a@x>", subject="Plan", date=T0),
        ThreadItem(2, "<b@x>", "<a@x>", ("<a@x>",), "Re: Plan", T0 + timedelta(hours=2)),
        ThreadItem(3, "<c@x>", "<a@x>", ("<a@x>",), "Re: Plan", T0 + timedelta(hours=1)),
        ThreadItem(4, "<d@x>", "<c@x>", ("<a@x>", "<c@x>"), "Re: Plan", T0 + timedelta(hours=3)),
    ]
    rows = thread_messages(items).rows
    assert [(r.key, r.depth) for r in rows] == [(1, 0), (3, 1), (4, 2), (2, 1)]
    assert {r.thread_id for r in rows} == {1}


def test_missing_parent_still_groups_siblings() -> None:
    items = [
        ThreadItem(5, "<b@x>", "<gone@x>", ("<gone@x>",), "Re: lost", T0),
        ThreadItem(6, "<c@x>", "<gone@x>", ("<gone@x>",), "Re: lost", T0 + timedelta(1)),
    ]
    threads = thread_messages(items)
    assert threads.thread_of == {5: 5, 6: 5}
    assert [r.depth for r in threads.rows] == [0, 0]


def test_cycles_in_references_do_not_hang_or_lose_messages() -> None:
    items = [
        ThreadItem(1, "<a@x>", "<b@x>", ("<b@x>",), "loop", T0),
        ThreadItem(2, "<b@x>", "<a@x>", ("<a@x>",), "loop", T0),
        ThreadItem(3, "<c@x>", "<c@x>", ("<c@x>",), "self", T0),
    ]
    threads = thread_messages(items)
    assert sorted(r.key for r in threads.rows) == [1, 2, 3]
    assert threads.thread_of[1] == threads.thread_of[2]


def test_duplicate_and_missing_message_ids_keep_every_message() -> None:
    items = [
        ThreadItem(1, "<same@x>", subject="one", date=T0),
        ThreadItem(2, "<same@x>", subject="two", date=T0),
        ThreadItem(3, "", subject="three", date=None),
    ]
    threads = thread_messages(items)
    assert sorted(threads.thread_of) == [1, 2, 3]
    assert len(set(threads.thread_of.values())) == 3


def test_subject_fallback_joins_replies_without_headers() -> None:
    items = [
        ThreadItem(1, "<a@x>", subject="[list] Budget", date=T0),
        ThreadItem(2, "<b@x>", subject="AW: Re: [list] budget", date=T0 + timedelta(1)),
        ThreadItem(3, "<c@x>", subject="Something else", date=T0),
    ]
    threads = thread_messages(items).thread_of
    assert threads[2] == threads[1] == 1
    assert threads[3] == 3


def test_a_new_message_does_not_rename_existing_threads() -> None:
    base = [
        ThreadItem(10, "<a@x>", subject="A", date=T0),
        ThreadItem(11, "<b@x>", "<a@x>", ("<a@x>",), "Re: A", T0 + timedelta(1)),
        ThreadItem(12, "<c@x>", subject="C", date=T0),
    ]
    before = thread_messages(base).thread_of
    # The new message is the parent the others were missing, and arrives last.
    newcomer = ThreadItem(13, "<root@x>", subject="A", date=T0 - timedelta(1))
    late = [*base, ThreadItem(14, "<d@x>", "<b@x>", ("<a@x>", "<b@x>"), "Re: A", T0), newcomer]
    after = thread_messages(late).thread_of
    assert all(after[k] == v for k, v in before.items())
    assert after[14] == after[10]


def test_normalize_subject_strips_prefixes_and_tags() -> None:
    assert normalize_subject("Re: Fwd: [notmuch] [PATCH 1/2] Hello  World") == "hello world"
    assert normalize_subject("SV: Aw: RE[2]: x") == "x"
    assert normalize_subject("Remove unnecessary: x") == "remove unnecessary: x"
