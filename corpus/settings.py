"""The one Settings object of notice-qa: sections for code, flat ``NOTICE_QA_*`` names for deployers.

It lives in ``corpus``, the bottom layer, so that every package (index, assistant, ui, eval) can take it without
importing backwards. Code reads sections (``settings.index.top_k``, ``settings.app.port``); deployers and callers
keep the flat names they always used: ``NOTICE_QA_PORT=8000`` in the environment, ``Settings(port=8000)`` or
``settings.model_copy(update={"port": 8000})`` in Python. Each field's flat name is its ``validation_alias`` (or its
own name). Entry points build it once and pass sections or plain values down.

The README's settings table is ``settings_table()`` verbatim (a test checks it), so the two cannot drift.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "NOTICE_QA_"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "notice-qa"


def _packaged_notice() -> Path:
    return Path(str(resources.files("corpus").joinpath("data", "notice.txt")))


def _shown(default: str) -> dict[str, Any]:
    """How the README shows a default that is computed or empty."""
    return {"shown_default": default}


class _Section(BaseModel):
    # Frozen: a section is a value passed down; a change goes through Settings.model_copy(update=…), which validates.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)


class IndexSettings(_Section):
    """The embedding model and the Chroma index (index/)."""

    model_dir: Path | None = Field(
        default=None,
        description="any sentence-transformers folder",
        json_schema_extra=_shown("`<data_dir>/models/m3e-small`"),
    )
    query_encoder: Literal["auto", "onnx", "sentence-transformers"] = Field(
        default="auto",
        description="what embeds questions: `onnx` (the export beside the model), `sentence-transformers`, "
        "or `auto` (onnx when exported)",
    )
    chroma_url: str | None = Field(
        default=None,
        description="e.g. `http://127.0.0.1:8000` for a `chroma run` server",
        json_schema_extra=_shown("empty: embedded Chroma"),
    )
    collection: str = Field(default="notice", description="the Chroma collection's name")
    top_k: int = Field(
        default=12,
        gt=0,
        le=50,
        description="candidates the hybrid retriever returns; the assistant then picks the sentence(s) that answer",
    )


class AssistantSettings(_Section):
    """Each turn of the assistant (assistant/chain.py): its input limit and its one log line."""

    max_question_chars: int = Field(
        default=500, gt=0, description="longer questions get a clear message, unprocessed"
    )
    log_questions: bool = Field(
        default=False,
        description="logs hold a keyed hash and the length of each question, never its text, unless this is set "
        "(then the text too, control characters escaped)",
    )
    log_key: SecretStr | None = Field(
        default=None,
        description="the key of the logs' question hash (HMAC-SHA256); set one to correlate lines across restarts "
        "and replicas",
        json_schema_extra=_shown("empty: random per start"),
    )


class AppSettings(_Section):
    """The Gradio app and its HTTP hardening (ui/)."""

    host: str = Field(default="127.0.0.1", description="the app's address")
    port: int = Field(default=7860, gt=0, lt=65536, description="the app's port")
    kiosk: bool = Field(default=False, description="the public kiosk instead of the staff desk")
    kiosk_idle_seconds: int = Field(
        default=180,
        gt=0,
        description="a kiosk clears itself after this long without activity (never while the question box holds "
        "text)",
    )
    queue_size: int = Field(
        default=64,
        gt=0,
        description="questions waiting at most; a full queue answers 「系统繁忙，请稍后再试」",
    )
    concurrency: int = Field(default=4, gt=0, description="questions answered at once")
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="larger request bodies get 413 before the app reads them"
    )


class ReviewSettings(_Section):
    """The review store (ui/review.py): 👎, refusals and errors, scrubbed, for staff to correct."""

    enabled: bool = Field(
        default=True,
        validation_alias="review",
        description="`off`: nothing at all is stored for review (the feedback buttons still say thanks)",
        json_schema_extra=_shown("on"),
    )
    url: str | None = Field(
        default=None,
        validation_alias="review_url",
        description="`postgresql://user:pass@host/db` when several replicas share one review store",
        json_schema_extra=_shown("empty: SQLite at `<data_dir>/review.sqlite3`"),
    )
    retention_days: int = Field(
        default=90,
        gt=0,
        validation_alias="review_retention_days",
        description="review entries older than this are deleted (at start and hourly)",
    )


class ApiSettings(_Section):
    """The staff desk's APIs (ui/guard.py, ui/openai_api.py); never on a kiosk."""

    token: SecretStr | None = Field(
        default=None,
        validation_alias="api_token",
        description="bearer token of the staff desk's `POST /api/ask` and `POST /api/feedback`, and the staff "
        "token of the desk's 复核 tab; unset, neither the routes nor the review tab's contents exist (never on a "
        "kiosk)",
        json_schema_extra=_shown("empty: no API"),
    )
    keys: SecretStr | None = Field(
        default=None,
        validation_alias="api_keys",
        description="comma-separated bearer keys of the staff desk's OpenAI-compatible `/v1` API; unset, the "
        "routes do not exist (never on a kiosk)",
        json_schema_extra=_shown("empty: no API"),
    )
    key_rate_limit: int = Field(
        default=60,
        gt=0,
        validation_alias="api_key_rate_limit",
        description="requests a minute each `/v1` key may make; past it, 429 with `Retry-After`",
    )


