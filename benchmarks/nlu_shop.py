"""The demo-shop NLU: train on the shipped data (as `keepcart demo` does) and score fresh messages.

The held-out messages below were written separately from bot/nlu/data/ (other wording, other
products, typos, out-of-scope chatter) so the figure says how the demo bot reads new shoppers. A
TF-IDF + logistic-regression baseline is trained on the same shipped data in the same run.

    python benchmarks/nlu_shop.py [--model DIR]   # reuse a trained model instead of training
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu.evaluation import evaluate, format_report, intent_metrics  # noqa: E402
from bot.nlu.model import NLUModel  # noqa: E402
from bot.nlu.recipes import default_training_files, train_nlu  # noqa: E402
from bot.nlu.training_data import load_examples  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
HELD_OUT = """version: 1
entities: [order_id, invoice_id, product, email, amount, city, country, person_name, date, account_type]
intents:
  track_order: ["any idea when order [1001234567](order_id) shows up?", "my delivery still hasn't turned up", "can u check on order [1008765432](order_id)", "where exactly is my [salad bowl](product) right now"]
  cancel_order: ["scrap my order [1003344556](order_id) please", "I'd like to cancel what I bought [yesterday](date)", "cancel the [floor lamp](product)", "i regret buying, pls cancel"]
  change_order: ["could you swap the [bath towels](product) in my order for grey ones", "i want 2 instead of 1 in my order", "add a [teapot](product) to order [1002233445](order_id)"]
  return_order: ["how do I send the [trail shoes](product) back", "I'd like to give back the [raincoat](product), too small", "need a returns label"]
  place_order: ["I'd like to purchase the [oak side table](product)", "how do I buy stuff here", "order me a [water bottle](product) please"]
  product_search: ["got any [linen tablecloths](product)?", "what [sleeping bags](product) do you carry", "any recommendations for a [cheese board](product)", "looking for something warm to wear hiking"]
  check_cancellation_fee: ["does it cost anything to cancel", "any charge for cancelling order [1005566778](order_id)?", "cancellation cost?"]
  create_account: ["I'd like to register an account", "how do i open an account here", "sign me up for a [premium](account_type) account"]
  delete_account: ["remove my account for good", "please delete the account for [maria@example.org](email)", "close my account"]
  edit_account: ["change the name on my profile", "update my e-mail to [jo@example.net](email)", "I need to edit my phone number"]
  switch_account: ["upgrade me to a [business](account_type) plan", "use my other account instead", "switch to the [free](account_type) tier"]
  recover_password: ["can't remember my login password", "send me a link to reset my password", "forgot pw help"]
  registration_problems: ["the signup keeps erroring", "I can't finish registering", "registration form is broken for me"]
  newsletter_subscription: ["stop the promo emails", "put me on your mailing list", "unsubscribe [sam@example.com](email)"]
  check_invoice: ["can I view invoice [#00944](invoice_id)", "show me my bills", "I'd like to look over invoice [INV-2025-0311](invoice_id)"]
  get_invoice: ["I need the invoice as a PDF", "please email me invoice [#00517](invoice_id)", "send me a copy of my invoice"]
  check_payment_methods: ["do you take Mastercard", "can I pay with Klarna later", "what payment types are accepted"]
  payment_issue: ["my card got declined at checkout", "I was billed twice", "payment keeps failing"]
  get_refund: ["I'd like my money back for the [toaster](product)", "refund [24.99](amount) euros to me please", "please reimburse me"]
  track_refund: ["has my refund gone through yet", "still no refund after 2 weeks", "when will the refund land in my account"]
  check_refund_policy: ["what's the policy on refunds", "are sale items refundable", "how long do refunds take usually"]
  delivery_options: ["do you deliver to [Denmark](country)?", "is express delivery available", "can I collect in store"]
  delivery_period: ["how many days does shipping to [Finland](country) take", "when will it arrive if I order now", "delivery time to [Prague](city)?"]
  change_shipping_address: ["please ship to my new flat instead", "update the address on order [1004455667](order_id)", "wrong street on my order, change it"]
  set_up_shipping_address: ["add another delivery address", "how can I save a shipping address", "add an address in [Lyon](city)"]
  complaint: ["I'm really unhappy with your service", "the [mug](product) arrived smashed, this is not ok", "I want to complain"]
  contact_customer_service: ["how do I get hold of customer service", "what's your support phone number", "when is support open"]
  contact_human_agent: ["get me a real person", "I want to speak with an agent", "can a human help me"]
  review: ["I want to rate my [blender](product)", "where can I post a review", "leave feedback"]
  greet: ["hello there", "hey hey", "good morning!"]
  goodbye: ["bye now", "that's all, see you", "goodbye!"]
  thanks: ["thanks so much", "cheers mate", "thank you kindly"]
  affirm: ["yes, do it", "yeah sure", "ok go ahead"]
  deny: ["no, don't", "nope, not that", "no thank you"]
  out_of_scope: ["what's the temperature in [Madrid](city)", "tell me a funny story", "who's going to win the election", "zxcvbnm", "how do I change a tyre", "recommend a good book"]
