"""Consistency between what the NLU can say and what the dialogue knows how to do."""

from __future__ import annotations

from bot.actions import ACTIONS
from bot.dialogue import CHURN_SIGNALS
from bot.policy import CONFIRMATIONS, FREE_TEXT_FORMS
from bot.nlu.training_data import default_training_files, load_examples
from bot.policy import INTENT_ACTIONS
from retention_model.offers.rules import TRIGGERS


def test_every_shipped_intent_has_a_policy_entry_and_an_action():
    intents = {e.intent for e in load_examples(default_training_files())}
    assert intents - set(INTENT_ACTIONS) == set()
    chosen = set(INTENT_ACTIONS.values()) | set(FREE_TEXT_FORMS.values()) | {a for f in CONFIRMATIONS.values() for a in f.values()}
    chosen |= {"correct_order", "order_chosen", "confirm_again", "resume"}
    assert chosen - set(ACTIONS) == set()
    assert set(CHURN_SIGNALS) <= set(ACTIONS)


def test_offer_rules_accept_exactly_the_churn_signals_the_dialogue_emits():
    assert set(CHURN_SIGNALS.values()) == TRIGGERS
