"""edi-hit's own TR3 engine, compiled from pyx12's implementation-guide maps.

pyx12 ships the 005010X222A1 (837P), 005010X221A1 (835) and 005010X231A1 (999)
guides as XML maps. This package reads them from the installed pyx12 at run time
(never a copy), compiles them once into compact tables (cached on disk, keyed by
pyx12's version and the maps' hashes), and validates in one streaming pass what
pyx12 validates, with pyx12's verdicts, positions and 999 codes:

    engine = Tr3Engine(add)                  # add: validation.engine.report_adder
    for seg in reader: engine.feed(seg, reader.index, reader.delimiters)
    engine.finish()

Modules: source (where the maps are), compile (XML -> tables), cache (tables on
disk), model (tables -> node tree), walk (loop placement plans), reading (pyx12's
reader checks), values (data types), elements (exact element checks), fastcheck
(generated fast element checks), errtree (pyx12's error cursor -> Issues),
stream (the engine), remote (the engine in a child process, for large files).
"""
from .remote import engine_for
from .stream import Tr3Engine, compiled_maps, run_tr3_engine, start_engine

__all__ = ["Tr3Engine", "compiled_maps", "engine_for", "run_tr3_engine", "start_engine"]
