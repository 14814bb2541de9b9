"""Write harm-clf's leave-one-source-out figures into its JailbreakBench judge card.

    .venv/bin/python scripts/train_harm_clf.py --gate --loso-json loso.json --data-dir ../shared/data
    .venv/bin/python scripts/loso_card.py loso.json [--card src/tightrope/judges/cards/...json]

reads the confusion counts the training script wrote (per attack method of JailbreakBench's
artifacts: the shipped recipe, the full regression behind the gate, trained without that
method's artifacts and tested on them, against the artifacts' own labels from JailbreakBench's
Llama-3-70B judge) and sets the card's `held_out_by_source` (one entry per method and `all`,
with accuracy, sensitivity and specificity and their Wilson 95% intervals) and
`held_out_source_note`. Nothing else in the card changes.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

from tightrope.judges.card import SHIPPED, card_path, held_out_confusions, read_card, save_card

NOTE = (
    "leave-one-source-out ({date}): trained without one attack method's JailbreakBench "
    "artifacts (PAIR, JBC or random search), tested on them; truth is the artifacts' label from "
    "JailbreakBench's Llama-3-70B judge, not a human's, so these say how the judge reads an "
    "attack it has not seen, not its agreement with people; scripts/train_harm_clf.py --gate "
    "--loso-json FILE, then scripts/loso_card.py FILE"
)


def main() -> None:
    """Read the leave-one-source-out counts and write them into the card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loso_json", help="the file train_harm_clf.py --gate --loso-json wrote")
    parser.add_argument("--card", default=str(card_path("harm-clf", "jbb", SHIPPED)))
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args()
    counts = json.loads(Path(args.loso_json).read_text(encoding="utf-8"))["sources"]
    path = Path(args.card)
    card = read_card(path).model_copy(
        update={
            "held_out_by_source": held_out_confusions(counts),
            "held_out_source_note": NOTE.format(date=args.date),
        }
    )
    save_card(card, path.parent)
    print(f"wrote {path}: {card.held_out_summary()}")


if __name__ == "__main__":
    main()
