"""Plan and write the demo account's messages from `data.toml` with a seeded generator.

Dates are fixed (the newest message is from `BASE_DATE`, June 2025) rather than relative to
today: the demo, its screenshots and the tests that read it then never change from one day to
the next. The list shows real dates ("2025-06-12") instead of "today", which is the price.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from typing import Any

from tui_mail.demo.build_message import (
    AttachmentSpec,
    Person,
    PlannedMessage,
    newsletter_html,
    newsletter_text,
    render,
)
from tui_mail.model import Flags, FolderRole

ACCOUNT = "demo"
SEED = 20250613
BASE_DATE = datetime(2025, 6, 13, 9, 41, tzinfo=timezone(timedelta(hours=2)))
LIST_FOLDER = "Lists/python-dev"

FOLDERS: tuple[tuple[str, FolderRole], ...] = (
    ("INBOX", FolderRole.INBOX),
    ("Sent", FolderRole.SENT),
    ("Drafts", FolderRole.DRAFTS),
    ("Archive", FolderRole.ARCHIVE),
    ("Trash", FolderRole.TRASH),
    (LIST_FOLDER, FolderRole.NONE),
)
# Folders whose size is fixed; Sent holds whatever "I" wrote in the generated conversations.
TARGET_COUNTS = {"INBOX": 120, "Archive": 70, LIST_FOLDER: 60, "Drafts": 3, "Trash": 10}


@dataclass(frozen=True)
class DemoMessage:
    """One message of the demo account, ready for the cache."""

    folder: str
    uid: int
    flags: Flags
    raw: bytes
    internaldate: datetime

    @property
    def raw_headers(self) -> bytes:
        end = self.raw.find(b"\r\n\r\n")
        return self.raw if end < 0 else self.raw[: end + 4]


@dataclass
class _Entry:
    folder: str
    plan: PlannedMessage
    seen: bool = True
    flagged: bool = False
    answered: bool = False
    draft: bool = False


@dataclass
class _Planner:
    data: dict[str, Any]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    entries: list[_Entry] = field(default_factory=list)
    counter: int = 0
    decks: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        me = self.data["me"]
        self.me = Person(me["name"], me["email"], 2, f"{me['title']}, {me['company']}")
        self.people = [
            Person(p["name"], p["email"], float(p["tz"]), p["title"]) for p in self.data["people"]
        ]

    # -- helpers -------------------------------------------------------------------------------

    def count(self, folder: str) -> int:
        return sum(1 for e in self.entries if e.folder == folder)

    def slots(self, when: datetime) -> dict[str, str]:
        vocab = self.data["vocab"]
        values = {key: self.rng.choice(words) for key, words in vocab.items()}
        values["number"] = str(self.rng.randrange(1000, 99999))
        values["month"] = when.strftime("%B %Y")
        return values

    def next_plan(self, sender: Person, when: datetime, **kwargs: Any) -> PlannedMessage:
        self.counter += 1
        local_time = when.astimezone(timezone(timedelta(hours=sender.tz)))
        domain = sender.email.partition("@")[2]
        message_id = f"<{local_time:%Y%m%d%H%M%S}.{self.counter:04d}.demo@{domain}>"
        return PlannedMessage(
            number=self.counter, sender=sender, date=local_time, message_id=message_id, **kwargs
        )

    def deal(self, deck: str, cards: list[str]) -> str:
        """The next item of a shuffled deck: every subject comes up once before any repeats."""
        pile = self.decks.setdefault(deck, [])
        if not pile:
            pile.extend(cards)
            self.rng.shuffle(pile)
        return pile.pop()

    def random_date(self, newest_days: float, oldest_days: float) -> datetime:
        seconds = int(self.rng.uniform(newest_days, oldest_days) * 86400)
        return BASE_DATE - timedelta(seconds=seconds)

    def add(self, folder: str, plan: PlannedMessage, **flags: bool) -> _Entry:
        entry = _Entry(folder, plan, **flags)
        self.entries.append(entry)
        return entry

    # -- stories -------------------------------------------------------------------------------

    def conversation(self, folder: str, window: tuple[float, float], limit: int) -> None:
        """A thread of 1-5 messages; others' messages go to `folder`, mine to Sent."""
        threads = self.data["threads"]
        when = self.random_date(*window)
        slots = self.slots(when)
        subject = self.deal("threads", threads["subjects"]).format_map(slots)
        others = self.rng.sample(self.people, self.rng.choice((1, 1, 2, 3)))
        participants = [self.me, *others]
        sender = self.rng.choice(others) if self.rng.random() < 0.75 else self.me
        length = self.rng.choice((1, 2, 2, 3, 3, 4, 5))
        previous: PlannedMessage | None = None
        previous_entry: _Entry | None = None
        landed = 0
        for _ in range(length):
            if when > BASE_DATE or (sender is not self.me and landed >= limit):
                break
            recipients = [p for p in participants if p is not sender]
            body, attachments = self.conversation_body(sender, recipients[0], slots, previous)
            plan = self.next_plan(
                sender,
                when,
                to=recipients[:1],
                cc=recipients[1:],
                subject=subject if previous is None else f"Re: {subject}",
                body=body,
                attachments=attachments,
                in_reply_to=previous.message_id if previous else "",
                references=[*previous.references, previous.message_id] if previous else [],
                charset="iso-2022-jp" if sender.tz == 9 and self.rng.random() < 0.5 else "utf-8",
            )
            if sender is self.me:
                self.add("Sent", plan)
                if previous_entry is not None:
                    previous_entry.answered = True
                previous_entry = None
            else:
                previous_entry = self.add(folder, plan)
                landed += 1
            previous = plan
            repliers = [p for p in others if p is not sender]
            if sender is self.me or (repliers and self.rng.random() < 0.5):
                sender = self.rng.choice(repliers)
            elif self.rng.random() < 0.6:
                sender = self.me
            else:
                break
            when += timedelta(minutes=self.rng.randrange(20, 1800))

    def conversation_body(
        self,
        sender: Person,
        recipient: Person,
        slots: dict[str, str],
        previous: PlannedMessage | None,
    ) -> tuple[str, list[AttachmentSpec]]:
        threads = self.data["threads"]
        # Japanese text only from the person in Japan.
        def fits(text: str) -> bool:
            return sender.tz == 9 or not any("\u3040" <= ch <= "\u9fff" for ch in text)

        pool = [p for p in threads["paragraphs"] if fits(p)]
        paragraphs = [
            p.format_map(slots) for p in self.rng.sample(pool, self.rng.choice((1, 1, 2, 3)))
        ]
        opener = self.rng.choice(threads["openers"]).format(first=recipient.first)
        closer = self.rng.choice([c for c in threads["closers"] if fits(c)])
        text = f"{opener}\n\n" + "\n\n".join(paragraphs) + f"\n\n{closer}\n{sender.first}\n"
        if self.rng.random() < 0.4:
            text += f"\n-- \n{sender.name}\n{sender.title or 'Example Corp'}\n"
        attachments: list[AttachmentSpec] = []
        if any("Attached" in p for p in paragraphs) or self.rng.random() < 0.08:
            attachments.append(self.attachment(slots))
        if previous is not None:
            text += "\n" + quote(previous)
        return text, attachments

    def attachment(self, slots: dict[str, str]) -> AttachmentSpec:
        choices = [
            AttachmentSpec("Präsentation.pdf", "pdf", f"{slots['project']} Praesentation"),
            AttachmentSpec("見積書.pdf", "pdf", "Estimate"),
            AttachmentSpec(f"{slots['project'].lower()}-plan.pdf", "pdf", f"{slots['project']} plan"),
            AttachmentSpec(
                "numbers.csv",
                "csv",
                "month,signups,churn\n2025-03,1204,2.1%\n2025-04,1388,1.9%\n2025-05,1521,1.7%\n",
            ),
            AttachmentSpec(f"offsite-{slots['place'].lower()}.png", "png"),
            AttachmentSpec("notes.md", "md", f"# {slots['project']}\n\n- decide on the rollout\n"),
        ]
        return self.rng.choice(choices)

    def newsletter(self, folder: str, window: tuple[float, float]) -> None:
        spec = self.rng.choice(self.data["newsletters"])
        when = self.random_date(*window)
        slots = self.slots(when)
        title = spec["title"].format_map(slots)
        items = [(a, b) for a, b in self.rng.sample(spec["items"], min(4, len(spec["items"])))]
        sender = Person(spec["sender_name"], spec["sender_email"], 0)
        plan = self.next_plan(
            sender,
            when,
            to=[self.me],
            subject=title,
            body=newsletter_text(title, spec["intro"], items),
            html_body=newsletter_html(title, spec["intro"], items, f"t{self.counter:05d}"),
            extra_headers={
                "List-Unsubscribe": f"<https://news.example.org/unsubscribe/{self.counter}>"
            },
        )
        self.add(folder, plan)

    def notification(self, folder: str, window: tuple[float, float], spec: dict[str, Any]) -> None:
        when = self.random_date(*window)
        slots = self.slots(when)
        attachments = []
        if spec.get("attach") == "invoice":
            number = slots["number"]
            attachments.append(AttachmentSpec(f"invoice-{number}.pdf", "pdf", f"Invoice {number}"))
        plan = self.next_plan(
            Person(spec["name"], spec["email"], 0),
            when,
            to=[self.me],
            subject=spec["subject"].format_map(slots),
            body=spec.get("body", "Click here to claim your prize.").format_map(slots) + "\n",
            attachments=attachments,
        )
        self.add(folder, plan)

    def invitation(self, folder: str, window: tuple[float, float]) -> None:
        when = self.random_date(*window)
        slots = self.slots(when)
        organiser = self.rng.choice(self.people)
        start = (when + timedelta(days=3)).astimezone(UTC)
        ics = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Calendar//EN\r\nMETHOD:REQUEST\r\n"
            f"BEGIN:VEVENT\r\nUID:demo-{self.counter}@example.org\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M00Z}\r\nDURATION:PT30M\r\n"
            f"SUMMARY:{slots['project']} sync\r\nLOCATION:Room 3 and the video call\r\n"
            f"ORGANIZER;CN={organiser.name}:mailto:{organiser.email}\r\n"
            f"ATTENDEE;CN={self.me.name};PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{self.me.email}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        plan = self.next_plan(
            organiser,
            when,
            to=[self.me],
            subject=f"Invitation: {slots['project']} sync @ {slots['weekday']} 10:00",
            body=f"{organiser.name} invited you to \"{slots['project']} sync\".\n",
            attachments=[AttachmentSpec("invite.ics", "ics", ics)],
        )
        self.add(folder, plan)

    def fill(self, folder: str, window: tuple[float, float]) -> None:
        """Add stories whose messages land in `folder` until it holds its target count."""
        target = TARGET_COUNTS[folder]
        kinds = ("conversation", "newsletter", "notification", "invitation")
        while (missing := target - self.count(folder)) > 0:
            kind = self.rng.choices(kinds, weights=(10, 2, 3, 1))[0]
            if kind == "conversation":
                self.conversation(folder, window, missing)
            elif kind == "newsletter":
                self.newsletter(folder, window)
            elif kind == "notification":
                self.notification(folder, window, self.rng.choice(self.data["notifications"]))
            else:
                self.invitation(folder, window)

    def mailing_list(self, window: tuple[float, float]) -> None:
        spec = self.data["lists"]
        tag = "[Python-Dev]"
        list_person = Person(spec["name"], spec["address"])
        headers = {
            "List-Id": spec["list_id"],
            "List-Post": f"<mailto:{spec['address']}>",
            "List-Unsubscribe": f"<mailto:{spec['name']}-leave@example.org>",
            "List-Archive": f"<https://mail.example.org/archives/list/{spec['address']}/>",
        }
        while (missing := TARGET_COUNTS[LIST_FOLDER] - self.count(LIST_FOLDER)) > 0:
            topic = self.deal("lists", spec["subjects"])
            when = self.random_date(*window)
            previous: PlannedMessage | None = None
            for _ in range(min(missing, self.rng.randrange(2, 11))):
                if when > BASE_DATE:
                    break
                sender = self.me if self.rng.random() < 0.08 else self.rng.choice(self.people)
                paragraphs = self.rng.sample(spec["paragraphs"], self.rng.choice((1, 2)))
                body = "\n\n".join(paragraphs) + f"\n\n{sender.first}\n"
                if previous is not None:
                    body += "\n" + quote(previous)
                plan = self.next_plan(
                    sender,
                    when,
                    to=[list_person],
                    subject=f"{tag} {topic}" if previous is None else f"Re: {tag} {topic}",
                    body=body,
                    in_reply_to=previous.message_id if previous else "",
                    references=[*previous.references, previous.message_id] if previous else [],
                    extra_headers=headers,
                )
                recent = BASE_DATE - when < timedelta(days=3)
                self.add(LIST_FOLDER, plan, seen=sender is self.me or not recent)
                previous = plan
                when += timedelta(minutes=self.rng.randrange(30, 1200))

    def drafts(self) -> None:
        for index, spec in enumerate(self.data["drafts"]):
            to = next((p for p in self.people if p.email == spec["to"]), Person("", spec["to"]))
            plan = self.next_plan(
                self.me,
                BASE_DATE - timedelta(hours=5 + 20 * index),
                to=[to],
                subject=spec["subject"],
                body=spec["body"],
            )
            self.add("Drafts", plan, draft=True)

    def trash(self) -> None:
        for spec in self.data["spam"]:
            self.notification("Trash", (1, 20), spec)
        while self.count("Trash") < TARGET_COUNTS["Trash"]:
            self.notification("Trash", (2, 60), self.rng.choice(self.data["notifications"]))

    def mark_inbox(self) -> None:
        """Recent INBOX mail is unread, with a few older unread ones; a few are flagged."""
        for entry in self.entries:
            age = BASE_DATE - entry.plan.date
            if entry.folder == "INBOX":
                entry.seen = age > timedelta(hours=30) and not (
                    age < timedelta(days=10) and self.rng.random() < 0.15
                )
                entry.flagged = self.rng.random() < 0.06
            elif entry.folder == "Archive":
                entry.flagged = self.rng.random() < 0.03


