"""NLU fixtures: the packaged tokenizer, and one tiny fine-tuned model shared by the whole session."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from bot.nlu.training_data import Example, Span
from common.pretrained import resolve_model_path

BASE = "sentence-transformers/all-MiniLM-L6-v2"
COLOURS = ["red", "blue", "green", "black", "white", "yellow", "purple", "orange"]
TEMPLATES = {
    "buy_shoes": ["I want to buy {c} shoes", "order me {c} sneakers please", "get {c} boots for me",
                  "purchase the {c} trainers", "I need new {c} shoes"],
    "weather": ["will it rain tomorrow", "is it sunny outside", "what's the forecast for the weekend",
                "how cold is it today", "is a storm coming tonight"],
    "paint_wall": ["paint my wall {c}", "I want the kitchen painted {c}", "make the fence {c}",
                   "colour the door {c}", "repaint the room in {c}"],
}


def toy_examples(n: int, seed: int) -> list[Example]:
    """A separable toy task: three intents, `colour` entities in two of them."""
    rng = random.Random(seed)
    out: list[Example] = []
    for i in range(n):
        intent = list(TEMPLATES)[i % 3]
        template = rng.choice(TEMPLATES[intent])
        colour = rng.choice(COLOURS)
        prefix = rng.choice(["", "hi, ", "please ", "hello there, ", "quick one: "])
        text = prefix + template.format(c=colour)
        spans: tuple[Span, ...] = ()
        if "{c}" in template:
            start = len(prefix) + template.index("{c}")
            spans = (Span(start, start + len(colour), "colour"),)
        out.append(Example(text, intent, spans, f"toy:{i}"))
    return out


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model_path(BASE))


@pytest.fixture(scope="session")
def toy_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fine-tune once per session (≈300 examples, 1 epoch) and save; tests load their own copy."""
    from bot.nlu.model import NLUModel

    out = tmp_path_factory.mktemp("nlu") / "toy"
    model = NLUModel(base_model=BASE, epochs=1, batch_size=16, lr=2e-4, head_lr=5e-3, warmup=0.05, seed=5)
    model.fit(toy_examples(300, seed=1), progress=False)
    model.save(out, data_hash="toy")
    return out


@pytest.fixture(scope="session")
def toy_model(toy_model_dir: Path) -> Any:
    from bot.nlu.model import NLUModel

    return NLUModel.load(toy_model_dir)
