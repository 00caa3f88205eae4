"""The citizen report: one HTML page with the challenge, goal charts, participation and quotes."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.support import townhall


class Collector(HTMLParser):
    """Tags and text of a page, to check it parses and holds what residents should see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append(tag)

    def handle_data(self, data):  # noqa: ANN001
        self.text.append(data)


def test_report_from_the_command_line_in_english_and_french(environment, tmp_path):
    script = "\n".join(
        [
            "/campaign #parks Better parks | How can we make our parks welcoming?",
            "/goal benches 40 benches",
            "/goal benches 12",
            "/goal benches 18",
            "/idea Benches <script>alert(1)</script> by the pond",
        ]
    )
    assert townhall("run", stdin=script + "\n", env=environment, cwd=tmp_path).returncode == 0
    result = townhall(
        "report", "#parks", "--out", str(tmp_path / "report.html"), env=environment, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    parsed = Collector()
    parsed.feed(page)
    text = " ".join(parsed.text)
    assert "How can we make our parks welcoming?" in text
    assert "Target 40 benches; latest: 18." in text
    assert parsed.tags.count("svg") == 2 and "polyline" in parsed.tags and "rect" in parsed.tags
    assert "script" not in parsed.tags and "<script>alert(1)</script>" in text  # shown, never run
    assert "http" not in page.replace("https://creativecommons.org/licenses/by/4.0/", "")  # self-contained

    french = townhall(
        "report",
        "#parks",
        "--out",
        str(tmp_path / "rapport.html"),
        "--lang",
        "fr",
        env=environment,
        cwd=tmp_path,
    )
    assert french.returncode == 0, french.stderr
    assert "Objectifs partagés" in (tmp_path / "rapport.html").read_text(encoding="utf-8")


def test_report_of_an_unknown_campaign_says_so(environment, tmp_path):
    result = townhall("report", "#nowhere", "--out", str(tmp_path / "r.html"), env=environment, cwd=tmp_path)
    assert result.returncode == 1 and "no campaign #nowhere" in result.stderr