_SECTIONS: dict[str, type[_Section]] = {
    "index": IndexSettings,
    "assistant": AssistantSettings,
    "app": AppSettings,
    "review": ReviewSettings,
    "api": ApiSettings,
}


def _flat_name(name: str, info: FieldInfo) -> str:
    return info.validation_alias if isinstance(info.validation_alias, str) else name


def _section_fields() -> Iterator[tuple[str, str, str, FieldInfo]]:
    """(section, field, flat name, field info) of every sectioned setting, in README order."""
    for section, model in _SECTIONS.items():
        for name, info in model.model_fields.items():
            yield section, name, _flat_name(name, info), info


# flat name → (section, field): how NOTICE_QA_PORT and Settings(port=…) reach settings.app.port.
_FLAT = {flat: (section, name) for section, name, flat, _ in _section_fields()}


class _FlatEnvironment(PydanticBaseSettingsSource):
    """Reads ``NOTICE_QA_<FLAT NAME>`` (any case) for every setting; the sections themselves have no env name."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every name at once

    def __call__(self) -> dict[str, Any]:
        environ = {key.upper(): value for key, value in os.environ.items()}
        names = [*_TOP_LEVEL, *_FLAT]
        return {
            name: environ[ENV_PREFIX + name.upper()] for name in names if ENV_PREFIX + name.upper() in environ
        }


class Settings(BaseSettings):
    """Everything a deployer may change; defaults work offline on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="model, index and review store live here",
        json_schema_extra=_shown("`~/.cache/notice-qa`"),
    )
    notice_path: Path = Field(
        default_factory=_packaged_notice,
        description="the notice's text, one clause or task row a line as in the packaged copy",
        json_schema_extra=_shown("the packaged copy, `corpus/data/notice.txt`"),
    )
    index: IndexSettings = IndexSettings()
    assistant: AssistantSettings = AssistantSettings()
    app: AppSettings = AppSettings()
    review: ReviewSettings = ReviewSettings()
    api: ApiSettings = ApiSettings()

    def __init__(self, **values: Any) -> None:
        """Flat names (``Settings(port=8000)``) or whole sections (``Settings(app=AppSettings(port=8000))``)."""
        super().__init__(**values)

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        """Move flat names (``port``, ``review_url``) into their sections; sections given whole stay as given."""
        if not isinstance(data, Mapping):
            return data
        nested: dict[str, Any] = {}
        flat: dict[str, Any] = {}
        for key, value in data.items():
            is_section = key in _SECTIONS and isinstance(value, Mapping | BaseModel)
            if key in _FLAT and not is_section:  # `review` is a section and the flat name of review.enabled
                flat[key] = value
            else:
                nested[key] = value.model_dump() if is_section and isinstance(value, BaseModel) else value
        for key, value in flat.items():
            section, name = _FLAT[key]
            nested[section] = {**nested.get(section, {}), name: value}
        return nested

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The flat loader replaces pydantic-settings' own: NOTICE_QA_REVIEW=off names a field of the review
        # section, not the section (which pydantic-settings would try to read as JSON).
        return init_settings, _FlatEnvironment(settings_cls)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` (flat names or sections) applied and validated, never read from the environment."""
        if not update:
            return super().model_copy(deep=deep)
        return self.model_validate({**dict(self), **update})

    @property
    def resolved_model_dir(self) -> Path:
        return self.index.model_dir or self.data_dir / "models" / "m3e-small"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "chroma"


_TOP_LEVEL = [name for name in Settings.model_fields if name not in _SECTIONS]
_ENV_NAMES: dict[tuple[str, ...], str] = {(name,): ENV_PREFIX + name.upper() for name in _TOP_LEVEL} | {
    (section, name): ENV_PREFIX + flat.upper() for flat, (section, name) in _FLAT.items()
}


def describe_error(exc: ValidationError) -> str:
    """A bad setting in one line, by the name a deployer sets: ``NOTICE_QA_TOP_K (index.top_k): … got 0``."""
    parts = []
    for error in exc.errors():
        loc = tuple(str(p) for p in error["loc"])
        where = ".".join(loc)
        name = _ENV_NAMES.get(loc)
        shown = f"{name} ({where})" if name else where
        parts.append(f"{shown}: {error['msg']}, got {error.get('input')!r}")
    return "bad setting: " + "; ".join(parts)


def _default(info: FieldInfo) -> str:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "shown_default" in extra:
        return str(extra["shown_default"])
    value = info.default
    return str(value).lower() if isinstance(value, bool) else str(value)


def settings_table() -> str:
    """The README's settings table: every setting with its environment name, its place in code and its default."""
    rows = ["| setting | in code | default | meaning |", "|---|---|---|---|"]
    for name in _TOP_LEVEL:
        info = Settings.model_fields[name]
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | `{name}` | {_default(info)} | {info.description} |")
    for section, name, flat, info in _section_fields():
        rows.append(
            f"| `{ENV_PREFIX}{flat.upper()}` | `{section}.{name}` | {_default(info)} | {info.description} |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(settings_table())  # paste into README.md's "Settings" when a setting changes
