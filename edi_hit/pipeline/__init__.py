# The main job, above pricing and x835: 837P files -> priced claims -> 835, exactly once.
#
# Strategy: job.py composes the stages (adjudicate); atomic.py orders the steps that
# make a run atomic and exactly once on top of the history store's ledger (lock,
# repair, replay, stage, commit, publish); inputs.py identifies input files by content;
# summary.py counts what happened; faults.py names the steps a test can break.
from __future__ import annotations

from .atomic import AlreadyAdjudicated, repair
from .faults import STEPS as FAULT_STEPS
from .job import DEFAULT_BATCH_SIZE, RunInterrupted, adjudicate
from .summary import Summary, Tally

__all__ = ["adjudicate", "Summary", "Tally", "DEFAULT_BATCH_SIZE", "AlreadyAdjudicated",
           "RunInterrupted", "repair", "FAULT_STEPS"]
