"""asbhub: find and tackle anti-social behaviour and neighbourhood crime with partners."""

__version__ = "0.1.0"
