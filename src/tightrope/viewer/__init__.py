"""The local, read-only web viewer of a run store (`tightrope view`).

It binds to 127.0.0.1 unless told otherwise, answers only GET and HEAD, and renders runs with
the same pages as the HTML report, so model output is escaped the same way.
"""

from tightrope.viewer.server import make_server, serve

__all__ = ["make_server", "serve"]
