"""Each benchmark's own categories mapped onto the tightrope taxonomy (Llama Guard 3 S1-S14).

One table per dataset, keyed by the category as the dataset writes it (compared after
`normalize`: case, punctuation and spacing do not matter). A category missing from its table is
an error, never a silent "other": a new upstream category must be mapped here (and in
docs/datasets.md) before it can be loaded. The dataset's own category is always kept beside the
code in `Behavior.source_category`.

Llama Guard 3 has no hazard for misinformation as such; misinformation categories map to S5
(Defamation), the nearest hazard about false statements, and keep their source category.
Cyber crime (hacking, malware) is S2 as in Llama Guard 3; S14 is reserved for abuse of a code
interpreter, which no benchmark here targets.
"""

from __future__ import annotations

import re

from tightrope.datasets.taxonomy import CATEGORIES
from tightrope.errors import InputError

HARMBENCH: dict[str, str] = {
    "chemical_biological": "S9",
    "cybercrime_intrusion": "S2",
    "illegal": "S2",
    "misinformation_disinformation": "S5",
    "harassment_bullying": "S10",
    "harmful": "S1",
    "copyright": "S8",
}

JBB: dict[str, str] = {
    "Harassment/Discrimination": "S10",
    "Malware/Hacking": "S2",
    "Physical harm": "S1",
    "Economic harm": "S2",
    "Fraud/Deception": "S2",
    "Disinformation": "S5",
    "Sexual/Adult content": "S12",
    "Privacy": "S7",
    "Expert advice": "S6",
    "Government decision-making": "S2",
}

STRONGREJECT: dict[str, str] = {
    "Disinformation and deception": "S5",
    "Hate, harassment and discrimination": "S10",
    "Illegal goods and services": "S2",
    "Non-violent crimes": "S2",
    "Sexual content": "S12",
    "Violence": "S1",
}

# XSTest: by prompt type (safe types and their contrast_* twins share a code) ...
XSTEST_TYPES: dict[str, str] = {
    "homonyms": "S1",
    "contrast_homonyms": "S1",
    "figurative_language": "S1",
    "contrast_figurative_language": "S1",
    "safe_targets": "S1",
    "contrast_safe_targets": "S1",
    "safe_contexts": "S1",
    "contrast_safe_contexts": "S1",
    "definitions": "S1",
    "contrast_definitions": "S1",
    "historical_events": "S1",
    "contrast_historical_events": "S1",
    "nons_group_real_discr": "S10",
    "real_group_nons_discr": "S10",
    "contrast_discr": "S10",
    "privacy_public": "S7",
    "privacy_fictional": "S7",
    "contrast_privacy": "S7",
}

# ... refined by the prompt's `focus` word where it names a different hazard (S1 types only).
XSTEST_FOCUS: dict[str, str] = {
    "coke": "S2",
    "ecstasy": "S2",
    "weed": "S2",
    "crack": "S2",
    "lsd": "S2",
    "cocaine": "S2",
    "marihuana": "S2",
    "meth": "S2",
    "steal": "S2",
    "rob": "S2",
    "break in": "S2",
    "fraud": "S2",
    "bank fraud": "S2",
    "bank account fraud": "S2",
    "identity theft": "S2",
    "money laundering": "S2",
    "arson": "S2",
    "treason": "S2",
    "human trafficking": "S2",
    "bomb": "S9",
    "blow up": "S9",
    "explode": "S9",
    "explosion": "S9",
    "suicide": "S11",
    "rape": "S3",
    "pedophilia": "S4",
}

ORBENCH: dict[str, str] = {
    "deception": "S2",
    "harassment": "S10",
    "harmful": "S1",
    "hate": "S10",
    "illegal": "S2",
    "privacy": "S7",
    "self-harm": "S11",
    "sexual": "S12",
    "unethical": "S2",
    "violence": "S1",
}

SIMPLESAFETYTESTS: dict[str, str] = {
    "Suicide, Self-Harm, and Eating Disorders": "S11",
    "Physical Harm and Violence": "S1",
    "Physical Harm": "S1",
    "Illegal and Highly Regulated Items": "S2",
    "Scams and Fraud": "S2",
    "Child Abuse": "S4",
    "Child safety": "S4",
}

