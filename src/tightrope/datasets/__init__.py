"""Benchmark suites: the registry, the loaders, download + checksum cache, and the taxonomy.

Importing this package registers every suite: the built-in `starter` and `injection`, the
public benchmarks (`harmbench`, `jbb`, `jbb-harmful`, `jbb-benign`, `advbench`,
`strongreject`, `xstest`, `orbench`, `simplesafetytests`, `bbq`, `anthropic-red-team`,
`tensor-trust`, the `helm-safety` group), users' files (`file:PATH`) and Hugging Face datasets
(`hf:ORG/NAME`, read with the optional `datasets` library only when loaded).
"""

from tightrope.datasets import advbench as _advbench  # noqa: F401  (each import registers)
from tightrope.datasets import anthropic_red_team as _red_team  # noqa: F401
from tightrope.datasets import bbq as _bbq  # noqa: F401
from tightrope.datasets import groups as _groups  # noqa: F401
from tightrope.datasets import harmbench as _harmbench  # noqa: F401
from tightrope.datasets import hf as _hf  # noqa: F401
from tightrope.datasets import injection as _injection  # noqa: F401
from tightrope.datasets import jbb as _jbb  # noqa: F401
from tightrope.datasets import orbench as _orbench  # noqa: F401
from tightrope.datasets import simplesafetytests as _sst  # noqa: F401
from tightrope.datasets import starter as _starter  # noqa: F401
from tightrope.datasets import strongreject as _strongreject  # noqa: F401
from tightrope.datasets import tensortrust as _tensortrust  # noqa: F401
from tightrope.datasets import userfile as _userfile  # noqa: F401
from tightrope.datasets import wmdp as _wmdp  # noqa: F401
from tightrope.datasets import xstest as _xstest  # noqa: F401
from tightrope.datasets._base import (
    DatasetInfo,
    Suite,
    check_suite_spec,
    dataset,
    dataset_info,
    datasets,
    load_suite,
    parse_suite_spec,
)
from tightrope.datasets.jbb import JudgeComparisonRow, read_judge_comparison
from tightrope.datasets.remote import ChecksumError, DownloadError
from tightrope.datasets.sampling import stratified_sample
from tightrope.datasets.taxonomy import CATEGORIES, category_name, category_sort_key

__all__ = [
    "CATEGORIES",
    "ChecksumError",
    "DatasetInfo",
    "DownloadError",
    "JudgeComparisonRow",
    "Suite",
    "category_name",
    "category_sort_key",
    "check_suite_spec",
    "dataset",
    "dataset_info",
    "datasets",
    "load_suite",
    "parse_suite_spec",
    "read_judge_comparison",
    "stratified_sample",
]
