"""Demonstration data for ``asbhub demo``: one module per app, run by :mod:`.seed`."""
