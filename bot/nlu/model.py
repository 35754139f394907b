"""`NLUModel`: the fine-tuned joint intent + entity Transformer, trained, saved, loaded and queried.

One encoder pass per batch answers both questions (which intent, which spans); regex rules add the
structured entities; a calibrated threshold turns unclear messages into `out_of_scope`.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import random
import threading
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from bot.nlu import calibration
from bot.nlu.extractors import CONTEXTUAL_TYPES, DEFAULT_ORDER_PATTERN, RULE_TYPES, RuleExtractor, merge_entities
from bot.nlu.lexical import DEFAULT_WEIGHT, LexicalModel, choose_weight, mix
from bot.nlu.network import JointNetwork, spans_to_tags, tag_names, tags_to_spans
from bot.nlu.spelling import Repair, SpellingRepair, count_words
from bot.nlu.trainer import Encoded, TrainResult, predict_logits, train
from bot.nlu.training_data import Example
from bot.nlu.types import OUT_OF_SCOPE, Entity, Parse, out_of_scope_label
from common.artifacts import read_manifest, staged, write_manifest
from common.errors import InvalidInput
from common.pretrained import resolve_model_path

log = logging.getLogger(__name__)
KIND = "nlu"
RANKING_SIZE = 5
MIN_AUTO_EPOCHS, MAX_AUTO_EPOCHS, MIN_STEPS = 6, 12, 400


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def sensible_threads(requested: int | None = None) -> int:
    """Torch threads to use: as asked, else the cores not already busy (at least 1).

    On a shared 2-core box, two threads that wait on each other while another process holds a
    core run 5-10x slower than one thread; on an idle box both cores are used.
    """
    if requested:
        return requested
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def split_validation(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Stratified hold-out: about `fraction` of each intent with ≥ 4 examples goes to validation."""
    if fraction <= 0:
        return list(examples), []
    rng = random.Random(seed)
    by_intent: dict[str, list[Example]] = {}
    for ex in examples:
        by_intent.setdefault(ex.intent, []).append(ex)
    train_part, val_part = [], []
    for intent in sorted(by_intent):
        group = by_intent[intent][:]
        rng.shuffle(group)
        n_val = max(1, round(len(group) * fraction)) if len(group) >= 4 else 0
        val_part += group[:n_val]
        train_part += group[n_val:]
    return train_part, val_part


