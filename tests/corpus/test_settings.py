"""Settings: sections for code, the flat NOTICE_QA_* names deployers use, and the README table that documents them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from corpus.parser import load_notice
from corpus.settings import AppSettings, Settings, describe_error, settings_table

README = Path(__file__).resolve().parents[2] / "README.md"
DOCS = [README, *sorted((README.parent / "docs").glob("*.md"))]


def _settings_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Settings\n") : text.index("\n## ", text.index("## Settings\n") + 1)]


def test_readme_table_is_the_settings_model() -> None:
    # Regenerate with `python -m corpus.settings` and paste it into README.md's "Settings" when this fails.
    assert settings_table() in _settings_section()


def test_readme_documents_every_setting_once_and_nothing_else() -> None:
    documented = re.findall(r"^\| `(NOTICE_QA_\w+)` \|", _settings_section(), flags=re.MULTILINE)
    in_model = re.findall(r"^\| `(NOTICE_QA_\w+)` \|", settings_table(), flags=re.MULTILINE)
    assert documented == in_model
    assert len(set(in_model)) == len(in_model) == 23


def test_every_variable_the_docs_name_is_a_setting() -> None:
    known = set(re.findall(r"`(NOTICE_QA_\w+)`", settings_table()))
    for doc in DOCS:
        named = set(re.findall(r"NOTICE_QA_[A-Z_]*[A-Z]", doc.read_text(encoding="utf-8")))
        assert named <= known, f"{doc.name} names {sorted(named - known)}, which no setting reads"


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("NOTICE_QA_PORT", "8001", lambda s: s.app.port == 8001),
        ("NOTICE_QA_KIOSK", "true", lambda s: s.app.kiosk is True),
        ("NOTICE_QA_REVIEW", "off", lambda s: s.review.enabled is False),
        ("NOTICE_QA_REVIEW_URL", "sqlite:///x.db", lambda s: s.review.url == "sqlite:///x.db"),
        ("NOTICE_QA_REVIEW_RETENTION_DAYS", "7", lambda s: s.review.retention_days == 7),
        ("NOTICE_QA_API_KEYS", "a,b", lambda s: s.api.keys == SecretStr("a,b")),
        ("NOTICE_QA_API_TOKEN", "t", lambda s: s.api.token == SecretStr("t")),
        (
            "NOTICE_QA_CHROMA_URL",
            "http://127.0.0.1:8000",
            lambda s: s.index.chroma_url == "http://127.0.0.1:8000",
        ),
        ("NOTICE_QA_TOP_K", "5", lambda s: s.index.top_k == 5),
        ("NOTICE_QA_MAX_QUESTION_CHARS", "80", lambda s: s.assistant.max_question_chars == 80),
        ("notice_qa_log_questions", "1", lambda s: s.assistant.log_questions is True),
        ("NOTICE_QA_DATA_DIR", "/srv/nq", lambda s: s.data_dir == Path("/srv/nq")),
    ],
)
def test_flat_environment_names_reach_their_sections(monkeypatch, variable, value, read) -> None:
    monkeypatch.setenv(variable, value)
    assert read(Settings())


def test_flat_keywords_sections_and_copies_agree() -> None:
    flat = Settings(port=8001, kiosk=True, review=False, api_key_rate_limit=5)
    sectioned = Settings(
        app=AppSettings(port=8001, kiosk=True), review={"enabled": False}, api={"key_rate_limit": 5}
    )
    assert flat == sectioned
    copy = flat.model_copy(update={"port": 9000, "chroma_url": "http://h:1"})
    assert (copy.app.port, copy.app.kiosk, copy.index.chroma_url, copy.review.enabled) == (
        9000,
        True,
        "http://h:1",
        False,
    )
    assert flat.app.port == 8001  # the original is untouched


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"port": 0}, "app.port"),
        ({"top_k": 99}, "index.top_k"),
        ({"query_encoder": "gpu"}, "index.query_encoder"),
        ({"prot": 8000}, "prot"),
    ],
)
def test_bad_values_name_the_setting(values, match) -> None:
    with pytest.raises(ValidationError, match=re.escape(match)):
        Settings(**values)


def test_sections_are_values() -> None:
    settings = Settings()
    with pytest.raises(ValidationError, match="frozen"):
        settings.app.port = 1  # type: ignore[misc]


def test_notice_path_is_read(tmp_path: Path, notice) -> None:
    assert load_notice(Settings().notice_path) == notice
    copy = tmp_path / "notice.txt"
    copy.write_text(notice.text, encoding="utf-8")
    assert load_notice(Settings(notice_path=copy).notice_path).text == notice.text


def test_a_bad_value_is_described_by_the_name_a_deployer_sets(monkeypatch) -> None:
    monkeypatch.setenv("NOTICE_QA_TOP_K", "0")
    monkeypatch.setenv("NOTICE_QA_REVIEW", "maybe")
    with pytest.raises(ValidationError) as info:
        Settings()
    message = describe_error(info.value)
    assert message.startswith("bad setting: ")
    assert "NOTICE_QA_TOP_K (index.top_k): Input should be greater than 0, got '0'" in message
    assert "NOTICE_QA_REVIEW (review.enabled): " in message
