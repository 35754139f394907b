"""Builds Keepcart's parts once, from the settings: the composition root shared by web and CLI."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatService
from bot.dialogue import DialogueManager
from bot.keyword_parser import KeywordParser
from bot.language import LanguageDetector
from bot.policy import INTENT_ACTIONS
from bot.ports import KnowledgeSource, Parser, RetentionAdvisor
from bot.staff import StaffDesk
from bot.transcript import TranscriptStore
from common.artifacts import MANIFEST
from common.db import make_engine, make_session_factory
from common.keys import Keys, load_keys
from common.migrate import upgrade
from common.reload import Reloading
from common.settings import Settings
from shop.sql_backend import SqlShopBackend

log = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keys: Keys
    store: TranscriptStore
    shop: SqlShopBackend
    parser: Parser
    knowledge: KnowledgeSource | None
    retention: RetentionAdvisor | None
    chat: ChatService
    staff: StaffDesk


class Live:
    """A port whose artifact a running server replaces when a newer version is written (common/reload.py).

    Every attribute is read from the artifact currently loaded, so `parse`, `answer`, `model_id` and
    `index_id` always come from the same, newest version.
    """

    def __init__(self, holder: Reloading[Any]) -> None:
        self._holder = holder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._holder.get(), name)


def load_parser(settings: Settings) -> Parser:
    """The fine-tuned NLU when one has been trained, else the keyword rule set (with a warning).

    Concurrent requests share one micro-batcher, so simultaneous messages cost one forward pass.
    """
    model_dir = settings.nlu_model_dir()
    if not (model_dir / MANIFEST).exists():
        log.warning("no NLU model at %s: using the keyword rule set (run `keepcart nlu train` or `keepcart demo`)", model_dir)
        return KeywordParser()
    from bot.nlu.batching import BatchingParser
    from bot.nlu.model import NLUModel

    def load(directory: Path) -> BatchingParser:
        started = time.perf_counter()
        model = NLUModel.load(directory, quantize=settings.nlu.quantize)
        log.info("NLU model %s loaded in %.2f s", model.model_id, time.perf_counter() - started)
        return BatchingParser(model, max_wait_ms=settings.nlu.batch_wait_ms)

    holder = Reloading(model_dir, load, load(model_dir), on_replace=lambda old: old.close())
    return cast(Parser, Live(holder))


def load_knowledge(settings: Settings) -> KnowledgeSource | None:
    index_dir = settings.kb_index_dir()
    if not (index_dir / MANIFEST).exists():
        log.warning("no knowledge-base index at %s: policy questions go to a person (run `keepcart kb index`)", index_dir)
        return None
    from knowledge_base.embedder import Embedder
    from knowledge_base.index import KnowledgeBase

    embedder = Embedder(settings.kb.embedding_model, bulk_precision=settings.kb.bulk_precision)
    holder = Reloading(index_dir, lambda d: KnowledgeBase.load(d, embedder), KnowledgeBase.load(index_dir, embedder))
    return cast(KnowledgeSource, Live(holder))


def load_retention(settings: Settings, sessions: sessionmaker[Session]) -> RetentionAdvisor:
    """The offer agent; it recommends products when a recommender has been trained."""
    from retention_model.offers.agent import RetentionAgent

    rec_dir = settings.data_dir / "models" / "recommender"
    recommender = None
    if (rec_dir / MANIFEST).exists():
        from retention_model.recommend import Recommender

        model = Recommender.load(rec_dir)
        recommender = model.recommend
    return RetentionAgent(sessions, recommender=recommender, score_max_age_hours=settings.retention.score_max_age_hours,
                          uplift_model_dir=settings.data_dir / "models" / "offer_uplift")


def build_components(settings: Settings, migrate: bool = True, parser: Parser | None = None,
                     knowledge: KnowledgeSource | None = None, engine: Engine | None = None,
                     retention: RetentionAdvisor | None = None) -> Components:
    """Everything the app needs; tests pass their own engine, parser or knowledge source."""
    engine = engine or make_engine(settings.resolved_database_url())
    if migrate:
        upgrade(engine)
    sessions = make_session_factory(engine)
    store = TranscriptStore(sessions)
    shop = SqlShopBackend(sessions)
    parser = parser or load_parser(settings)
    knowledge = knowledge if knowledge is not None else load_knowledge(settings)
    retention = retention or load_retention(settings, sessions)
    recommender = getattr(retention, "recommender", None)
    language = LanguageDetector.from_settings(settings.language) if settings.language.detect else None
    dialogue = DialogueManager(parser, shop, knowledge, retention, recommender=recommender,
                               order_id_pattern=settings.shop.order_id_pattern, language=language,
                               handoff_wait=timedelta(minutes=settings.shop.handoff_wait_minutes))
    return Components(settings, engine, sessions, load_keys(settings), store, shop, parser, knowledge,
                      retention, ChatService(store, dialogue), StaffDesk(store, INTENT_ACTIONS))
