"""Knowledge-base fixtures: the packaged MiniLM loaded once per session, small sources on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.embedder import Embedder

ARTICLE = """---
id: returns
url: https://help.example/returns
tags: [returns, refund]
questions:
  - "Can I send something back?"
---
# Returning an item

You can return most items within 30 days of delivery for a full refund.

## Free return label

Returns inside the EU are free: print the prepaid label from your account.

## Final sale

Gift cards, personalised items and opened beauty products cannot be returned.
"""

SHIPPING = """# Delivery times

Standard delivery takes 3-5 business days and costs 4.95 euros, free over 50 euros.

## Express

Express delivery arrives in 1-2 business days for 9.95 euros.
"""

FAQ = 'question,answer,url,id\n"Do you ship to Canada?","No, we only deliver within Europe.",,00042\n"How can I pay?","Visa, Mastercard, PayPal and Klarna.",https://help.example/pay,\n'


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The packaged all-MiniLM-L6-v2, loaded once: every test shares it (it is read-only)."""
    return Embedder("sentence-transformers/all-MiniLM-L6-v2")


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A folder with two articles and a FAQ CSV."""
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "returns.md").write_text(ARTICLE)
    (folder / "delivery-times.md").write_text(SHIPPING)
    (folder / "faq.csv").write_text(FAQ)
    return folder
