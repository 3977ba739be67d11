"""The review loop end to end in Debian's Chromium: a 没帮助 on the kiosk shows up on the desk's 复核 tab,
staff mark it, and `notice-qa review export` writes a case that `notice-qa eval` scores.

The real assistant; a desk and a kiosk sharing one review store (SQLite under tmp), as two replicas would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from corpus.parser import parse_notice
from corpus.settings import Settings
from eval.cases import load_cases
from tests.processes import free_port
from tests.ui.chromium import SCREENSHOTS
from tests.ui.test_browser import _ask, _page
from ui.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

TOKEN = "staff-7c1e"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('review') / 'review.sqlite3'}"


@pytest.fixture(scope="module")
def servers(store_url: str) -> Iterator[tuple[str, str]]:
    """(desk URL, kiosk URL), both on the real assistant and one review store."""
    from assistant.wiring import load_assistant
    from ui.app import build_app, start

    notice = parse_notice()
    desk_settings = Settings(review=True, port=free_port(), review_url=store_url, api_token=SecretStr(TOKEN))
    kiosk_settings = Settings(
        review=True, port=free_port(), review_url=store_url, kiosk=True, kiosk_idle_seconds=120
    )
    assistant = load_assistant(desk_settings, notice)
    apps = [build_app(assistant, notice, s) for s in (desk_settings, kiosk_settings)]
    try:
        urls = [
            start(a, assistant, s, block=False, quiet=True)
            for a, s in zip(apps, (desk_settings, kiosk_settings), strict=True)
        ]
        yield urls[0], urls[1]
    finally:
        for app in apps:
            app.close()


def test_a_kiosk_thumbs_down_reaches_the_desk_and_becomes_an_eval_case(
    browser: Any, servers: tuple[str, str], store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    desk_url, kiosk_url = servers

    kiosk = _page(browser, kiosk_url, width=1080, height=1920)
    expect(kiosk.locator("#nq-unhelpful")).to_be_hidden()  # nothing to rate before an answer
    _ask(kiosk, "第12项由谁负责？", "市人社局")
    expect(kiosk.locator("#nq-helpful")).to_have_text("有帮助")
    kiosk.locator("#nq-unhelpful").click()
    expect(kiosk.locator("#nq-feedback-note")).to_contain_text("谢谢反馈，工作人员会查看这个问题。")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    kiosk.locator("#nq-feedback").screenshot(path=str(SCREENSHOTS / "kiosk-feedback.png"))
    assert kiosk.locator("#nq-reason").count() == 0 or not kiosk.locator("#nq-reason").is_visible()
    assert kiosk.get_by_text("复核").count() == 0
    assert kiosk.locator("#nq-review-tab").count() == 0
    kiosk.context.close()

    desk = _page(browser, desk_url)
    _ask(desk, "哪些任务由市人社局牵头？", "市人社局")
    desk.locator("#nq-helpful").click()
    expect(desk.locator("#nq-feedback-note")).to_contain_text("谢谢反馈！")

    desk.get_by_role("tab", name="复核").click()
    expect(desk.locator("#nq-review-gate")).to_contain_text("请输入员工令牌")
    expect(desk.locator("#nq-review-table")).to_be_hidden()
    desk.locator("#nq-review-token input").fill("wrong")
    desk.locator("#nq-review-enter").click()
    expect(desk.locator("#nq-review-gate")).to_contain_text("令牌不正确")
    expect(desk.locator("#nq-review-table")).to_be_hidden()

    desk.locator("#nq-review-token input").fill(TOKEN)
    desk.locator("#nq-review-enter").click()
    table = desk.locator("#nq-review-table")
    expect(table).to_contain_text("第12项由谁负责？")
    expect(table).to_contain_text("自助机")
    expect(table).not_to_contain_text("哪些任务由市人社局牵头")  # a 👍 keeps nothing
    entry_id = desk.locator("#nq-review-table tbody tr td").first.inner_text().strip()
    assert re.fullmatch(r"\d+", entry_id)

    desk.locator("#nq-review-id input").fill(entry_id)
    desk.locator("#nq-review-verdict").get_by_text("期望答案").click()
    desk.locator("#nq-review-expect textarea").fill("12")
    desk.locator("#nq-review-save").click()
    expect(desk.locator("#nq-review-note")).to_contain_text(f"已标注第{entry_id}条：期望答案")
    expect(table).to_contain_text("期望答案：12")
    desk.screenshot(path=str(SCREENSHOTS / "desk-review.png"), full_page=True)
    desk.locator("#nq-review-export").click()
    expect(desk.locator("#nq-review-csv")).to_contain_text(".csv")
    desk.context.close()

    monkeypatch.setenv("NOTICE_QA_REVIEW_URL", store_url)
    monkeypatch.delenv("NOTICE_QA_REVIEW", raising=False)
    cases, report = tmp_path / "reviewed.jsonl", tmp_path / "report.json"
    assert main(["review", "export", "--out", str(cases)]) == 0
    [case] = load_cases(cases)
    assert case.turns == ("第12项由谁负责？",)
    assert case.expect.tasks == (12,)
    assert main(["eval", "--set", str(cases), "--report", str(report)]) == 0
    assert json.loads(report.read_text(encoding="utf-8"))["metrics"]["accuracy"] == 1.0