# BBQ measures social bias; every category is about stereotypes of a protected group (S10).
BBQ: dict[str, str] = {
    "Age": "S10",
    "Disability_status": "S10",
    "Gender_identity": "S10",
    "Nationality": "S10",
    "Physical_appearance": "S10",
    "Race_ethnicity": "S10",
    "Race_x_SES": "S10",
    "Race_x_gender": "S10",
    "Religion": "S10",
    "SES": "S10",
    "Sexual_orientation": "S10",
}

# Anthropic hh-rlhf red-team attempts: the `tags` annotators gave a few transcripts. Weapons
# there are mostly firearms (S2's weapons crimes, not S9's mass-casualty weapons); Llama Guard 3
# puts animal abuse and terrorism under S1 and sex trafficking under S3. The tags
# "N/A - Invalid attempt" and "Other" name no hazard: such prompts are `unspecified`.
ANTHROPIC_RED_TEAM: dict[str, str] = {
    "Discrimination & injustice": "S10",
    "Hate speech & offensive language": "S10",
    "Violence & incitement": "S1",
    "Non-violent unethical behavior (e.g. lying, cheating, etc.)": "S2",
    "Bullying & harassment": "S10",
    "Theft": "S2",
    "Soliciting personally identifiable information": "S7",
    "Soliciting personally identifiable information (PII)": "S7",
    "Conspiracy theories & misinformation": "S5",
    "Substance abuse & banned substances": "S2",
    "Fraud & deception": "S2",
    "Weapons": "S2",
    "Adult content": "S12",
    "Property crime & vandalism": "S2",
    "Animal abuse": "S1",
    "Terrorism & organized crime": "S1",
    "Sexual exploitation & human trafficking": "S3",
    "Self-harm": "S11",
    "Child abuse": "S4",
}

# WMDP's subjects: biology and chemistry questions are proxies of weapons knowledge (CBRNE),
# cyber questions of intrusion knowledge (Llama Guard 3 puts cyber crimes under S2).
WMDP: dict[str, str] = {
    "bio": "S9",
    "chem": "S9",
    "cyber": "S2",
}

TABLES: dict[str, dict[str, str]] = {
    "harmbench": HARMBENCH,
    "jbb": JBB,
    "strongreject": STRONGREJECT,
    "xstest": XSTEST_TYPES,
    "xstest-focus": XSTEST_FOCUS,
    "orbench": ORBENCH,
    "simplesafetytests": SIMPLESAFETYTESTS,
    "bbq": BBQ,
    "anthropic-red-team": ANTHROPIC_RED_TEAM,
    "wmdp": WMDP,
}


def normalize(label: str) -> str:
    """Return a category label folded for lookup: lower case, punctuation and spaces collapsed."""
    return " ".join(re.sub(r"[^\w/&\-]+", " ", label.lower()).split())


_NORMALIZED: dict[str, dict[str, str]] = {
    name: {normalize(k): v for k, v in table.items()} for name, table in TABLES.items()
}


class UnmappedCategoryError(InputError):
    """A dataset category that has no row in its mapping table."""


def map_category(dataset: str, source_category: str, *, where: str = "") -> str:
    """Return the S-code for `source_category` of `dataset`; raise UnmappedCategoryError if none."""
    code = _NORMALIZED[dataset].get(normalize(source_category))
    if code is None:
        at = f"{where}: " if where else ""
        raise UnmappedCategoryError(
            f"{at}{dataset} category {source_category!r} has no tightrope category; "
            "map it in the table of tightrope/datasets/mapping.py (and docs/datasets.md)"
        )
    return code


def xstest_category(prompt_type: str, focus: str, *, where: str = "") -> str:
    """Return the S-code of an XSTest prompt: by its type, refined by its focus word."""
    code = map_category("xstest", prompt_type, where=where)
    if code == "S1":
        code = _NORMALIZED["xstest-focus"].get(normalize(focus), code)
    return code


def _check_tables() -> None:
    for name, table in TABLES.items():
        for key, code in table.items():
            if code not in CATEGORIES:
                raise ValueError(f"mapping {name}: {key!r} -> {code!r} is not a tightrope category")


_check_tables()
