"""The one settings object. Built by the app factory and the CLI, never at import time.

Every field is documented in README.md's settings table; `tests/common/test_settings.py`
fails when one is missing there.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"


class NLUSettings(BaseModel):
    """Intent and entity understanding."""

    base_model: str = Field(DEFAULT_ENCODER, description="Hugging Face name or local path of the encoder to fine-tune")
    model_dir: Path | None = Field(None, description="Trained NLU artifact to serve (default: <data_dir>/models/nlu)")
    max_length: int = Field(64, ge=8, le=512, description="Tokens kept per message")
    batch_wait_ms: float = Field(2.0, ge=0, le=100, description="How long the server waits to batch concurrent messages")
    quantize: bool = Field(True, description="Serve the NLU with dynamic int8 weights (2x faster on CPU, -0.15 pt intent accuracy on Bitext)")


class KnowledgeBaseSettings(BaseModel):
    """Help-centre retrieval."""

    embedding_model: str = Field(DEFAULT_ENCODER, description="sentence-transformers model name or path for embeddings")
    index_dir: Path | None = Field(None, description="Built index to serve (default: <data_dir>/kb_index)")
    sources: list[Path] = Field(default_factory=list, description="Help-centre sources to index (default: the demo help centre)")
    bulk_precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="Precision for embedding passages in bulk: auto is bfloat16 on CPUs with AMX (2x faster indexing), else float32")
    default_language: str = Field("en", pattern=r"^[a-z]{2}$", description="ISO 639-1 language of help-centre articles and FAQ rows that do not name one")


class RetentionSettings(BaseModel):
    """Churn risk, value and offers."""

    horizon_days: int = Field(90, ge=7, le=730, description="Days without a purchase that count as churn")
    score_max_age_hours: float = Field(36.0, gt=0, description="Scores older than this are flagged stale; offers need a fresh score")
    max_training_rows: int = Field(2_000_000, ge=100, description="Most customer-windows the SQL feature engines read to train churn (a seeded sample beyond it)")


class ShopSettings(BaseModel):
    handoff_wait_minutes: float = Field(5.0, gt=0, description="Minutes a shopper waits for a person before being offered the bot or an e-mail reply")
    order_id_pattern: str | None = Field(
        None, description="Regex an order id must match whole (default: learnt from the shop's own order ids)")

    @field_validator("order_id_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class LanguageSettings(BaseModel):
    """Which languages shoppers write in, and which of them the NLU speaks (bot/language.py, docs/languages.md)."""

    detect: bool = Field(True, description="Detect the language of each shopper message (Lingua, offline)")
    spoken: list[str] = Field(default_factory=lambda: ["en"], description="ISO 639-1 codes of the languages the NLU was trained on")
    candidates: list[str] = Field(default_factory=lambda: ["en", "de", "fr", "nl", "es", "it", "pl", "pt", "sv", "da"],
                                  description="Languages the detector chooses between (each costs ~30 MB of memory)")
    min_confidence: float = Field(0.0, ge=0, le=1, description="Least detector confidence for a language (else unknown)")
    min_margin: float = Field(0.3, ge=0, le=1, description="Least lead of the best language over the runner-up (else unknown)")
    foreign_margin: float = Field(0.4, ge=0, le=1, description="When two languages the NLU does not speak nearly tie (Spanish, "
                                  "Portuguese), least lead of the best over the spoken ones to still answer as a foreign language")
    min_letters: int = Field(8, ge=1, description="Least letters (not counting ids, numbers, links) to name a language")
    low_accuracy: bool = Field(False, description="Lingua's low-accuracy mode: 20 MB instead of ~300 MB, more unknowns and mistakes")

    @field_validator("spoken", "candidates")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        codes = [str(v).strip().lower() for v in value]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad or not codes:
            raise ValueError(f"must be a non-empty JSON list of ISO 639-1 codes like [\"en\", \"de\"] (bad: {bad})")
        return codes


class RateLimitSettings(BaseModel):
    """Requests per client address, shopper and conversation in each window (0 switches a limit off)."""

    redis_url: str | None = Field(None, description="Redis URL for the counters (e.g. redis://127.0.0.1:6379/0); default: the database")
    window_seconds: int = Field(60, ge=1, le=86_400, description="Length of one counting window")
    opens_per_address: int = Field(600, ge=0, description="Conversations opened per client address per window")
    opens_per_shopper: int = Field(30, ge=0, description="Conversations opened per signed-in shopper per window")
    messages_per_address: int = Field(6000, ge=0, description="Messages per client address per window")
    messages_per_shopper: int = Field(120, ge=0, description="Messages per signed-in shopper (all conversations) per window")
    messages_per_conversation: int = Field(60, ge=0, description="Messages per conversation per window")


class KeySettings(BaseModel):
    """Keys per purpose and token lifetimes (see docs/security.md). Lists are newest first: the first signs."""

    conversation: list[str] = Field(default_factory=list, description="Server-only keys for conversation tokens (default: <data_dir>/keys/conversation.json)")
    staff: list[str] = Field(default_factory=list, description="Server-only keys for staff sessions (default: <data_dir>/keys/staff.json)")
    webhook: list[str] = Field(default_factory=list, description="Keys the shop signs coupon webhooks with (default: <data_dir>/keys/webhook.json)")
    shop_previous: list[str] = Field(default_factory=list, description="Earlier shop keys that still verify shopper tokens while the shop switches")
    grace_hours: float = Field(24.0, ge=0, le=24 * 90, description="How long a rotated-out key file entry keeps verifying")
    shopper_audience: str = Field("keepcart", min_length=1, max_length=200, description="The `aud` a shopper token must carry")
    shopper_token_max_hours: float = Field(24.0, gt=0, le=24 * 30, description="Furthest `exp` a shopper token may have")
    conversation_token_minutes: int = Field(120, ge=1, le=7 * 24 * 60, description="Life of a conversation token (renewable)")

    @field_validator("conversation", "staff", "webhook", "shop_previous")
    @classmethod
    def _keys_long_enough(cls, value: list[str]) -> list[str]:
        if any(len(k) < 32 for k in value):
            raise ValueError("every key must be at least 32 characters")
        return value


class Settings(BaseSettings):
    """Keepcart's configuration, read from `KEEPCART_*` environment variables (and `.env`)."""

    model_config = SettingsConfigDict(
        env_prefix="KEEPCART_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(Path("keepcart-data"), description="Directory for the database, models and indexes")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file <data_dir>/keepcart.db")
    secret_key: str | None = Field(
        None, description="Shop key that verifies shopper tokens, HS256 JWTs (≥ 32 chars); default: generated once into <data_dir>/secret_key"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Logging level")
    max_message_chars: int = Field(2000, ge=1, le=100_000, description="Longest shopper message accepted")
    demo_mode: bool = Field(False, description="Serve the demo shop page that signs in any demo customer (never in production)")
    cors_origins: list[str] = Field(default_factory=list, description="Shop origins allowed to embed the widget (JSON list)")
    nlu: NLUSettings = Field(default_factory=NLUSettings, description="NLU section (KEEPCART_NLU__*)")
    kb: KnowledgeBaseSettings = Field(default_factory=KnowledgeBaseSettings, description="Knowledge-base section (KEEPCART_KB__*)")
    retention: RetentionSettings = Field(default_factory=RetentionSettings, description="Retention section (KEEPCART_RETENTION__*)")
    shop: ShopSettings = Field(default_factory=ShopSettings, description="Shop section (KEEPCART_SHOP__*)")
    language: LanguageSettings = Field(default_factory=LanguageSettings, description="Language section (KEEPCART_LANGUAGE__*)")
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings, description="Rate limits (KEEPCART_RATE_LIMIT__*)")
    transcript_retention_days: int | None = Field(
        None, ge=1, description="Anonymise transcripts older than this many days (`keepcart privacy purge`, and at start); default: keep")
    keys: KeySettings = Field(default_factory=KeySettings, description="Keys and token lifetimes (KEEPCART_KEYS__*)")
    demo_allow_remote: bool = Field(False, description="Let demo mode serve beyond loopback (it signs in anyone as any demo customer)")
    trusted_proxies: list[str] = Field(default_factory=list, description="Proxy addresses/networks whose X-Forwarded-For/-Proto are believed")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("must be at least 32 characters (generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _known_dialect(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql:// (e.g. postgresql+psycopg://user@host/db)")
        return value

    # -- derived values -------------------------------------------------------------
    def resolved_database_url(self) -> str:
        """The URL to connect to: the setting, or a SQLite file under the data directory."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            return url
        return f"sqlite:///{(self.data_dir / 'keepcart.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The shop secret; generated once and kept in the data directory when not set."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    def nlu_model_dir(self) -> Path:
        return self.nlu.model_dir or self.data_dir / "models" / "nlu"

    def kb_index_dir(self) -> Path:
        return self.kb.index_dir or self.data_dir / "kb_index"

    def churn_model_dir(self) -> Path:
        return self.data_dir / "models" / "churn"


class SettingsError(Exception):
    """Settings failed validation; the message names each bad variable."""


def load_settings(**overrides: object) -> Settings:
    """Build and validate the settings, turning pydantic's error into one readable message."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "KEEPCART_" + "__".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg']}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
