# The file spark-submit runs: `spark-submit [spark options] .../edi_hit/spark/__main__.py
# INPUTS -o OUTDIR [edi-hit options]` is `edi-hit spark-adjudicate` in the session
# spark-submit made (python -m edi_hit.spark does the same outside spark-submit).
#
# Strategy: no logic here; the command's main, with the program name users know.
from __future__ import annotations

from edi_hit.cli.spark import spark_adjudicate_command

if __name__ == "__main__":
    spark_adjudicate_command(prog_name="edi-hit spark-adjudicate")
