"""The pure parts behind `o` and attachment open: finding URLs in text, reading mailcap."""

from __future__ import annotations

import shlex

from tui_mail.mail.links import find_links, number_links
from tui_mail.mail.mailcap import (
    build_command,
    choose_viewer,
    mailcap_paths,
    parse_mailcap,
    safe_temp_name,
    templated_name,
)


def test_trailing_punctuation_and_unbalanced_closers_are_not_part_of_a_url():
    text = ("end https://a.example/x. list https://b.example/y, (https://c.example/z) "
            "<https://d.example/w> wiki https://e.example/A_(b) quote 'https://f.example/q'"
            " shout https://g.example/!")
    assert find_links(text) == (
        "https://a.example/x", "https://b.example/y", "https://c.example/z",
        "https://d.example/w", "https://e.example/A_(b)", "https://f.example/q",
        "https://g.example/")


def test_only_web_ftp_and_mailto_links_are_found_and_schemes_alone_are_not():
    text = ("javascript:alert(1) file:///etc/passwd xhttps://glued.example http:// mailto: "
            "ftp://files.example/a mailto:sam@example.com HTTPS://UPPER.example/")
    assert find_links(text) == ("ftp://files.example/a", "mailto:sam@example.com",
                                "HTTPS://UPPER.example/")


def test_markers_go_after_the_word_and_repeat_the_first_number():
    text, links = number_links("a https://x.example/ b\nc https://x.example/. d https://y.example/",
                               ("https://known.example/",))
    assert links == ("https://known.example/", "https://x.example/", "https://y.example/")
    assert text == "a https://x.example/ [2] b\nc https://x.example/. [2] d https://y.example/ [3]"
    assert number_links("https://x.example/", mark=False) == ("https://x.example/",
                                                               ("https://x.example/",))


def test_mailcap_is_parsed_with_comments_continuations_escapes_and_flags():
    entries = parse_mailcap(
        "# comment\n\n"
        "text/html; w3m -T text/html %s; needsterminal\n"
        "image; feh \\\n  %s; test=test -n \"$DISPLAY\"\n"
        "application/x-thing; echo a\\;b %s; copiousoutput; nametemplate=%s.thing\n"
        "broken-line-without-command\n")
    assert [e.type for e in entries] == ["text/html", "image/*", "application/x-thing"]
    assert entries[0].needs_terminal and entries[0].command == "w3m -T text/html %s"
    assert entries[1].command == "feh   %s" and entries[1].test == 'test -n "$DISPLAY"'
    assert entries[2].command == "echo a;b %s" and entries[2].copious_output
    assert entries[2].fields["nametemplate"] == "%s.thing"


def test_the_file_name_is_quoted_and_nothing_else_from_the_message_is_substituted():
    path = "/tmp/tui-mail-x/it's $(here).pdf"
    assert build_command("view '%s' --x", path) == (f"view {shlex.quote(path)} --x", False)
    assert build_command('view "%s"', path) == (f"view {shlex.quote(path)}", False)
    assert build_command("view 100%% %s", "/t/a") == ("view 100% /t/a", False)
    assert build_command("cat", "/t/a") == ("cat", True)  # no %s: the file goes to stdin
    for template in ("view -t %t %s", "view --charset=%{charset} %s", "view %n %s", "view %F"):
        assert build_command(template, "/t/a") is None


def test_the_first_matching_entry_in_file_order_wins_and_failed_tests_are_skipped():
    entries = parse_mailcap(
        "image/png; failing %s; test=false-test\n"
        "image/png; exact %s\n"
        "image/*; wild %s\n"
        "image/png; pager %s; copiousoutput\n")
    ran: list[str] = []

    def passes(command: str) -> bool:
        ran.append(command)
        return command != "false-test"

    viewer = choose_viewer(entries, "IMAGE/PNG; name=x.png", "/t/a.png", passes_test=passes)
    assert viewer is not None and viewer.command == "exact /t/a.png"
    assert ran == ["false-test"]
    gif = choose_viewer(entries, "image/gif", "/t/a.gif", passes_test=passes)
    assert gif is not None and gif.command == "wild /t/a.gif"
    assert choose_viewer(entries, "video/mp4", "/t/a", passes_test=passes) is None


def test_needsterminal_entries_can_be_left_out():
    entries = parse_mailcap("text/html; w3m %s; needsterminal\ntext/html; firefox %s\n")
    first = choose_viewer(entries, "text/html", "/t/a", passes_test=lambda c: True)
    assert first is not None and first.needs_terminal
    gui = choose_viewer(entries, "text/html", "/t/a", passes_test=lambda c: True,
                        allow_terminal=False)
    assert gui is not None and gui.command == "firefox /t/a"


def test_mailcaps_variable_replaces_the_default_search_path():
    assert mailcap_paths({"MAILCAPS": "/a/one:~/two::"}, "/home/u") == ["/a/one", "/home/u/two"]
    assert mailcap_paths({}, "/home/u") == ["/home/u/.mailcap", "/etc/mailcap",
                                            "/usr/etc/mailcap", "/usr/local/etc/mailcap"]


def test_the_temp_name_for_a_viewer_has_no_shell_meaning():
    assert safe_temp_name("$(touch PWNED); rm -rf x' `id`.pdf") == "touch_PWNED_rm_-rf_x_id.pdf"
    assert safe_temp_name("Übersicht März.pdf") == "Ubersicht_Marz.pdf"
    assert safe_temp_name("-rf") == "rf"
    assert safe_temp_name("..") == "attachment"
    assert safe_temp_name("日本.txt") == "attachment.txt"
    assert safe_temp_name(".bashrc") == "attachment.bashrc"
    assert safe_temp_name("a" * 500 + ".pdf") == "a" * 100 + ".pdf"


def test_a_name_template_renames_the_copy_and_keeps_it_shell_safe():
    assert templated_name("%s.html", "page.htm") == "page.html"
    assert templated_name("%s", "report.pdf") == "report"
    assert templated_name("x-%s.$(id).gif", "photo.png") == "x-photo._id.gif"
    assert templated_name("fixed.html", "page.htm") is None
    assert templated_name("%s%s", "page.htm") is None


def test_a_wildcard_line_before_an_exact_one_wins_as_in_mutt():
    """~/.mailcap's `image/*` is read before /etc/mailcap's generated `image/png`."""
    entries = parse_mailcap("image/*; mine %s\n") + parse_mailcap("image/png; system %s\n")
    viewer = choose_viewer(entries, "image/png", "/t/a.png", passes_test=lambda c: True)
    assert viewer is not None and viewer.command == "mine /t/a.png"


def test_the_desktop_opener_failing_at_once_counts_as_not_opened(tmp_path, monkeypatch):
    from tui_mail.ui.screens.picker import open_with_system

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text("#!/bin/sh\nexit 3\n")
    opener.chmod(0o755)
    (bin_dir / "open").symlink_to(opener)  # Debian's `open` is openvt or run-mailcap
    monkeypatch.setenv("PATH", str(bin_dir))
    assert open_with_system(str(tmp_path / "a.pdf")) is False
    opener.write_text(f"#!/bin/sh\necho \"$1\" > {tmp_path}/opened\n")
    assert open_with_system(str(tmp_path / "a.pdf")) is True
    assert (tmp_path / "opened").read_text().strip() == str(tmp_path / "a.pdf")
