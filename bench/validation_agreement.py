"""How often Puente's validator gives the standard's verdict: valid STIX from several producers and mutations of it.

Run: .venv/bin/python bench/validation_agreement.py [--seed N] [--mutations M]
The standard's verdict is stix2.parse(allow_custom=True) together with the OASIS validator's errors (its
MUST rules); tests/stix_corpus.py builds the content (stix2-generator, a Puente ticket, a MISP export,
../shared's OASIS examples and ATT&CK) and names the deliberate differences, each with its reason.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

# The repository root holds tests/ (the corpus); appended, so that the bare stix/ folder shadows nothing.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from tests import stix_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutations", type=int, default=8, help="mutations drawn per valid object")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    agreement = stix_corpus.Agreement()
    corpus = stix_corpus.valid_objects(args.seed)
    for obj in corpus:
        agreement.add("original", obj)
        found = stix_corpus.mutations(obj, rnd)
        for label, changed in rnd.sample(found, min(args.mutations, len(found))):
            agreement.add(label, changed)
    deliberate: Counter[str] = agreement.deliberate or Counter()
    differences = agreement.disagreements or []
    print(f"{len(corpus)} valid objects of {len({o['type'] for o in corpus})} types, {agreement.cases} cases")
    print(f"same verdict as the standard: {agreement.agreed / agreement.cases:.2%} ({agreement.agreed})")
    print(f"deliberate differences: {sum(deliberate.values())}")
    for reason, count in deliberate.items():
        print(f"  {count:5}  {reason}")
    print(f"other differences: {len(differences)}")
    for stix_id, label, theirs, ours in differences:
        print(f"  {stix_id} {label}: standard {theirs.accepted} ({theirs.reason[:120]})")
        print(f"    Puente {ours.accepted} ({ours.reason[:120]})")


if __name__ == "__main__":
    main()
