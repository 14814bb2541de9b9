"""The pinned public files every benchmark loader reads: upstream URL, mirror path, SHA-256.

URLs name a full commit (GitHub) or revision (Hugging Face), so the bytes cannot drift; the
SHA-256 values were computed from byte-identical copies of those files. Where no copy was at
hand to hash (OR-Bench 80k and toxic, BBQ's five categories missing from shared/data,
hh-rlhf's red-team attempts) the hash is None: the file is trusted
on first download and its hash recorded then (see remote.py and docs/datasets.md).
"""

from __future__ import annotations

import hashlib

from tightrope.datasets.remote import RemoteFile, local_path, read_verified
from tightrope.datasets.tabular import Table, parse_csv

_GITHUB = "https://raw.githubusercontent.com"
_HF = "https://huggingface.co/datasets"
HARMBENCH_REV = "8e1604d1171fe8a48d8febecd22f600e462bdcdd"
JBB_REV = "886acc352a31533ffbcf4ef22c744658688086fc"
ADVBENCH_REV = "098262edf85f807224e70ecd87b9d83716bf6b73"
STRONGREJECT_REV = "f7cad6c17e624e21d8df2278e918ae1dddb4cb56"
XSTEST_REV = "d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d"
ORBENCH_REV = "e36d8b80e81837c8a8f264bbb2a49f1b32c7e272"
SST_REV = "d7aee9a9422a5a5488f478fd79c2479c891c0f3b"
BBQ_REV = "bea11bd97d79217245b5871acd247b9d6eb24598"
HH_RLHF_REV = "354e5c3cb8960630860dd5774a6ac2a58313bf4d"
# The Hugging Face revision of Anthropic/hh-rlhf that HELM Safety pins for red-team-attempts.
HH_RLHF_HF_REV = "09be8c5bbc57cb3887f3a9732ad6aa7ec602a1fa"
# hh-rlhf keeps its data in Git LFS: raw.githubusercontent.com serves only the LFS pointer.
_GITHUB_LFS = "https://media.githubusercontent.com/media"
TENSOR_TRUST_REV = "e2385ea9cf448c9641b96e2e39f113ed4979a5b0"
# cais/wmdp publishes no release tag and no revision could be looked up from here: the files are
# read from `main` and trusted on first download (their hash is recorded then and checked after;
# the suite's version carries it). docs/datasets.md says so.
WMDP_REV = "main"


def _pin(dataset: str, path: str, url: str, revision: str, sha256: str | None) -> RemoteFile:
    return RemoteFile(dataset, path, url, sha256, revision)


def _harmbench(split: str, sha256: str) -> RemoteFile:
    name = f"harmbench_behaviors_text_{split}.csv"
    url = f"{_GITHUB}/centerforaisafety/HarmBench/{HARMBENCH_REV}/data/behavior_datasets/{name}"
    return _pin("harmbench", f"harmbench/{name}", url, HARMBENCH_REV, sha256)


def _jbb(name: str, sha256: str) -> RemoteFile:
    url = f"{_HF}/JailbreakBench/JBB-Behaviors/resolve/{JBB_REV}/data/{name}"
    return _pin("jbb", f"jbb/{name}", url, JBB_REV, sha256)


def _orbench(name: str, sha256: str | None) -> RemoteFile:
    url = f"{_HF}/bench-llm/or-bench/resolve/{ORBENCH_REV}/{name}"
    return _pin("orbench", f"orbench/{name}", url, ORBENCH_REV, sha256)