"""


def tfidf_baseline(train: list, test: list) -> dict[str, float]:  # type: ignore[type-arg]
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    word, char = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    x = hstack([word.fit_transform([e.text for e in train]), char.fit_transform([e.text for e in train])]).tocsr()
    clf = LogisticRegression(C=20.0, max_iter=3000).fit(x, [e.intent for e in train])
    pred = clf.predict(hstack([word.transform([e.text for e in test]), char.transform([e.text for e in test])]).tocsr())
    m = intent_metrics([e.intent for e in test], list(pred))
    return {"intent_accuracy": m["accuracy"], "intent_macro_f1": m["macro_f1"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    held_out_path = OUT / "nlu_shop_held_out.yml"
    held_out_path.write_text(HELD_OUT)
    test = load_examples([held_out_path])
    train = load_examples(default_training_files())
    result: dict[str, object] = {"train_examples": len(train), "held_out_examples": len(test)}
    model_dir = args.model or OUT / "nlu_shop_model"
    if args.model is None:
        started = time.perf_counter()
        manifest = train_nlu(default_training_files(), model_dir, "sentence-transformers/all-MiniLM-L6-v2", seed=13)
        result["train_seconds"] = round(time.perf_counter() - started, 1)
        result["training"] = manifest["training"]
    model = NLUModel.load(model_dir)
    report, _ = evaluate(model, test, progress=False)
    result["model"] = {k: report[k] for k in ("intent", "entities", "latency_ms")} | {"out_of_scope": report.get("out_of_scope")}
    weight = model.lexical_weight_
    model.lexical_weight_ = 0.0  # the same artifact, its encoder alone (same calibration): what the lexical mix adds
    alone, _ = evaluate(model, test, progress=False)
    result["encoder_alone"] = {k: alone[k] for k in ("intent", "latency_ms")} | {"out_of_scope": alone.get("out_of_scope")}
    result["lexical_weight"] = weight
    result["baseline_tfidf_logreg"] = tfidf_baseline(train, test)
    (OUT / "nlu_shop.json").write_text(json.dumps(result, indent=2))
    print(format_report(report))
    b = result["baseline_tfidf_logreg"]
    print(f"\nheld-out intent accuracy: model {report['intent']['accuracy']:.4f} (lexical weight {weight:.1f}; "
          f"its encoder alone {alone['intent']['accuracy']:.4f}) vs TF-IDF + logreg {b['intent_accuracy']:.4f}")  # type: ignore[index]
    if "train_seconds" in result:
        t = result["training"]
        print(f"training on the shipped data: {result['train_seconds']} s wall ({t['cpu_seconds']} CPU s, "  # type: ignore[index]
              f"{t['torch_threads']} thread(s), {t['epochs_run']} epochs, stopped by {t['stopped_by']})")  # type: ignore[index]


if __name__ == "__main__":
    main()
