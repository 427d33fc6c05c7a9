"""X12 835 remittance advice: build it from priced claims, read it back, reconcile.

    build_835(priced_claims, stream, *, payer=PayerInfo(...), now=..., control_number=1)
    read_835(source) -> Iterator[Remittance]
"""
from .balance import claim_discrepancy, line_discrepancy, transaction_discrepancy
from .build import (BalanceError, PayerInfo, ProviderLevelAdjustment, RemittanceBuilder,
                    TransactionSummary, build_835)
from .model import CasAdjustment, Party, ProviderAdjustment, RemitClaim, RemitLine, Remittance
from .read import RemittanceReader, check_balancing, read_835

__all__ = [
    "BalanceError", "CasAdjustment", "Party", "PayerInfo", "ProviderAdjustment",
    "ProviderLevelAdjustment", "RemitClaim", "RemitLine", "Remittance", "RemittanceBuilder",
    "RemittanceReader", "TransactionSummary", "build_835", "check_balancing",
    "claim_discrepancy", "line_discrepancy", "read_835", "transaction_discrepancy",
]