HARMBENCH_ALL = _harmbench(
    "all", "8d81accedd38eaaf8b760618622bb888417d1fd0c86eba65c427a16f1cbb4afc"
)
HARMBENCH_VAL = _harmbench(
    "val", "7bfaaa5e2b9b95002c89e2d33c019f58e9e8496e2fc65d368f1eeb8179e69534"
)
HARMBENCH_TEST = _harmbench(
    "test", "75d257b3e7428c52eb7b0154318f455af3e01b09a3794b5e2f3d36054f3c0e29"
)
JBB_HARMFUL = _jbb(
    "harmful-behaviors.csv", "4a8ec6832056b631eb092dccc60d37a61c3d441268268888b3d006288afeffa1"
)
JBB_BENIGN = _jbb(
    "benign-behaviors.csv", "3cda234d21a991fa309bbfea4b6d9dae31ccdf8e9d452424b6a983e4fdc33468"
)
JBB_JUDGE_COMPARISON = _jbb(
    "judge-comparison.csv", "95f5b06d7a177fafd9377f2013ebed549c264bfdeee00082d64fcdcb1dc7aa8b"
)
ADVBENCH_BEHAVIORS = _pin(
    "advbench",
    "advbench/harmful_behaviors.csv",
    f"{_GITHUB}/llm-attacks/llm-attacks/{ADVBENCH_REV}/data/advbench/harmful_behaviors.csv",
    ADVBENCH_REV,
    "6cd1a5c63c07610d7eb67307772ee5606017ee950b5770ab288a2c487489d3e1",
)
STRONGREJECT = _pin(
    "strongreject",
    "strongreject/strongreject_dataset.csv",
    f"{_GITHUB}/alexandrasouly/strongreject/{STRONGREJECT_REV}"
    "/strongreject_dataset/strongreject_dataset.csv",
    STRONGREJECT_REV,
    "4dd70357e4ff8b5d0ba5ebafecab5d6dd5633ce8046e3dd1c8bd93e64de44381",
)
# The repository was first published as paul-rottger/exaggerated-safety; GitHub redirects.
XSTEST = _pin(
    "xstest",
    "xstest/xstest_prompts.csv",
    f"{_GITHUB}/paul-rottger/xstest/{XSTEST_REV}/xstest_prompts.csv",
    XSTEST_REV,
    "11783fb294ed017473ee53c207d71f2161c7672c8d0b037501e78387f801cb5a",
)
ORBENCH_80K = _orbench("or-bench-80k.csv", None)
# Pinned from a published record of this revision (169,255 bytes); no local copy was hashed.
ORBENCH_HARD = _orbench(
    "or-bench-hard-1k.csv", "a6e2f1166416efe5901f3bb05c47dc92ab3aca3acfe143693d38b8057d841e6d"
)
ORBENCH_TOXIC = _orbench("or-bench-toxic.csv", None)
SIMPLESAFETYTESTS = _pin(
    "simplesafetytests",
    "simplesafetytests/SimpleSafetyTests - test cases.csv",
    f"{_GITHUB}/bertiev/SimpleSafetyTests/{SST_REV}/SimpleSafetyTests%20-%20test%20cases.csv",
    SST_REV,
    "6d95a1301e0d0f3a3c4cf5392f4afff11ad6e3066f95d23aaa138d44aedf986c",
)

# BBQ's eleven category files; the six in shared/data are pinned by hash, the other five are
# trusted on first download (no copy was at hand to hash).
BBQ_HASHES: dict[str, str | None] = {
    "Age": "46e805b3fc2d8cbd26eeb8e8430d98cf7b2dc9c83574ff3674e8ce4f0fca2a60",
    "Disability_status": "375d40d9b71f056150264445ec189b13934998f3f49a1e311aa7578eb3b45e5f",
    "Gender_identity": None,
    "Nationality": "a583e74666aec0341ded8aa3983e7cad694eb24de72c254d28b2df3035720090",
    "Physical_appearance": "e48d7e13508565f4801574e611043470c25c95a0a62af3699cb5ee7cb02608fb",
    "Race_ethnicity": None,
    "Race_x_SES": None,
    "Race_x_gender": None,
    "Religion": "cb9555f9f3454a52cd2df85956b59bd7fcca5aa922c8527693b1164d08417616",
    "SES": None,
    "Sexual_orientation": "2c71036b9e7584fe589c42aef32c1a42bc01b9a5e9b1b8704342630cdb08cefd",
}
BBQ: dict[str, RemoteFile] = {
    cat: _pin(
        "bbq",
        f"bbq/{cat}.jsonl",
        f"{_GITHUB}/nyu-mll/BBQ/{BBQ_REV}/data/{cat}.jsonl",
        BBQ_REV,
        sha256,
    )
    for cat, sha256 in BBQ_HASHES.items()
}
HH_HARMLESS_BASE = _pin(
    "anthropic-red-team",
    "hh_rlhf/harmless-base-test.jsonl.gz",
    f"{_GITHUB_LFS}/anthropics/hh-rlhf/{HH_RLHF_REV}/harmless-base/test.jsonl.gz",
    HH_RLHF_REV,
    "ebfaaed21162a4de120ae85366075b34425e2a6303fac59b99555002f7016f03",
)
HH_RED_TEAM = _pin(
    "anthropic-red-team",
    "hh_rlhf/red_team_attempts.jsonl.gz",
    f"{_HF}/Anthropic/hh-rlhf/resolve/{HH_RLHF_HF_REV}/red-team-attempts/red_team_attempts.jsonl.gz",
    HH_RLHF_HF_REV,
    None,
)


