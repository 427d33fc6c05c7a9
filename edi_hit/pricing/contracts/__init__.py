# Payer contracts: pricing home infusion claims of commercial, Medicare Advantage and
# Medicaid payers (per diem S-codes, nursing visits, drugs by NDC, Medicare's HIT fees
# times a factor ...) from contracts that are data.
#
# Strategy: a contract is a JSON or TOML document (schemas/contract.schema.json) read
# into value objects (model.py, load.py), with the drug price lists and authorizations
# it needs (prices.py, auth.py). book.py selects the contract of a claim by payer id
# (2010BB NM109), claim filing indicator (SBR09) and date; a claim no contract selects
# stays Medicare HIT only when its SBR09 is MB. profile.py turns a contract into a
# pricing profile: rules.py (one function per rule, K0-K9 plus Medicare's E-rules
# where they apply), payment.py (the method's amount, lesser of charge, the member's
# share from cost.py, accumulated per plan year in the history store). The pricer
# (pricing/pricer.py) runs it like the Medicare profile.
from edi_hit.pricing.contracts.auth import Authorizations, load_authorizations
from edi_hit.pricing.contracts.book import MEDICARE_PART_B, ContractBook, Selection, load_contracts
from edi_hit.pricing.contracts.model import Contract, CostSharing, Limit, Match, Payable, Term
from edi_hit.pricing.contracts.prices import PriceList, load_price_list
from edi_hit.pricing.contracts.profile import contract_profile

__all__ = ["Contract", "Term", "Limit", "CostSharing", "Match", "Payable", "ContractBook",
           "Selection", "load_contracts", "contract_profile", "Authorizations",
           "load_authorizations", "PriceList", "load_price_list", "MEDICARE_PART_B"]
