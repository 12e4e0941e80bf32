"""Injection flags and PII redaction measured on text nobody here wrote.

    python benchmarks/bench_injection.py [--data DIR] [--show-misses] [--show-changes N]

Recall of `flag_untrusted` on the BIPIA goals (tuned categories vs held-out categories,
split by tests/safety_corpora.py), on the hand-written attacks in tests/data (tuned vs held
out), bare and wrapped in a review; false alarms and PII redactions on every real review
or sentence in the shared data. `--show-misses` prints the missed TUNED strings only: the
held-out ones are counted, never printed, so nobody tunes on them by accident.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.safety_corpora import SHARED_DATA, bipia_split, own_attacks, real_corpora  # noqa: E402
from tools.safety import flag_untrusted, redact_pii  # noqa: E402

# A planted instruction usually rides inside an ordinary review: recall is measured both
# bare and wrapped, so a cue that only fires on a lone sentence shows up as a gap.
WRAPPERS = (
    "Comfortable and true to size. {attack}",
    "{attack} The stitching came loose after a week though.",
)


def _recall(texts: list[str]) -> tuple[int, int, list[str]]:
    missed = [t for t in texts if not flag_untrusted(t)]
    return len(texts) - len(missed), len(texts), missed


def _wrapped(texts: list[str]) -> list[str]:
    return [WRAPPERS[i % len(WRAPPERS)].format(attack=t) for i, t in enumerate(texts)]


def _pct(hit: int, n: int) -> str:
    return f"{hit}/{n} = {100 * hit / n:.1f}%" if n else "n=0"


def attack_sets(root: Path) -> dict[str, tuple[list[str], bool]]:
    """name -> (texts, printable): printable is False for held-out sets."""
    sets: dict[str, tuple[list[str], bool]] = {}
    split = bipia_split(root)
    if split:
        tuned, held = split
        sets["bipia tuned (10 categories)"] = ([g for v in tuned.values() for g in v], True)
        sets["bipia held-out (5 categories)"] = ([g for v in held.values() for g in v], False)
    for name, printable in (("tuned", True), ("held_out", False), ("held_out_2", False)):
        for lang, texts in own_attacks(name).items():
            sets[f"own {name.replace('_', '-')} {lang}"] = (texts, printable)
    return sets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED_DATA, help="shared data root")
    ap.add_argument("--show-misses", action="store_true", help="print missed tuned attacks")
    ap.add_argument(
        "--show-changes",
        type=int,
        default=0,
        metavar="N",
        help="print N flagged / redacted real texts per corpus",
    )
    args = ap.parse_args(argv)

    print("## Recall on attacks, held-out vs tuned (flagged / n)")
    recalls: dict[str, float] = {}
    for name, (texts, printable) in attack_sets(args.data).items():
        hit, n, missed = _recall(texts)
        wrapped = dict(zip(_wrapped(texts), texts, strict=True))
        whit, _, wmissed = _recall(list(wrapped))
        recalls[name] = hit / n if n else 0.0
        print(f"  {name:32s} bare {_pct(hit, n):18s} in a review {_pct(whit, n)}")
        if args.show_misses and printable:
            for text in sorted(set(missed) | {wrapped[m] for m in wmissed}):
                print(f"      missed: {text!r}")

    corpora = {k: v for k, v in real_corpora(args.data).items() if v is not None}
    if not corpora:
        print("no real corpora under", args.data)
        return 0
    print("\n## False alarms on real text (flagged / n; goal <= 0.5%)")
    rnd = random.Random(0)
    started = time.perf_counter()
    total = 0
    for name, texts in corpora.items():
        flagged = [(t, flag_untrusted(t)) for t in texts]
        flagged = [(t, f) for t, f in flagged if f]
        total += len(texts)
        print(f"  {name:16s} {_pct(len(flagged), len(texts))}")
        for text, flags in rnd.sample(flagged, min(args.show_changes, len(flagged))):
            print(f"      {flags} {text[:300]!r}")
    flag_s = time.perf_counter() - started

    print("\n## PII redactions on real text (texts changed / n)")
    started = time.perf_counter()
    for name, texts in corpora.items():
        changed = [(t, r) for t in texts if (r := redact_pii(t)) != t]
        print(f"  {name:16s} {_pct(len(changed), len(texts))}")
        for text, red in rnd.sample(changed, min(args.show_changes, len(changed))):
            at = next(i for i, (a, b) in enumerate(zip(text, red, strict=False)) if a != b)
            print(
                f"      {text[max(0, at - 60) : at + 60]!r}\n   -> {red[max(0, at - 60) : at + 60]!r}"
            )
    redact_s = time.perf_counter() - started

    print("\n## Ratios (same run)")
    tuned = [v for k, v in recalls.items() if "tuned" in k]
    held = [v for k, v in recalls.items() if "held-out" in k]
    if tuned and held and sum(tuned):
        gap = (sum(held) / len(held)) / (sum(tuned) / len(tuned))
        print(f"  ratio held-out / tuned recall (mean over sets, bare): {gap:.2f}")
    print(f"  ratio flag_untrusted / redact_pii time over {total} texts: {flag_s / redact_s:.2f}")
    print(
        f"  flag_untrusted {1e6 * flag_s / total:.0f} us/text, "
        f"redact_pii {1e6 * redact_s / total:.0f} us/text"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
