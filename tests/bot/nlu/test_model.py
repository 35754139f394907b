"""The fine-tuned model end to end: it learns a toy task, survives save/load, and never crashes on input."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from bot.nlu.batching import BatchingParser
from bot.nlu.model import NLUModel, split_validation
from bot.nlu.types import OUT_OF_SCOPE, Parse
from tests.bot.nlu.conftest import toy_examples

pytestmark = pytest.mark.slow


def test_learns_the_toy_task(toy_model: NLUModel) -> None:
    held_out = toy_examples(60, seed=99)
    parses = toy_model.parse_batch([e.text for e in held_out])
    accuracy = sum(p.ranking[0][0] == e.intent for p, e in zip(parses, held_out)) / len(held_out)
    assert accuracy >= 0.9
    gold = {(e.text, s.start, s.end) for e in held_out for s in e.entities}
    found = {(p.text, x.start, x.end) for p in parses for x in p.entities if x.entity == "colour"}
    assert len(gold & found) >= 0.5 * len(gold)


def test_parse_returns_ranking_and_model_id(toy_model: NLUModel) -> None:
    parse = toy_model.parse("please paint my wall blue")
    assert isinstance(parse, Parse)
    assert parse.model_id == toy_model.model_id != ""
    assert len(parse.ranking) == 3 and parse.ranking[0][1] >= parse.ranking[1][1] >= parse.ranking[2][1]
    assert abs(sum(score for _, score in parse.ranking) - 1.0) < 1e-4
    assert parse.confidence == parse.ranking[0][1]


def test_save_load_round_trip_gives_identical_predictions(toy_model: NLUModel, toy_model_dir: Path, tmp_path: Path) -> None:
    texts = [e.text for e in toy_examples(20, seed=7)] + ["something else entirely"]
    toy_model.save(tmp_path / "copy")
    again = NLUModel.load(tmp_path / "copy")
    for a, b in zip(toy_model.parse_batch(texts), again.parse_batch(texts)):
        assert a.intent == b.intent and a.entities == b.entities
        assert [n for n, _ in a.ranking] == [n for n, _ in b.ranking]
        assert all(abs(x - y) < 1e-5 for (_, x), (_, y) in zip(a.ranking, b.ranking))
    assert (tmp_path / "copy" / "model.safetensors").exists() and (tmp_path / "copy" / "manifest.json").exists()
    assert (tmp_path / "copy" / "lexical.safetensors").exists() and again.lexical_weight_ == toy_model.lexical_weight_ > 0


def test_without_its_lexical_files_an_artifact_loads_as_the_encoder_alone(toy_model_dir: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(toy_model_dir, tmp_path / "old")
    for name in ("lexical.safetensors", "lexical_vocabulary.json"):
        (tmp_path / "old" / name).unlink()
    old = NLUModel.load(tmp_path / "old")
    assert old.lexical_ is None and old.lexical_weight_ == 0.0
    assert old.parse("I want to buy red shoes").intent == "buy_shoes"


def test_threshold_routes_to_out_of_scope_but_keeps_ranking(toy_model_dir: Path) -> None:
    model = NLUModel.load(toy_model_dir)
    model.threshold_ = 1.01
    parse = model.parse("I want to buy red shoes")
    assert parse.intent == OUT_OF_SCOPE
    assert parse.ranking[0][0] == "buy_shoes"
    model.threshold_ = 0.0
    assert model.parse("I want to buy red shoes").intent == "buy_shoes"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_input_is_out_of_scope_with_zero_confidence(toy_model: NLUModel, text: str) -> None:
    parse = toy_model.parse(text)
    assert (parse.intent, parse.confidence, parse.entities) == (OUT_OF_SCOPE, 0.0, [])


def test_unicode_emoji_and_long_text(toy_model: NLUModel) -> None:
    for text in ["👟👟 buy red shoes 🙂", "Grüße, ich möchte blaue Schuhe kaufen", "买鞋", "🙂" * 50, "buy red shoes " * 500]:
        parse = toy_model.parse(text)
        assert parse.text == text and parse.ranking
        for e in parse.entities:
            assert text[e.start:e.end] == e.value


def test_parse_batch_matches_parse_and_keeps_order(toy_model: NLUModel) -> None:
    texts = ["paint the door green", "", "will it rain tomorrow", "buy black boots"]
    batch = toy_model.parse_batch(texts)
    assert [p.text for p in batch] == texts
    for text, parsed in zip(texts, batch):
        single = toy_model.parse(text)
        assert single.intent == parsed.intent and abs(single.confidence - parsed.confidence) < 1e-4


def test_batching_parser_serves_concurrent_callers(toy_model: Any) -> None:
    calls: list[int] = []

    class Counting:
        model_id = "x"

        def parse_batch(self, texts: list[str]) -> list[Parse]:
            calls.append(len(texts))
            return toy_model.parse_batch(texts)

    texts = [f"buy {c} shoes" for c in ["red", "blue", "green", "black"] * 4]
    results: dict[int, Parse] = {}
    with BatchingParser(Counting(), max_wait_ms=50, max_batch=32) as parser:
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, parser.parse(texts[i]))) for i in range(len(texts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [results[i].text for i in range(len(texts))] == texts
    assert sum(calls) == len(texts) and len(calls) < len(texts)  # some calls shared a forward pass


def test_quantized_model_agrees_with_fp32(toy_model_dir: Path) -> None:
    fp32, int8 = NLUModel.load(toy_model_dir), NLUModel.load(toy_model_dir, quantize=True)
    texts = [e.text for e in toy_examples(30, seed=3)]
    same = sum(a.intent == b.intent for a, b in zip(fp32.parse_batch(texts), int8.parse_batch(texts)))
    assert same >= 27


def test_load_refuses_a_foreign_directory(tmp_path: Path) -> None:
    from common.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not a Keepcart artifact"):
        NLUModel.load(tmp_path)


def test_validation_split_is_stratified_and_seeded() -> None:
    examples = toy_examples(90, seed=2)
    train, val = split_validation(examples, 0.1, seed=1)
    assert len(train) + len(val) == 90 and {e.intent for e in val} == {"buy_shoes", "weather", "paint_wall"}
    assert split_validation(examples, 0.1, seed=1) == (train, val)


def test_refit_trains_again_on_every_example_for_the_epochs_validation_chose() -> None:
    from bot.nlu.model import NLUModel
    from tests.bot.nlu.conftest import BASE, toy_examples

    examples = toy_examples(200, seed=3)
    model = NLUModel(base_model=BASE, epochs=1, batch_size=16, lr=2e-4, head_lr=5e-3, warmup=0.05, seed=5,
                     label_smoothing=0.1, refit=True).fit(examples, progress=False)
    t = model.training_
    assert t["n_train"] < t["n_refit"] == len(examples)
    assert t["refit_epochs"] == t["best_epoch"] == 1
    assert model.get_params()["refit"] is True and model.get_params()["label_smoothing"] == 0.1
    assert model.parse(examples[0].text).intent == examples[0].intent


def test_a_model_saved_with_a_setting_this_version_does_not_know_still_loads(toy_model_dir: Path, tmp_path: Path) -> None:
    """A rollback to an older Keepcart must serve a model a newer one trained (its recipe settings differ)."""
    import json
    import shutil

    from bot.nlu.model import NLUModel

    copy = tmp_path / "nlu"
    shutil.copytree(toy_model_dir, copy)
    config = json.loads((copy / "nlu_config.json").read_text())
    (copy / "nlu_config.json").write_text(json.dumps({**config, "a_future_setting": 3}))
    assert NLUModel.load(copy).parse("hello").intent


def test_a_misspelt_message_parses_like_the_right_spelling_and_keeps_its_own_spans(toy_model_dir: Path) -> None:
    model = NLUModel.load(toy_model_dir)
    assert model.speller_ is not None and model.speller_.suggest("purchsae") == "purchase"
    typo = model.parse("quick one: purchsae the red trainres")
    right = model.parse("quick one: purchase the red trainers")
    assert typo.intent == right.intent == "buy_shoes"
    assert [(e.start, e.end, e.value) for e in typo.entities if e.entity == "colour"] == [(24, 27, "red")]
    assert typo.text == "quick one: purchsae the red trainres"  # the shopper's words are what is stored
    assert typo.repaired == "quick one: purchase the red trainers" and right.repaired is None


def test_spelling_repair_can_be_switched_off_and_older_artifacts_load_without_it(toy_model_dir: Path,
                                                                                tmp_path: Path) -> None:
    import json
    import shutil

    copy = tmp_path / "nlu"
    shutil.copytree(toy_model_dir, copy)
    config = json.loads((copy / "nlu_config.json").read_text())
    (copy / "nlu_config.json").write_text(json.dumps({**config, "spelling": False}))
    assert NLUModel.load(copy).speller_ is None
    (copy / "nlu_config.json").write_text(json.dumps(config))
    (copy / "vocabulary.json").unlink()  # saved before the repair existed
    old = NLUModel.load(copy)
    assert old.speller_ is None and old.parse("purchsae the red trainres").text == "purchsae the red trainres"


@pytest.mark.parametrize(("patience", "kept"), [(None, 2), (1, 1)])
def test_the_annealed_schedule_keeps_its_last_epoch_unless_early_stopping_is_asked_for(monkeypatch, patience, kept) -> None:
    """Validation here prefers epoch 1; without patience the model still ends with epoch 2's weights."""
    import copy

    import bot.nlu.trainer as trainer
    from tests.bot.nlu.conftest import BASE

    snapshots: list[dict[str, Any]] = []

    def scores(net: Any, val: Any, pad_id: int) -> dict[str, float]:
        snapshots.append(copy.deepcopy(net.state_dict()))
        good = 0.9 if len(snapshots) == 1 else 0.5
        return {"val_intent_accuracy": good, "val_tag_f1": good, "val_score": good}

    monkeypatch.setattr(trainer, "_validation_scores", scores)
    model = NLUModel(base_model=BASE, epochs=2, batch_size=16, lr=2e-4, head_lr=5e-3, seed=5, patience=patience)
    model.fit(toy_examples(80, seed=4), progress=False)
    assert model.training_["best_epoch"] == 1 and model.training_["kept_epoch"] == kept
    final = model.net_.state_dict()
    same = [all(bool((final[k] == snap[k]).all()) for k in final) for snap in snapshots]
    assert same == [kept == 1, kept == 2]
