"""837P 005010X222A1: read claims from X12, write claims as X12, convert to JSON/XML."""
from ..claims import RejectedClaim
from .read import ClaimReader, RejectLog, read_837p
from .write import claim_segments, write_837p

__all__ = ["ClaimReader", "RejectLog", "RejectedClaim", "read_837p", "write_837p",
           "claim_segments"]
