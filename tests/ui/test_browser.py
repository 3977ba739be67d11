"""End to end: the real app and the real assistant, driven in Debian's Chromium through Playwright.

Under CI (CI=true) a missing browser fails the test; elsewhere it is skipped with the reason.
Screenshots go to reports/screenshots/.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answer import Answer
from corpus.parser import parse_notice
from index.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
ANSWER_TIMEOUT_MS = 90_000  # the first content question may load the embedding model
UI_TIMEOUT_MS = 20_000


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run; install with `make browser`)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(settings: Settings, assistant: Any = None) -> Iterator[str]:
    """Launch the app (the real assistant unless one is given) in this process's threads; always close it."""
    from assistant.wiring import load_assistant
    from ui.app import build_app, start

    notice = parse_notice()
    assistant = assistant or load_assistant(settings, notice)
    app = build_app(assistant, notice, settings)
    try:
        yield start(app, assistant, settings, block=False, quiet=True)
    finally:
        app.close()


@pytest.fixture(scope="module")
def staff_url() -> Iterator[str]:
    yield from _serve(Settings(port=_free_port()))


@pytest.fixture(scope="module")
def kiosk_url() -> Iterator[str]:
    yield from _serve(Settings(port=_free_port(), kiosk=True, kiosk_idle_seconds=4, max_question_chars=80))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield browser
        finally:
            browser.close()


def _page(browser: Any, url: str, width: int = 1280, height: int = 1000) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:  # an alert() would mean a question ran as script
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.dialogs = dialogs
    page.goto(url, wait_until="domcontentloaded", timeout=60_000)
    page.locator("#nq-input textarea").wait_for(state="visible", timeout=60_000)
    return page


def _ask(page: Any, question: str, expected: str) -> None:
    from playwright.sync_api import expect

    box = page.locator("#nq-input textarea")
    box.fill(question)
    box.press("Enter")
    expect(page.locator("#nq-chat")).to_contain_text(expected, timeout=ANSWER_TIMEOUT_MS)
    expect(box).to_have_value("", timeout=UI_TIMEOUT_MS)


def test_staff_desk(browser: Any, staff_url: str) -> None:
    from playwright.sync_api import expect

    page = _page(browser, staff_url)
    try:
        chat = page.locator("#nq-chat")
        _ask(page, "哪些任务由市人社局牵头？", "强化企业职工在岗教育培训")
        expect(chat).to_contain_text("第12项")
        expect(chat).to_contain_text("依据")
        expect(chat.locator("tr.nq-row-12")).to_have_count(1)
        expect(chat.locator("mark.nq-hl").first).to_have_text("市人社局")

        _ask(page, "那市财政局呢？", "加大政策扶持")
        expect(chat.locator("tr.nq-row-22")).to_have_count(1)

        _ask(page, "<script>alert(1)</script>", "<script>alert(1)</script>")
        assert page.dialogs == []
        page.screenshot(path=str(SCREENSHOTS / "staff-chat.png"), full_page=True)

        answers = chat.locator(".nq-direct")
        before = answers.count()
        page.get_by_role("button", name="市教育局负责几项任务？").click()
        expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
        expect(answers.last).to_contain_text("市教育局")

        page.locator("#nq-clear").click()
        expect(answers).to_have_count(0)

        page.get_by_role("tab", name="通知原文").click()
        table = page.locator("#nq-task-table")
        expect(table.locator("tr.nq-row")).to_have_count(23)
        expect(table).to_contain_text("强化企业职工在岗教育培训")
        expect(page.locator("#nq-header")).to_contain_text("六政办秘〔2018〕123号")
        expect(page.locator("#nq-clauses")).to_contain_text("切实加大政策扶持")
        unit = page.get_by_label("责任单位")
        unit.click()
        unit.fill("市人社局")
        page.get_by_role("option", name="市人社局", exact=True).click()
        expect(table.locator("tr.nq-row")).to_have_count(11)
        page.keyboard.press("Escape")
        page.locator("#nq-header").click()
        expect(page.get_by_role("option")).to_have_count(0)
        page.screenshot(path=str(SCREENSHOTS / "staff-notice.png"), full_page=True)

        page.get_by_role("tab", name="责任矩阵").click()
        matrix = page.locator("#nq-matrix")
        expect(matrix.locator("th.nq-col")).to_have_count(23)
        expect(matrix.locator("tbody tr").first).to_contain_text("市教育局")
        page.screenshot(path=str(SCREENSHOTS / "staff-matrix.png"), full_page=True)
    finally:
        page.context.close()


def test_kiosk(browser: Any, kiosk_url: str) -> None:
    from playwright.sync_api import expect

    page = _page(browser, kiosk_url, width=1080, height=1400)
    try:
        expect(page.locator("#nq-scope")).to_have_text("本机只依据六政办秘〔2018〕123号通知作答")
        expect(page.get_by_role("tab")).to_have_count(0)
        expect(page.locator("#nq-input textarea")).to_have_attribute("maxlength", "80")
        expect(page.get_by_text(re.compile(r"通过 API|Use via API|API"))).to_have_count(0)
        expect(page.get_by_text(re.compile(r"设置|Settings"))).to_have_count(0)

        font_px = float(
            page.locator("#nq-input textarea").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        )
        assert font_px >= 24, font_px
        button_px = page.get_by_role("button", name="第12项由谁负责？").bounding_box()["height"]
        assert button_px >= 64, button_px

        page.get_by_role("button", name="第12项由谁负责？").click()
        expect(page.locator("#nq-chat")).to_contain_text("市总工会", timeout=ANSWER_TIMEOUT_MS)
        page.screenshot(path=str(SCREENSHOTS / "kiosk.png"), full_page=True)
        assert page.evaluate("() => window.localStorage.length + window.sessionStorage.length") == 0

        # Left alone for kiosk_idle_seconds (4 s here), the conversation clears itself.
        expect(page.locator("#nq-chat .nq-direct")).to_have_count(0, timeout=20_000)
        page.screenshot(path=str(SCREENSHOTS / "kiosk-idle.png"), full_page=True)
    finally:
        page.context.close()


class _SlowAssistant:
    def ask(self, question: str, conversation: Any = None) -> Answer:
        time.sleep(4)
        return Answer(question, "好的。", False)


def test_full_queue_says_busy_in_chinese(browser: Any) -> None:
    """One running, one waiting (queue_size=1): a third question is refused with a friendly notice."""
    from playwright.sync_api import expect

    settings = Settings(port=_free_port(), queue_size=1, concurrency=1)
    for url in _serve(settings, _SlowAssistant()):
        pages = [_page(browser, url) for _ in range(3)]
        try:
            for page in pages:
                page.locator("#nq-input textarea").fill("哪些任务由市人社局牵头？")
                page.locator("#nq-input textarea").press("Enter")
                page.wait_for_timeout(300)
            expect(pages[2].get_by_text("系统繁忙，请稍后再试。")).to_be_visible(timeout=UI_TIMEOUT_MS)
            expect(pages[2].get_by_text("This application is currently busy")).to_have_count(0)
            pages[2].screenshot(path=str(SCREENSHOTS / "queue-full.png"))
            expect(pages[0].locator("#nq-chat")).to_contain_text("好的。", timeout=UI_TIMEOUT_MS)
        finally:
            for page in pages:
                page.context.close()