def _tensor_trust(task: str, sha256: str) -> RemoteFile:
    name = f"{task}_robustness_dataset.jsonl"
    url = (
        f"{_GITHUB}/HumanCompatibleAI/tensor-trust-data/{TENSOR_TRUST_REV}"
        f"/benchmarks/{task}-robustness/v1/{name}"
    )
    return _pin("tensor-trust", f"tensor_trust/{name}", url, TENSOR_TRUST_REV, sha256)


TENSOR_TRUST_HIJACKING = _tensor_trust(
    "hijacking", "2ad3c2343bbf43cb1924f3ec5d6f830864ce3c879e9832b01d93a991e7e2e680"
)
TENSOR_TRUST_EXTRACTION = _tensor_trust(
    "extraction", "4090f9f57b6df69cc32d7669ac991e3fd53e6e2bb616a5e6f45dac79c183ee4c"
)

# WMDP's three subjects: 1,273 bio, 408 chem and 1,987 cyber questions (Li et al. 2024).
WMDP: dict[str, RemoteFile] = {
    subject: _pin(
        "wmdp",
        f"wmdp/wmdp-{subject}/test-00000-of-00001.parquet",
        f"{_HF}/cais/wmdp/resolve/{WMDP_REV}/wmdp-{subject}/test-00000-of-00001.parquet",
        WMDP_REV,
        None,
    )
    for subject in ("bio", "chem", "cyber")
}

ALL_FILES: tuple[RemoteFile, ...] = (
    HARMBENCH_ALL,
    HARMBENCH_VAL,
    HARMBENCH_TEST,
    JBB_HARMFUL,
    JBB_BENIGN,
    JBB_JUDGE_COMPARISON,
    ADVBENCH_BEHAVIORS,
    STRONGREJECT,
    XSTEST,
    ORBENCH_80K,
    ORBENCH_HARD,
    ORBENCH_TOXIC,
    SIMPLESAFETYTESTS,
    *BBQ.values(),
    HH_HARMLESS_BASE,
    HH_RED_TEAM,
    TENSOR_TRUST_HIJACKING,
    TENSOR_TRUST_EXTRACTION,
    *WMDP.values(),
)


def files_of(dataset: str) -> tuple[RemoteFile, ...]:
    """Return the pinned files that `datasets fetch DATASET` downloads."""
    return tuple(f for f in ALL_FILES if f.dataset == dataset)


def read_table(f: RemoteFile, *, encoding: str = "utf-8") -> tuple[Table, str]:
    """Return the verified CSV table of `f` and the SHA-256 of its bytes."""
    data = read_verified(f)
    return parse_csv(data, str(local_path(f)), encoding=encoding), hashlib.sha256(data).hexdigest()


def short_revision(f: RemoteFile) -> str:
    """Return the first 8 hex digits of the upstream revision of `f` (the dataset version)."""
    return f.revision[:8]
