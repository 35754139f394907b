"""Language detection on short shop messages: Lingua (what bot/language.py uses) against py3langid
and langdetect, all restricted to the same ten languages and put through the same decision rule
(`bot.language.decide`: enough letters and a clear confidence, else "unknown").

Data: benchmarks/data/language_messages.yml, written for Keepcart: 45 messages in each of EN, DE,
FR, NL, ES, IT, PL, PT, SV, DA (greetings, 2-4 word messages, typos) plus 53 pieces of English shop
jargon ("ok", "thx", "C01029", "refund pls") that must come out English or unknown, never foreign.
Each detector's thresholds are chosen on the dev half; only the test half is reported.

    python benchmarks/language_detect.py [--repeat 3]

Needs py3langid and langdetect for the baselines (`pip install -e ".[bench]"`); a missing
one is reported as skipped.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.language import (  # noqa: E402
    DEFAULT_CANDIDATES,
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_MIN_LETTERS,
    DEFAULT_MIN_MARGIN,
    LanguageDetector,
    decide,
    letters_of,
)
from common.timing import call_times_ms, latency_summary  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "language_messages.yml"
SPOKEN = ("en",)
CONFIDENCES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
LETTERS = (1, 2, 3, 4, 5, 6, 8, 10, 12)
# A wrong language costs three right ones; English taken for a foreign language costs ten: that
# shopper would be told, in a language they did not write, that the bot does not speak theirs.
WRONG_WEIGHT, ENGLISH_WRONG_WEIGHT = 3, 10
Ranker = Callable[[str], list[tuple[str, float]]]


def rss_mib() -> float:
    """Resident memory of this process now (not the peak), in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def examples(split: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(text, expected) pairs; expected "en?" means English or unknown."""
    return [(str(t), "en?" if lang == "en_short" else lang) for lang, texts in split.items() for t in texts]


def outcome(code: str | None, expected: str) -> str:
    if expected == "en?":
        return "right" if code in (None, "en") else "wrong"
    return "right" if code == expected else ("unknown" if code is None else "wrong")


def score(ranked: list[list[tuple[str, float]]], data: list[tuple[str, str]], rule: tuple[float, float, int]) -> dict:
    """Counts of right / unknown / wrong, and of English messages given a foreign language."""
    conf, margin, letters = rule
    counts = {"right": 0, "unknown": 0, "wrong": 0, "english_foreign": 0}
    for r, (text, expected) in zip(ranked, data):
        code = decide(r, letters_of(text), conf, letters, margin).code
        counts[outcome(code, expected)] += 1
        counts["english_foreign"] += expected in ("en", "en?") and code not in (None, "en")
    return counts


def choose(ranked: list[list[tuple[str, float]]], data: list[tuple[str, str]]) -> tuple[float, float, int]:
    """The dev rule (min confidence, min margin, min letters) with the best right - 3 x wrong -
    10 x English-as-foreign; ties go to the most permissive rule (lowest thresholds)."""
    def objective(rule: tuple[float, float, int]) -> tuple[float, ...]:
        s = score(ranked, data, rule)
        return (s["right"] - WRONG_WEIGHT * s["wrong"] - ENGLISH_WRONG_WEIGHT * s["english_foreign"],
                -rule[0], -rule[1], -rule[2])
    return max(((c, m, n) for c in CONFIDENCES for m in MARGINS for n in LETTERS), key=objective)


def lingua(low_accuracy: bool) -> Ranker:
    detector = LanguageDetector(spoken=SPOKEN, candidates=DEFAULT_CANDIDATES, low_accuracy=low_accuracy)
    return detector.ranked


def py3langid() -> Ranker:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(DEFAULT_CANDIDATES))
    return lambda text: [(c, float(p)) for c, p in ident.rank(text)]


def langdetect() -> Ranker:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # else it answers differently each run

    def ranked(text: str) -> list[tuple[str, float]]:
        try:
            found = [(str(x.lang), float(x.prob)) for x in detect_langs(text) if x.lang in DEFAULT_CANDIDATES]
        except LangDetectException:  # no letters at all
            return []
        total = sum(p for _, p in found) or 1.0
        return [(c, p / total) for c, p in found]  # renormalised over the ten candidates
    return ranked


DETECTORS: dict[str, Callable[[], Ranker]] = {
    "lingua (high accuracy)": lambda: lingua(False), "lingua (low accuracy)": lambda: lingua(True),
    "py3langid": py3langid, "langdetect": langdetect}


def measure(name: str, repeat: int, queue: multiprocessing.Queue) -> None:
    """One detector in a fresh process, so its load time and memory are its own."""
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    dev, test = examples(data["dev"]), examples(data["test"])
    gc.collect()
    before, start = rss_mib(), time.perf_counter()
    try:
        rank = DETECTORS[name]()
        rank("Hallo, wo ist meine Bestellung?")  # loads what a detector loads lazily
    except ImportError as exc:
        queue.put({"name": name, "skipped": str(exc)})
        return
    load_s, mib = time.perf_counter() - start, rss_mib() - before
    rule = choose([rank(t) for t, _ in dev], dev)
    ranked = [rank(t) for t, _ in test]
    conf, margin, letters = rule

    def detect(text: str) -> object:
        n = letters_of(text)
        return decide(rank(text) if n >= letters else [], n, conf, letters, margin)
    times = latency_summary(call_times_ms(detect, [t for t, _ in test] * repeat))
    per_language = {}
    for lang in data["test"]:
        expected = "en?" if lang == "en_short" else lang
        rows = [(r, x) for r, x in zip(ranked, test) if x[1] == expected]
        per_language[lang] = score([r for r, _ in rows], [x for _, x in rows], rule)["right"] / len(rows)
    queue.put({"name": name, "rule": rule, "score": score(ranked, test, rule), "times": times, "load_s": load_s,
               "mib": mib, "per_language": per_language})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="Timed passes over the test messages")
    args = parser.parse_args()
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    test = examples(data["test"])
    n, n_en = len(test), sum(e in ("en", "en?") for _, e in test)
    print(f"messages: dev {len(examples(data['dev']))}, test {n} ({n_en} English, {len(data['test']['en_short'])} of them "
          f"jargon); candidates {','.join(DEFAULT_CANDIDATES)}; spoken {','.join(SPOKEN)}; rule chosen on dev")
    header = (f"{'detector':23} {'conf':>4} {'margin':>6} {'ltrs':>4} | {'right':>6} {'unknown':>7} {'wrong':>6} | "
              f"{'EN->foreign':>11} | {'p50 ms':>6} {'p99 ms':>6} | {'load s':>6} {'MiB':>4}")
    print(header)
    print("-" * len(header))
    ctx = multiprocessing.get_context("spawn")
    results = []
    for name in DETECTORS:
        queue = ctx.Queue()
        proc = ctx.Process(target=measure, args=(name, args.repeat, queue))
        proc.start()
        result = queue.get()
        proc.join()
        if "skipped" in result:
            print(f"{name:23} skipped: {result['skipped']}")
            continue
        results.append(result)
        (conf, margin, letters), s, t = result["rule"], result["score"], result["times"]
        print(f"{name:23} {conf:4.2f} {margin:6.2f} {letters:4d} | {s['right'] / n:6.1%} {s['unknown'] / n:7.1%} "
              f"{s['wrong'] / n:6.1%} | {s['english_foreign']:5d} of {n_en:2d} | {t['p50']:6.3f} {t['p99']:6.3f} | "
              f"{result['load_s']:6.2f} {result['mib']:4.0f}")
    print("\nright per language (test; en_short: English or unknown)")
    langs = list(data["test"])
    print(f"{'detector':23} " + " ".join(f"{lang:>8}" for lang in langs))
    for r in results:
        print(f"{r['name']:23} " + " ".join(f"{r['per_language'][lang]:8.0%}" for lang in langs))
    print(f"\nbot/language.py defaults: min_confidence {DEFAULT_MIN_CONFIDENCE}, min_margin {DEFAULT_MIN_MARGIN}, "
          f"min_letters {DEFAULT_MIN_LETTERS} (the dev choice for lingua (high accuracy))")


if __name__ == "__main__":
    main()
