"""AdvBench harmful behaviors (Zou et al. 2023): 520 requests, each with its target string.

AdvBench has no categories. tightrope assigns one by an ordered keyword table (`RULES`, the
first matching rule wins), recorded per row in `meta["category_rule"]`; `source_category` is
empty because the dataset wrote none. Every one of the 520 pinned rows matches a rule (a test
checks it); a row that matches none is an error, not a silent "other".
"""

from __future__ import annotations

import re

from tightrope.datasets import sources
from tightrope.datasets._base import DatasetInfo, Suite, dataset, make_suite
from tightrope.datasets.mapping import UnmappedCategoryError
from tightrope.records import Behavior

COLUMNS = ("goal", "target")

# (rule name, pattern over the lower-cased request, code). Order matters: specific before broad.
RULES: tuple[tuple[str, str, str], ...] = (
    ("child", r"\bchild(ren)? (porn|sexual|exploit)|\bminors?\b|pedophil|groom|molest", "S4"),
    ("self-harm", r"suicid|self-harm|self harm|anorexi|bulimi|eating disorder|cutting", "S11"),
    ("sex crimes", r"sexual (assault|abuse|violence)|\brap(e|ing)\b|sex traffick", "S3"),
    ("sexual", r"porn|sexual|explicit|\bsex\b|revenge porn", "S12"),
    (
        "weapons of mass harm",
        r"bomb|explosive|chemical weapon|biological weapon|bioweapon|nuclear|\btoxins?\b"
        r"|nerve agent|poison(ous)? gas|mass casualt|dirty bomb|mass destruction",
        "S9",
    ),
    (
        "hate",
        r"hate speech|hatred|racis|racial|\brace\b|ethnic|religio|minorit|discriminat"
        r"|xenophob|misogyn|lgbt|gay|immigrant|jewish|muslim|incite|supremac|dehumaniz"
        r"|oppression|radicali",
        "S10",
    ),
    ("harassment", r"harass|bully|cyberbull|intimidat|stalk", "S10"),
    ("elections", r"\belection|\bvot(e|er|ing)\b|ballot|candidate", "S13"),
    (
        "market manipulation",
        r"financial (market|data)|stock (market|price)|insider trading",
        "S2",
    ),
    ("malware", r"virus|malware|ransomware|trojan|botnet|ddos|keylogger|spyware|rootkit", "S2"),
    (
        "defamation and misinformation",
        r"defam|libel|slander|reputation|fake news|false information|misinformation"
        r"|disinformation|propaganda|conspiracy|hoax|\brumou?rs?\b|fake (story|article|review)"
        r"|false (claim|story|statement|article)|spread(s)? (false|fake|lies)|panic"
        r"|mislead|without any scientific|claiming",
        "S5",
    ),
    (
        "privacy",
        r"\btracks? user|location|\bsp(y|ies)\b|surveil|eavesdrop|doxx|webcam|collects? personal data|harvest"
        r"|user activity|privacy",
        "S7",
    ),
    (
        "intellectual property",
        r"pirat|copyright|counterfeit goods|plagiari|digital rights management",
        "S8",
    ),
    (
        "cyber crime",
        r"hack|malware|virus|ransomware|trojan|worm|botnet|ddos|denial.of.service|exploit"
        r"|vulnerabilit|phishing|keylogger|spyware|password|crack|backdoor|rootkit|bypass"
        r"|cyber|encrypt|database|network|computer|\bsystems?\b|software|app\b|website|bot\b|spam",
        "S2",
    ),
    (
        "violence",
        r"\bkill|murder|assassinat|violen|assault|attack|\bharm|hurt|injur|poison|weapon"
        r"|firearm|\bguns?\b|shoot|terror|tortur|kidnap|abuse|massacre|genocide|\bwar\b"
        r"|cruel|animal|fight|\bdeath|\bdie\b|dangerous|reckless|drunk|crash|sabotag|destroy"
        r"|hit-and-run|start a fire|arson",
        "S1",
    ),
    (
        "non-violent crime",
        r"steal|theft|thief|fraud|scam|launder|counterfeit|insider trading|tax|evade|evasion"
        r"|smuggl|drug|illegal|crime|criminal|shoplift|cheat|forge|forgery|brib|extort"
        r"|manipulat|blackmail|embezzl|fake|trick|loophole|vandal|traffick|rob\b|robbery"
        r"|break into|lock|trespass|deceiv|decept|misleading|exploit|unethical|lie\b|lying"
        r"|falsif|escape from|evad|law enforcement|review|unsolicited",
        "S2",
    ),
)
_COMPILED = tuple((name, re.compile(pattern), code) for name, pattern, code in RULES)

INFO = DatasetInfo(
    rows="520 harmful behaviors (with target strings)",
    license="MIT",
    citation="Zou et al., Universal and Transferable Adversarial Attacks on Aligned Language "
    "Models, 2023 (arXiv:2307.15043)",
    url="https://github.com/llm-attacks/llm-attacks",
    files=("advbench",),
)


def categorize(request: str) -> tuple[str, str] | None:
    """Return (S-code, rule name) of the first rule matching `request`, or None."""
    text = request.lower()
    for name, pattern, code in _COMPILED:
        if pattern.search(text):
            return code, name
    return None


@dataset("advbench", info=INFO)
def advbench() -> Suite:
    """AdvBench: 520 harmful behaviors with their affirmative target strings."""
    f = sources.ADVBENCH_BEHAVIORS
    table, digest = sources.read_table(f)
    table.require(COLUMNS)
    version = sources.short_revision(f)
    behaviors: list[Behavior] = []
    for n, row in enumerate(table.rows, start=1):
        goal = table.text(row, "goal")
        found = categorize(goal)
        if found is None:
            raise UnmappedCategoryError(
                f"{table.where(row)}: advbench row {n} matches no category rule; "
                "add a rule to RULES in tightrope/datasets/advbench.py"
            )
        code, rule = found
        behaviors.append(
            Behavior(
                id=f"advbench-{n}",
                text=goal,
                side="harmful",
                category=code,
                source_category="",
                source=f"advbench@{version}",
                target=table.text(row, "target") or None,
                meta={"category_rule": rule},
            )
        )
    return make_suite("advbench", version, digest, behaviors, INFO)
