"""The run store: one SQLite file holding runs, records, verdicts and the response cache.

It depends only on `tightrope.records`: conventions of attacks and judges (which attempts an
adaptive stage owns, which verdicts belong to a panel) come in as parameters.
"""

from tightrope.store.schema import STORE_FILENAME
from tightrope.store.store import RunInfo, Store

__all__ = ["STORE_FILENAME", "RunInfo", "Store"]
