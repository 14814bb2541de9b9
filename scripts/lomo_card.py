"""Write refusal-clf's leave-one-model-out figures into its XSTest judge card.

    .venv/bin/python scripts/train_refusal_clf.py --lomo --json lomo.json --data-dir ../shared/data
    .venv/bin/python scripts/lomo_card.py lomo.json [--card src/tightrope/judges/cards/...json]

reads the counts the training script wrote for the strict view (an unseen model and unseen
prompts: trained on the training-half prompts of the other two XSTest completion files, tested on
the held-out-half prompts of the left-out one) and sets the card's `held_out_by_model` (one entry
per left-out model and `all`, with Wilson 95% intervals) and `held_out_note`. Nothing else in the
card changes.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from tightrope.judges.card import SHIPPED, card_path, held_out_groups, read_card, save_card

VIEW = "unseen_model_and_prompts"
NOTE = (
    "leave-one-model-out ({date}): trained on the training-half prompts of two XSTest "
    "completion files (with the own and AdvBench rows), tested on the held-out-half prompts of "
    "the third, so neither its model nor its prompts were seen; scripts/train_refusal_clf.py "
    "--lomo --json FILE, then scripts/lomo_card.py FILE"
)


def main() -> None:
    """Read the LOMO counts and write them into the card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lomo_json", help="the file train_refusal_clf.py --lomo --json wrote")
    parser.add_argument("--card", default=str(card_path("refusal-clf", "xstest", SHIPPED)))
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args()
    counts = json.loads(Path(args.lomo_json).read_text(encoding="utf-8"))["views"][VIEW]
    path = Path(args.card)
    card = read_card(path).model_copy(
        update={
            "held_out_by_model": held_out_groups(counts),
            "held_out_note": NOTE.format(date=args.date),
        }
    )
    save_card(card, path.parent)
    print(f"wrote {path}: {card.held_out_summary()}")


if __name__ == "__main__":
    main()