class NLUModel:
    """Joint intent classifier and BIO entity tagger over a pretrained encoder (scikit-learn habits)."""

    quantized_: bool  # set by load()
    load_seconds_: float  # set by load()

    def __init__(self, base_model: str = "sentence-transformers/all-MiniLM-L6-v2", max_length: int = 64,
                 epochs: int | None = None, batch_size: int = 32, lr: float = 1e-4, head_lr: float = 2e-3,
                 weight_decay: float = 0.01, warmup: float = 0.1, entity_weight: float = 1.0, dropout: float = 0.1,
                 validation_split: float = 0.1, patience: int | None = None, max_minutes: float | None = None,
                 seed: int = 13, order_pattern: str = DEFAULT_ORDER_PATTERN, rule_entities: str | list[str] = "auto",
                 freeze_embeddings: bool = True, num_threads: int | None = None, label_smoothing: float = 0.1,
                 refit: bool = False, spelling: bool = True, lexical_weight: float | None = None) -> None:
        self.base_model, self.max_length, self.epochs, self.batch_size = base_model, max_length, epochs, batch_size
        self.lr, self.head_lr, self.weight_decay, self.warmup = lr, head_lr, weight_decay, warmup
        self.entity_weight, self.dropout, self.validation_split = entity_weight, dropout, validation_split
        self.patience, self.max_minutes, self.seed, self.order_pattern = patience, max_minutes, seed, order_pattern
        self.rule_entities, self.freeze_embeddings, self.num_threads = rule_entities, freeze_embeddings, num_threads
        self.label_smoothing, self.refit, self.spelling = label_smoothing, refit, spelling
        self.lexical_weight = lexical_weight  # None: chosen on the validation split (see bot/nlu/lexical.py)
        self.lexical_: LexicalModel | None = None
        self.lexical_weight_ = 0.0
        self.speller_: SpellingRepair | None = None
        self._lock = threading.Lock()
        self.manifest_: dict[str, Any] = {}

    # -- parameters ---------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        keys = ("base_model", "max_length", "epochs", "batch_size", "lr", "head_lr", "weight_decay", "warmup",
                "entity_weight", "dropout", "validation_split", "patience", "max_minutes", "seed", "order_pattern", "rule_entities",
                "freeze_embeddings", "num_threads", "label_smoothing", "refit", "spelling", "lexical_weight")
        return {k: getattr(self, k, None) for k in keys}

    def _make_rules(self) -> None:
        """Rules for the types the training data defines ("auto"), or for an explicit list."""
        wanted = self.entity_types_ if self.rule_entities == "auto" else list(self.rule_entities)
        self.rules_ = RuleExtractor(self.order_pattern, [t for t in RULE_TYPES if t in wanted])

    def epochs_for(self, n_train: int) -> int:
        """`epochs`, or by default 6 passes, more for small data: at least MIN_STEPS steps, at most 12 passes.

        Six annealed passes is the plain fine-tune that reaches 0.94 on 10k-utterance benchmarks; a shop's
        first 1,000 examples are only 32 steps a pass, too few to learn from in six.
        """
        if self.epochs is not None:
            return self.epochs
        steps_per_epoch = max(1, -(-n_train // self.batch_size))
        return min(MAX_AUTO_EPOCHS, max(MIN_AUTO_EPOCHS, -(-MIN_STEPS // steps_per_epoch)))

    def _make_speller(self) -> None:
        """Typo repair from the training words, unless switched off or the artifact predates it."""
        words = getattr(self, "vocabulary_", None)
        self.speller_ = None
        if self.spelling and words:
            self.speller_ = SpellingRepair(words, (w for w in self.tokenizer_.get_vocab() if not w.startswith("##")))

    @property
    def model_id(self) -> str:
        """The artifact's manifest id, recorded on every event this model produced."""
        return str(self.manifest_.get("id", ""))

    # -- training -----------------------------------------------------------------------
    def _encode(self, examples: list[Example]) -> Encoded:
        enc = self.tokenizer_([e.text for e in examples], truncation=True, max_length=self.max_length,
                              return_offsets_mapping=True)
        tag_index = {t: i for i, t in enumerate(self.tags_)}
        intent_index = {n: i for i, n in enumerate(self.intents_)}
        tags = [spans_to_tags([tuple(o) for o in offs], [(s.start, s.end, s.entity) for s in ex.entities], tag_index)
                for offs, ex in zip(enc["offset_mapping"], examples)]
        return Encoded(list(enc["input_ids"]), tags, [intent_index[e.intent] for e in examples])

    def fit(self, examples: list[Example], progress: bool = True) -> NLUModel:
        """Fine-tune on `examples`, hold out a validation split for early stopping and calibration."""
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(sensible_threads(self.num_threads))
        if len({e.intent for e in examples}) < 2:
            raise InvalidInput("training data needs at least two intents")
        _quiet_transformers()
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        random.seed(self.seed)
        path = resolve_model_path(self.base_model)
        self.tokenizer_ = AutoTokenizer.from_pretrained(path)
        if not getattr(self.tokenizer_, "is_fast", False):
            raise InvalidInput(f"{self.base_model}: needs a fast tokenizer (offset mapping) for entity spans")
        self.intents_ = sorted({e.intent for e in examples})
        self.entity_types_ = sorted({s.entity for e in examples for s in e.entities})
        self.tags_ = tag_names(self.entity_types_)
        self._make_rules()
        self.vocabulary_ = dict(count_words(e.text for e in examples))
        self._make_speller()

        def fresh_network() -> JointNetwork:
            encoder = AutoModel.from_pretrained(path)
            if self.freeze_embeddings:  # 12M of MiniLM's 22M weights: frozen, steps are ~2x faster and rare words stay put
                encoder.get_input_embeddings().weight.requires_grad_(False)
            return JointNetwork(encoder, encoder.config.hidden_size, len(self.intents_), len(self.tags_), self.dropout)

        def run(net: JointNetwork, part: list[Example], val: Encoded | None, epochs: int, minutes: float | None) -> TrainResult:
            return train(net, self._encode(part), val, pad_id=self.tokenizer_.pad_token_id or 0,
                         epochs=epochs, batch_size=self.batch_size, lr=self.lr, head_lr=self.head_lr,
                         weight_decay=self.weight_decay, warmup=self.warmup, entity_weight=self.entity_weight,
                         patience=self.patience, max_minutes=minutes, seed=self.seed, progress=progress,
                         label_smoothing=self.label_smoothing)

        self.net_ = fresh_network()
        train_part, val_part = split_validation(examples, self.validation_split, self.seed)
        val_data = self._encode(val_part) if val_part else None
        result = run(self.net_, train_part, val_data, self.epochs_for(len(train_part)), self.max_minutes)
        self.history_ = result.history
        kept = result.best_epoch if self.patience is not None else result.epochs_run
        self.training_ = {"epochs_run": result.epochs_run, "best_epoch": result.best_epoch, "kept_epoch": kept,
                          "seconds": round(result.seconds, 1),
                          "cpu_seconds": round(result.cpu_seconds, 1), "torch_threads": torch.get_num_threads(), "stopped_by": result.stopped_by,
                          "n_train": len(train_part), "n_validation": len(val_part)}
        self.temperature_, self.threshold_ = 1.0, 0.3
        weight = DEFAULT_WEIGHT if self.lexical_weight is None else self.lexical_weight
        started = time.monotonic()
        lexical = self._fit_lexical(train_part) if weight > 0 else None
        if val_data is not None:
            logits, _ = predict_logits(self.net_, val_data, self.tokenizer_.pad_token_id or 0)
            gold = np.array(val_data.intents)
            lexical_val = lexical.log_proba([e.text for e in val_part]) if lexical is not None else None
            if lexical_val is not None and self.lexical_weight is None:
                weight = choose_weight(logits, lexical_val, gold)
            mixed = mix(logits, lexical_val, weight)
            self.training_["val_mixed_accuracy"] = round(float((mixed.argmax(1) == gold).mean()), 4)
            self.temperature_ = calibration.fit_temperature(mixed, gold)
            probs = calibration.softmax(mixed, self.temperature_)
            self.threshold_ = calibration.choose_threshold(probs, [e.intent for e in val_part], self.intents_)
        # the mix is chosen; the lexical side then learns from every example (it takes seconds)
        self.lexical_ = self._fit_lexical(examples) if lexical is not None and weight > 0 else None
        self.lexical_weight_ = weight if self.lexical_ is not None else 0.0
        self.training_.update({"lexical_weight": self.lexical_weight_, "lexical_seconds": round(time.monotonic() - started, 1)})
        if self.refit and val_part and kept >= 1:
            # Validation chose the epochs and the calibration; now every example counts: a fresh network
            # trained on all of them for that many epochs, its schedule annealed over exactly those.
            left = None if self.max_minutes is None else max(0.1, self.max_minutes - result.seconds / 60)
            self.net_ = fresh_network()
            refit = run(self.net_, examples, None, kept, left)
            self.training_.update({"refit_epochs": refit.epochs_run, "refit_seconds": round(refit.seconds, 1),
                                   "refit_stopped_by": refit.stopped_by, "n_refit": len(examples)})
        self.manifest_ = {}
        return self

    def _fit_lexical(self, examples: list[Example]) -> LexicalModel:
        index = {n: i for i, n in enumerate(self.intents_)}
        return LexicalModel(len(self.intents_)).fit([e.text for e in examples], [index[e.intent] for e in examples])

    def _intent_logits(self, encoder_logits: np.ndarray, texts: list[str]) -> np.ndarray:
        """The encoder's logits mixed with the lexical model's, when the artifact has one."""
        lexical = self.lexical_.log_proba(texts) if self.lexical_ is not None and self.lexical_weight_ > 0 else None
        return mix(encoder_logits, lexical, self.lexical_weight_)

    # -- persistence --------------------------------------------------------------------
    def save(self, directory: Path | str, **manifest_fields: Any) -> dict[str, Any]:
        """Write a self-contained artifact directory (weights, tokenizer, labels, calibration, manifest)."""
        with staged(Path(directory)) as out:  # the old model serves until the new one is whole
            state = {k: v.contiguous() for k, v in self.net_.state_dict().items()}
            save_file(state, str(out / "model.safetensors"))
            self.net_.encoder.config.save_pretrained(out)
            self.tokenizer_.save_pretrained(out)
            (out / "labels.json").write_text(json.dumps(
                {"intents": self.intents_, "entity_types": self.entity_types_, "tags": self.tags_}, indent=2))
            (out / "calibration.json").write_text(json.dumps(
                {"temperature": self.temperature_, "threshold": self.threshold_, "lexical_weight": self.lexical_weight_}, indent=2))
            if self.lexical_ is not None:
                self.lexical_.save(out)
            (out / "nlu_config.json").write_text(json.dumps(self.get_params(), indent=2))
            (out / "vocabulary.json").write_text(json.dumps(self.vocabulary_, ensure_ascii=False, sort_keys=True))
            fields = {"params": self.get_params(), "labels": {"intents": self.intents_, "entities": self.entity_types_},
                      "calibration": {"temperature": self.temperature_, "threshold": self.threshold_,
                                      "lexical_weight": self.lexical_weight_},
                      "training": getattr(self, "training_", {}), **manifest_fields}
            self.manifest_ = write_manifest(out, KIND, **fields)
            return self.manifest_

    @classmethod
    def load(cls, directory: Path | str, quantize: bool = False, num_threads: int | None = None) -> NLUModel:
        """Load an artifact for serving; `quantize=True` applies dynamic int8 to the Linear layers.

        Sets torch's thread count (process-wide) to `num_threads`, else to `sensible_threads()`.
        """
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        started = time.perf_counter()
        src = Path(directory)
        manifest = read_manifest(src, KIND)
        _quiet_transformers()
        torch.set_num_threads(sensible_threads(num_threads))
        params = json.loads((src / "nlu_config.json").read_text())
        known = inspect.signature(cls.__init__).parameters
        # training-only settings a newer version added do not matter for serving: a rollback still loads
        model = cls(**{k: v for k, v in params.items() if k in known})
        labels = json.loads((src / "labels.json").read_text())
        calib = json.loads((src / "calibration.json").read_text())
        model.intents_, model.entity_types_, model.tags_ = labels["intents"], labels["entity_types"], labels["tags"]
        model.temperature_, model.threshold_ = float(calib["temperature"]), float(calib["threshold"])
        model.lexical_ = LexicalModel.load(src)
        model.lexical_weight_ = float(calib.get("lexical_weight", 0.0)) if model.lexical_ is not None else 0.0
        model._make_rules()
        model.tokenizer_ = AutoTokenizer.from_pretrained(src)
        vocabulary = src / "vocabulary.json"
        model.vocabulary_ = json.loads(vocabulary.read_text()) if vocabulary.exists() else {}
        model._make_speller()
        encoder = AutoModel.from_config(AutoConfig.from_pretrained(src))
        net = JointNetwork(encoder, encoder.config.hidden_size, len(model.intents_), len(model.tags_), model.dropout)
        net.load_state_dict(load_file(str(src / "model.safetensors")))
        net.eval()
        if quantize:
            with warnings.catch_warnings():  # torch marks its quantized tensors deprecated; the API still works
                warnings.filterwarnings("ignore", message=r".*quantiz.*deprecated", category=UserWarning)
                warnings.filterwarnings("ignore", category=DeprecationWarning)
                net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
        model.net_ = net
        model.manifest_ = manifest
        model.quantized_ = quantize
        model.load_seconds_ = time.perf_counter() - started
        log.info("loaded NLU model %s in %.2fs (quantize=%s)", model.model_id, model.load_seconds_, quantize)
        return model

    # -- inference ----------------------------------------------------------------------
    def parse(self, text: str) -> Parse:
        """Intent, calibrated confidence, top-5 ranking and entities of one message."""
        return self.parse_batch([text])[0]

    def parse_batch(self, texts: list[str], today: date | None = None) -> list[Parse]:
        """Parse many messages in one encoder pass (empty ones answer `out_of_scope`, confidence 0)."""
        results: list[Parse | None] = [None] * len(texts)
        live = [i for i, t in enumerate(texts) if t and t.strip()]
        for i, t in enumerate(texts):
            if not (t and t.strip()):
                results[i] = Parse(text=t or "", intent=OUT_OF_SCOPE, confidence=0.0, model_id=self.model_id)
        if live:
            batch = [texts[i] for i in live]
            repairs = [self.speller_.repair(t) if self.speller_ else Repair(t) for t in batch]
            with self._lock, torch.inference_mode():
                enc = self.tokenizer_([r.text for r in repairs], truncation=True, max_length=self.max_length, padding=True,
                                      return_offsets_mapping=True, return_tensors="pt")
                intent_logits, tag_logits = self.net_(enc["input_ids"], enc["attention_mask"])
                tag_probs = torch.softmax(tag_logits.float(), -1)
                tag_score, tag_ids = tag_probs.max(-1)
            mixed = self._intent_logits(intent_logits.float().numpy(), [r.text for r in repairs])
            probs = calibration.softmax(mixed, self.temperature_)
            offsets = enc["offset_mapping"].tolist()
            for row, i in enumerate(live):
                results[i] = self._build(batch[row], repairs[row], probs[row], offsets[row], tag_ids[row].tolist(),
                                         tag_score[row].tolist(), today)
        return [r for r in results if r is not None]

    def _build(self, text: str, repair: Repair, probs: np.ndarray, offsets: list[list[int]], tag_ids: list[int],
               scores: list[float], today: date | None) -> Parse:
        order = np.argsort(-probs)[:RANKING_SIZE]
        ranking = [(self.intents_[j], float(probs[j])) for j in order]
        top, conf = ranking[0]
        intent = top if conf >= self.threshold_ else out_of_scope_label(self.intents_)
        learned = []
        for s in tags_to_spans(repair.text, [(start, end) for start, end in offsets], tag_ids, scores, self.tags_):
            start, end = repair.to_original(s.start, s.end)  # spans name the shopper's own words
            learned.append(Entity(start, end, s.entity, text[start:end], source="model", confidence=round(s.score, 4)))
        entities = merge_entities(self.rules_.extract(text, today), learned, CONTEXTUAL_TYPES & set(self.entity_types_))
        return Parse(text=text, intent=intent, confidence=conf, ranking=ranking, entities=entities, model_id=self.model_id,
                     repaired=repair.text if repair.replaced else None)