def quote(previous: PlannedMessage) -> str:
    """The attribution line and the previous body quoted with '> ', without its signature."""
    body = previous.body.split("\n-- \n", 1)[0].rstrip("\n")
    when = previous.date.strftime("%a, %d %b %Y at %H:%M")
    lines = [f"On {when}, {previous.sender.name} wrote:"]
    lines += [f">{line}" if line.startswith(">") else f"> {line}".rstrip() for line in body.split("\n")]
    return "\n".join(lines) + "\n"


def load_data() -> dict[str, Any]:
    return tomllib.loads((resources.files("tui_mail.demo") / "data.toml").read_text("utf-8"))


def generate() -> Iterator[DemoMessage]:
    """Every message of the demo account, folder by folder, UIDs ascending with date."""
    planner = _Planner(load_data())
    planner.fill("INBOX", (0.02, 30))
    planner.fill("Archive", (31, 400))
    planner.mailing_list((0.05, 60))
    planner.drafts()
    planner.trash()
    planner.mark_inbox()
    for folder, _role in FOLDERS:
        entries = sorted((e for e in planner.entries if e.folder == folder), key=lambda e: e.plan.date)
        for uid, entry in enumerate(entries, start=1):
            flags = Flags(
                seen=entry.seen,
                answered=entry.answered,
                flagged=entry.flagged,
                draft=entry.draft,
            )
            yield DemoMessage(folder, uid, flags, render(entry.plan), entry.plan.date)
