"""The one Settings object of notice-qa (env prefix ``NOTICE_QA_``).

It lives in ``index``, the first package that reads any setting, so that every later package
(assistant, ui, eval) can take it without importing backwards. Entry points build it once and pass
plain values down.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "notice-qa"


class Settings(BaseSettings):
    """Everything a deployer may change; defaults work offline on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="NOTICE_QA_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    # Any sentence-transformers folder; empty means <data_dir>/models/m3e-small, installed by `notice-qa model`.
    model_dir: Path | None = None
    # What embeds questions: the ONNX export `notice-qa model` makes beside the model (no torch when serving),
    # sentence-transformers itself, or auto (onnx when exported). Documents are always embedded by the model.
    query_encoder: Literal["auto", "onnx", "sentence-transformers"] = "auto"
    # Empty: an embedded, persistent Chroma under <data_dir>/chroma. Set (http://127.0.0.1:8000): a `chroma run` server.
    chroma_url: str | None = None
    collection: str = "notice"
    # Candidates the hybrid retriever returns; the assistant then picks the sentence(s) that answer.
    top_k: int = Field(default=12, gt=0, le=50)
    max_question_chars: int = Field(default=500, gt=0)

    host: str = "127.0.0.1"
    port: int = Field(default=7860, gt=0, lt=65536)
    kiosk: bool = False
    kiosk_idle_seconds: int = Field(default=180, gt=0)
    queue_size: int = Field(default=64, gt=0)
    concurrency: int = Field(default=4, gt=0)
    # Kiosk logs never hold question text; staff deployments may opt in for an audit log.
    log_questions: bool = False
    # The app's hardening (ui.guard): the key of the logs' question hash (empty: random per start), the
    # bearer token of POST /api/ask (empty: no such route), the largest request body it reads.
    log_key: SecretStr | None = None
    api_token: SecretStr | None = None
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    # The review store (ui.review): 👎, refusals and errors, scrubbed, for staff to correct. Off: nothing kept.
    # Empty URL: SQLite at <data_dir>/review.sqlite3; postgresql://… when replicas share one store.
    review: bool = True
    review_url: str | None = None
    review_retention_days: int = Field(default=90, gt=0)
    # The OpenAI-compatible /v1 API of the staff desk (ui.openai_api): its bearer keys, comma-separated (empty:
    # no such routes), and the requests per minute each key may make.
    api_keys: SecretStr | None = None
    api_key_rate_limit: int = Field(default=60, gt=0)

    @property
    def resolved_model_dir(self) -> Path:
        return self.model_dir or self.data_dir / "models" / "m3e-small"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "chroma"
