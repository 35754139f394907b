"""Builds Keepcart's parts once, from the settings: the composition root shared by web and CLI."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatService
from bot.dialogue import DialogueManager
from bot.keyword_parser import KeywordParser
from bot.ports import KnowledgeSource, Parser
from bot.transcript import TranscriptStore
from common.artifacts import MANIFEST
from common.db import make_engine, make_session_factory
from common.migrate import upgrade
from common.settings import Settings
from shop.sql_backend import SqlShopBackend

log = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    secret: str
    store: TranscriptStore
    shop: SqlShopBackend
    parser: Parser
    knowledge: KnowledgeSource | None
    chat: ChatService


def load_parser(model_dir: Path) -> Parser:
    """The fine-tuned NLU when one has been trained, else the keyword rule set (with a warning)."""
    if not (model_dir / MANIFEST).exists():
        log.warning("no NLU model at %s: using the keyword rule set (run `keepcart nlu train` or `keepcart demo`)", model_dir)
        return KeywordParser()
    from bot.nlu.model import NLUModel

    started = time.perf_counter()
    model = NLUModel.load(model_dir)
    log.info("NLU model %s loaded in %.2f s", model.model_id, time.perf_counter() - started)
    return model


def load_knowledge(settings: Settings) -> KnowledgeSource | None:
    index_dir = settings.kb_index_dir()
    if not (index_dir / MANIFEST).exists():
        log.warning("no knowledge-base index at %s: policy questions go to a person (run `keepcart kb index`)", index_dir)
        return None
    from knowledge_base.embedder import Embedder
    from knowledge_base.retriever import KnowledgeBase

    return KnowledgeBase.load(index_dir, Embedder(settings.kb.embedding_model))


def build_components(settings: Settings, migrate: bool = True, parser: Parser | None = None,
                     knowledge: KnowledgeSource | None = None, engine: Engine | None = None) -> Components:
    """Everything the app needs; tests pass their own engine, parser or knowledge source."""
    engine = engine or make_engine(settings.resolved_database_url())
    if migrate:
        upgrade(engine)
    sessions = make_session_factory(engine)
    store = TranscriptStore(sessions)
    shop = SqlShopBackend(sessions)
    parser = parser or load_parser(settings.nlu_model_dir())
    knowledge = knowledge if knowledge is not None else load_knowledge(settings)
    dialogue = DialogueManager(parser, shop, knowledge)
    return Components(settings, engine, sessions, settings.resolved_secret_key(), store, shop, parser, knowledge,
                      ChatService(store, dialogue))
