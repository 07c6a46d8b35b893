"""Pages of asbhub.web.api; what its __init__ held is in asbhub.records.tokens."""
