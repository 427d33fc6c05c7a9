# The pricing engine: 837P claims -> priced lines under the Medicare HIT benefit, or
# under the payer contracts given (contracts/: per diem S-codes, nursing, drugs ...).
#
# Strategy: tables (codes, rates, Part B, conventions, supplier enrolment) are data
# loaded once; rules.py holds one small function per edit with the history window it
# reads; profile.py declares their order (the Medicare HIT profile) and payment.py the
# money steps; contracts/ does the same for payer contracts; history.py keeps what
# spans claims and dme.py says which DME drug lines are evidence; pricer.py runs the
# profile selection.py picks for each claim over its lines (lifecycle.py: originals,
# replacements, voids; run.py: which claims are priced together) and yields
# PricedClaims (model.py); plan.py pre-scans files and stream.py prices them as a
# stream, beneficiary by beneficiary in date-of-service order.
from edi_hit.pricing.pricer import Pricer, PricingRun, claim_icn, price
from edi_hit.pricing.codes import CodeTable, default_codes
from edi_hit.pricing.contracts import Contract, ContractBook, load_contracts
from edi_hit.pricing.conventions import Conventions, default_conventions, load_conventions
from edi_hit.pricing.history import HistoryStore, SQLiteHistory, open_history
from edi_hit.pricing.model import Adjustment, PricedClaim, PricedLine
from edi_hit.pricing.rates import RateTable, default_rates, import_cms_csv, load_rates
from edi_hit.pricing.stream import PricedFeed, price_files
from edi_hit.pricing.tables import PartB, part_b

__all__ = ["price", "price_files", "Pricer", "PricingRun", "PricedFeed", "claim_icn",
           "PricedClaim", "PricedLine", "Adjustment", "RateTable", "load_rates", "default_rates", "import_cms_csv", "Conventions",
           "load_conventions", "default_conventions", "HistoryStore", "SQLiteHistory",
           "open_history", "CodeTable", "default_codes", "PartB", "part_b", "Contract",
           "ContractBook", "load_contracts"]
