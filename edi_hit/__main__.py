# `python -m edi_hit`: the same command line as `edi-hit`.
#
# Strategy: nothing of its own; the click group in edi_hit.cli is the program, named
# edi-hit in its usage lines whichever way it was started.
from edi_hit.cli import main

if __name__ == "__main__":  # pragma: no cover - run as a program
    main(prog_name="edi-hit")
