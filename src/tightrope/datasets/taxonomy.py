"""The tightrope category taxonomy: Llama Guard 3's hazard categories S1-S14.

They match MLCommons AILuminate's hazards, so per-category results line up with both. Every
dataset maps its own categories onto these codes and keeps its original beside them.
"""

from __future__ import annotations

from tightrope.errors import InputError

CATEGORIES: dict[str, str] = {
    "S1": "Violent Crimes",
    "S2": "Non-Violent Crimes",
    "S3": "Sex-Related Crimes",
    "S4": "Child Sexual Exploitation",
    "S5": "Defamation",
    "S6": "Specialized Advice",
    "S7": "Privacy",
    "S8": "Intellectual Property",
    "S9": "Indiscriminate Weapons",
    "S10": "Hate",
    "S11": "Suicide & Self-Harm",
    "S12": "Sexual Content",
    "S13": "Elections",
    "S14": "Code Interpreter Abuse",
}

# The category of a behavior whose dataset gives none (most of Anthropic's red-team attempts,
# every harmless-base prompt). Not a hazard code: it is never sent to a judge (Llama Guard's
# list is CATEGORIES), and reports show it by this name after S1-S14.
UNSPECIFIED = "unspecified"

# Not hazards: the categories of the instruction-hierarchy suites are their tasks, since no
# S1-S14 hazard describes a password game or an e-mail summary (datasets/tensortrust.py,
# datasets/injection.py). Reports name them; policies and loaders keep to S1-S14.
TASK_CATEGORIES: dict[str, str] = {
    "hijacking": "Prompt hijacking",
    "extraction": "Prompt extraction",
    "injection": "Indirect prompt injection",
}


def category_name(code: str) -> str:
    """Return the human name of a taxonomy code ('S1' -> 'Violent Crimes')."""
    try:
        return CATEGORIES[code]
    except KeyError:
        raise InputError(f"unknown category {code!r}; valid: {', '.join(CATEGORIES)}") from None


def category_sort_key(code: str) -> tuple[int, str]:
    """Return a key that sorts S1, S2, ..., S14 numerically and anything else after."""
    if code.startswith("S") and code[1:].isdigit():
        return (int(code[1:]), code)
    return (10_000, code)
