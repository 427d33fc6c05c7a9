"""X12 syntax layer: delimiters, streaming segments with positions, envelopes, writer.

Nothing here knows about claims: it turns bytes into segments (lists of strings)
and segments into bytes, and checks the ISA/GS/ST envelopes and their counts (also
ahead of a read, at C speed: prescan.check_transaction_sets).
"""
from .delimiters import Delimiters, parse_isa_delimiters
from .envelope import (ENVELOPE_IDS, EnvelopeTracker, GroupHeader, InterchangeHeader,
                       TransactionHeader, TransactionSets, check_envelopes)
from .prescan import EnvelopeScan, check_transaction_sets
from .reader import Position, SegmentReader, read_segments
from .writer import SegmentWriter, format_amount

__all__ = [
    "Delimiters", "ENVELOPE_IDS", "EnvelopeScan", "EnvelopeTracker", "GroupHeader",
    "InterchangeHeader", "Position", "SegmentReader", "SegmentWriter", "TransactionHeader",
    "TransactionSets", "check_envelopes", "check_transaction_sets", "format_amount",
    "parse_isa_delimiters", "read_segments",
]
