"""Write a learned judge's held-out figures into its judge card: refusal-clf's
leave-one-model-out accuracies, or harm-clf's leave-one-source-out confusion counts.

    .venv/bin/python scripts/train_refusal_clf.py --lomo --json lomo.json --data-dir ../shared/data
    .venv/bin/python scripts/lomo_card.py lomo.json [--card src/tightrope/judges/cards/...json]

    .venv/bin/python scripts/train_harm_clf.py --gate --loso-json loso.json --data-dir ../shared/data
    .venv/bin/python scripts/lomo_card.py loso.json [--card src/tightrope/judges/cards/...json]

A leave-one-model-out file (it has `views`): the counts of the strict view (an unseen model and
unseen prompts: trained on the training-half prompts of the other two XSTest completion files,
tested on the held-out-half prompts of the left-out one) become refusal-clf's XSTest card's
`held_out_by_model` (one entry per left-out model and `all`, with Wilson 95% intervals) and
`held_out_note`.

A leave-one-source-out file (it has `sources`): per attack method of JailbreakBench's artifacts,
the shipped recipe (the full regression behind the gate) trained without that method's
artifacts and tested on them, against the artifacts' own labels from JailbreakBench's
Llama-3-70B judge; they become harm-clf's jbb card's `held_out_by_source` (one entry per method
and `all`, with accuracy, sensitivity and specificity and their Wilson 95% intervals) and
`held_out_source_note`.

Nothing else in the card changes.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any

from tightrope.judges.card import (
    SHIPPED,
    card_path,
    held_out_confusions,
    held_out_groups,
    read_card,
    save_card,
)

VIEW = "unseen_model_and_prompts"
MODEL_NOTE = (
    "leave-one-model-out ({date}): trained on the training-half prompts of two XSTest "
    "completion files (with the own and AdvBench rows), tested on the held-out-half prompts of "
    "the third, so neither its model nor its prompts were seen; scripts/train_refusal_clf.py "
    "--lomo --json FILE, then scripts/lomo_card.py FILE"
)
SOURCE_NOTE = (
    "leave-one-source-out ({date}): trained without one attack method's JailbreakBench "
    "artifacts (PAIR, JBC or random search), tested on them; truth is the artifacts' label from "
    "JailbreakBench's Llama-3-70B judge, not a human's, so these say how the judge reads an "
    "attack it has not seen, not its agreement with people; scripts/train_harm_clf.py --gate "
    "--loso-json FILE, then scripts/lomo_card.py FILE"
)


def held_out_update(doc: dict[str, Any], date: str) -> tuple[str, str, dict[str, Any]]:
    """Return (judge, set, the card fields to set) for a leave-one-model-out or
    leave-one-source-out file."""
    if "sources" in doc:
        figures = held_out_confusions(doc["sources"])
        note = SOURCE_NOTE.format(date=date)
        return "harm-clf", "jbb", {"held_out_by_source": figures, "held_out_source_note": note}
    figures = held_out_groups(doc["views"][VIEW])
    note = MODEL_NOTE.format(date=date)
    return "refusal-clf", "xstest", {"held_out_by_model": figures, "held_out_note": note}


def main() -> None:
    """Read the held-out counts and write them into the card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts_json", help="the file --lomo --json or --loso-json wrote")
    parser.add_argument("--card", default=None, help="default: the judge's shipped card")
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args()
    doc = json.loads(Path(args.counts_json).read_text(encoding="utf-8"))
    judge, set_name, update = held_out_update(doc, args.date)
    path = Path(args.card) if args.card else card_path(judge, set_name, SHIPPED)
    card = read_card(path).model_copy(update=update)
    save_card(card, path.parent)
    print(f"wrote {path}: {card.held_out_summary()}")


if __name__ == "__main__":
    main()
