"""``supercon3d serve``: a local web page over the library, and the JSON API it uses.

:func:`serve` starts it (uvicorn); :func:`supercon3d.web.app.create_app` builds the ASGI app
for another server or a test client. Predictions: :mod:`~supercon3d.web.routes_predict`;
screening databases: :mod:`~supercon3d.web.routes_screen`; discovery runs:
:mod:`~supercon3d.web.routes_discover`; safety (token, limits): :mod:`~supercon3d.web.security`.
"""

from __future__ import annotations

from supercon3d.web.serve import serve

__all__ = ["serve"]
