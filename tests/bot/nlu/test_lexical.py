"""The lexical side of the intent mix: TF-IDF + logistic regression, stored without pickle."""

from pathlib import Path

import numpy as np

from bot.nlu.lexical import DEFAULT_WEIGHT, LexicalModel, choose_weight, mix

TEXTS = ["where is my parcel", "track my order", "where is the package", "cancel my order", "please cancel it",
         "stop the order", "refund please", "money back for my order", "I want a refund"]
INTENTS = [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_learns_the_words_and_saves_and_loads_without_pickle(tmp_path: Path) -> None:
    model = LexicalModel(4).fit(TEXTS, INTENTS)  # intent 3 has no examples
    log_p = model.log_proba(["cancle my order pls", "where's my parcel", "refund"])
    assert np.allclose(np.exp(log_p).sum(1), 1.0) and list(log_p.argmax(1)) == [1, 0, 2]
    assert np.exp(log_p[:, 3]).max() < 1e-6  # an intent without data is never likely
    model.save(tmp_path)
    assert not list(tmp_path.glob("*.pkl"))
    loaded = LexicalModel.load(tmp_path)
    assert loaded is not None and np.allclose(loaded.log_proba(["refund"]), model.log_proba(["refund"]))
    assert LexicalModel.load(tmp_path / "missing") is None  # an artifact from before


def test_two_intents_are_a_proper_distribution() -> None:
    model = LexicalModel(2).fit(TEXTS[:6], INTENTS[:6])
    log_p = model.log_proba(["cancel it", "where is it"])
    assert np.allclose(np.exp(log_p).sum(1), 1.0) and list(log_p.argmax(1)) == [1, 0]


def test_the_mix_is_the_encoder_alone_at_weight_zero_and_the_weight_is_chosen_on_validation() -> None:
    encoder = np.array([[2.0, 0.0], [0.0, 1.0], [0.2, 0.0]])  # wrong on the last message
    lexical = np.log(np.array([[0.6, 0.4], [0.4, 0.6], [0.1, 0.9]]))
    assert (mix(encoder, lexical, 0.0).argmax(1) == encoder.argmax(1)).all()
    assert np.allclose(np.exp(mix(encoder, None, 0.3)).sum(1), 1.0)
    assert choose_weight(encoder, lexical, np.array([0, 1, 1])) > 0
    assert choose_weight(encoder, np.log(np.full((3, 2), 0.5)), np.array([0, 1, 0])) == DEFAULT_WEIGHT  # a tie: the default


def test_scores_are_those_of_scikit_learns_own_transform() -> None:
    from scipy.sparse import hstack

    model = LexicalModel(3).fit(TEXTS, INTENTS)
    texts = ["Where IS my parcel??", "cancel cancel cancel", "zzz qqq", "", "refund 4 my order pls"]
    x = hstack([model.words_.transform(texts), model.chars_.transform(texts)]).tocsr()
    expected = np.asarray(x @ model.coef_.T) + model.intercept_
    expected -= np.log(np.exp(expected).sum(1, keepdims=True))
    assert np.allclose(model.log_proba(texts), expected, atol=1e-5)
