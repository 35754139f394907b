"""Consistency between what the NLU can say and what the dialogue knows how to do."""

from __future__ import annotations

from bot.dialogue import CHURN_SIGNALS, DialogueManager
from bot.nlu.training_data import default_training_files, load_examples
from bot.policy import INTENT_ACTIONS
from retention_model.offers.rules import TRIGGERS


def test_every_shipped_intent_has_a_policy_entry_and_an_action():
    intents = {e.intent for e in load_examples(default_training_files())}
    assert intents - set(INTENT_ACTIONS) == set()
    for action in set(INTENT_ACTIONS.values()):
        assert callable(getattr(DialogueManager, f"_act_{action}", None)), action


def test_every_churn_signal_is_a_trigger_offer_rules_accept():
    assert set(CHURN_SIGNALS.values()) <= TRIGGERS
