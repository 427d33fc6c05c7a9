# The command-line convention, walked through EVERY command (issue 13).
#
# Every leaf command of edi_hit.cli.COMMANDS (a group's subcommands each count) must
# have an entry in SPECS: a new command without one fails test_every_command_has_a_spec,
# so it cannot escape the convention. Each spec says how to run the command on a good
# input, a rejected input and an output; a case that does not apply carries its reason
# (NA) instead of being left out silently. The cases:
#   missing input -> 2; '-' (stdin) -> 0; '-o -' -> 0 with the data on stdout;
#   a folder of inputs -> 0; rejected input -> 1, and 0 with --allow-rejects;
#   a usage error -> 2; never a traceback, and every error is one 'Error:' line;
#   the global options (--config, -v, -q) after the command name as before it.
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import click
import pytest
from click.testing import CliRunner

from edi_hit.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
GOOD_837 = ROOT / "fixtures" / "837p" / "hit_claims.837"
GOOD_835 = ROOT / "fixtures" / "scenarios" / "day60_initial.835"
CLAIMS_JSON = ROOT / "fixtures" / "837p" / "hit_claims.json"
RATES_CSV = ("Carrier,Locality,Locality Name,G0068,G0069,G0070,G0088,G0089,G0090\n"
             "NATIONAL,,,150.00,200.00,250.00,400.00,500.00,600.00\n")
DME_CSV = "MBI,Date,HCPCS,Modifier,Status,Allowed\n1EG4TE5MK73,2024-03-01,J1559,JB,paid,1480.00\n"


def NA(reason: str) -> str:
    return reason


@dataclass
class Files:
    """The inputs every spec draws on, made once per test in tmp_path."""

    tmp: Path
    good: dict[str, Path] = field(default_factory=dict)
    bad: dict[str, Path] = field(default_factory=dict)
    history: Path | None = None

    @classmethod
    def make(cls, tmp: Path) -> "Files":
        f = cls(tmp)
        f.good = {"837": GOOD_837, "835": GOOD_835, "json": CLAIMS_JSON,
                  "rates": _write(tmp / "CY2026_rates.csv", RATES_CSV),
                  "dme": _write(tmp / "dme.csv", DME_CSV), "dme835": DEMO / "dme-mac.835"}
        # one claim's SV102 is not a number: that claim is rejected, the others go on
        f.bad["837"] = _write(tmp / "bad.837", GOOD_837.read_text().replace(
            "SV1*HC:G0068*300.00*", "SV1*HC:G0068*3O0.00*", 1))
        assert f.bad["837"].read_text() != GOOD_837.read_text()
        # BPR02 off by one cent: the transaction does not balance
        text = GOOD_835.read_text()
        bpr = next(s for s in text.split("~") if s.strip().startswith("BPR*"))
        amount = bpr.split("*")[2]
        f.bad["835"] = _write(tmp / "bad.835", text.replace(
            bpr, bpr.replace(f"*{amount}*", f"*{float(amount) + 0.01:.2f}*", 1)))
        import json
        claims = json.loads(CLAIMS_JSON.read_text())
        claims[0]["lines"][0]["charge"] = "12O.00"
        f.bad["json"] = _write(tmp / "bad.json", json.dumps(claims))
        f.history = tmp / "hist.db"   # one run, three claims (HIT-2026-0001 ...)
        r = CliRunner().invoke(main, ["adjudicate", str(GOOD_837), "--history", str(f.history),
                                      "--assume-dme-drug", "-o", str(tmp / "run.835")])
        assert r.exit_code == 0, r.output
        return f


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@dataclass
class Spec:
    """argv(files, input, output) -> the command line; input is a path, '-' or a folder;
    output is a path, '-' or None (the command's default)."""

    argv: Callable[[Files, str, str | None], list[str]]
    kind: str | None              # which input it reads (Files.good/bad key); None: none
    marker: str | None = None     # text the data on stdout contains (for -o -)
    notes_are_data: bool = False  # its data is a findings report (validate)
    na: dict[str, str] = field(default_factory=dict)   # case -> why it does not apply


def _pricing(argv):
    return argv + ["--assume-dme-drug"]


SPARK = ("starts a Spark session (Java, about a minute here): tests/test_spark_runner.py "
         "runs it; its exit rule is finish() as adjudicate's")
SPECS: dict[str, Spec] = {
    "parse": Spec(lambda f, i, o: ["parse", i] + (["-o", o] if o else []), "837",
                  marker='"patient_control_number"'),
    "generate": Spec(lambda f, i, o: ["generate", i, "--now", "2026-03-01T12:00",
                                      "--sender", "ME", "--receiver", "MEDICARE"]
                     + (["-o", o] if o else []), "json", marker="ST*837*"),
    "price": Spec(lambda f, i, o: _pricing(["price", i] + (["-o", o] if o else [])), "837",
                  marker='"edi-hit/priced-claims/1"'),
    "adjudicate": Spec(lambda f, i, o: _pricing(["adjudicate", i, "--now", "2026-03-01"]
                                                + (["-o", o] if o else [])), "837",
                       marker="ST*835*"),
    "read-835": Spec(lambda f, i, o: ["read-835", i] + (["-o", o] if o else []), "835",
                     marker='"remittances"'),
    "reconcile": Spec(lambda f, i, o: _pricing(["reconcile", str(f.good["837"]), i]
                                               + (["-o", o] if o else [])), "835",
                      marker="expected",
                      na={"rejected": NA("the rejected input of reconcile is the 837P: "
                                         "test_reconcile_rejects_claims_of_the_837")}),
    "report": Spec(lambda f, i, o: ["report", i, "--now", "2026-03-01"]
                   + (["-o", o] if o else []), "835", marker="<html"),
    "validate": Spec(lambda f, i, o: ["validate", i, "--no-tr3", "-j", "1"]
                     + (["-o", o] if o else []), "837", marker="transaction set",
                     notes_are_data=True),
    "rates import": Spec(lambda f, i, o: ["rates", "import", i, "--year", "2026"]
                         + (["-o", o] if o else []), "rates", marker='"rates"',
                         na={"folder": NA("one rate table is imported from one CSV"),
                             "rejected": NA("a table with a bad row is refused whole (exit 1): "
                                            "nothing is rejected and kept")}),
    "history import-835": Spec(lambda f, i, o: ["history", "import-835", i,
                                                "--history", str(f.tmp / "h835.db")],
                               "dme835",
                               na={"-o": NA("writes the history, prints no data"),
                                   "rejected": NA("a denied drug line is evidence of nothing, "
                                                  "not a rejection")}),
    "history import-dme": Spec(lambda f, i, o: ["history", "import-dme", i,
                                                "--history", str(f.tmp / "hdme.db")], "dme",
                               na={"-o": NA("writes the history, prints no data"),
                                   "rejected": NA("a bad CSV is refused whole (exit 1)")}),
    "history deductible": Spec(lambda f, i, o: ["history", "deductible", "--history",
                                                str(f.tmp / "hded.db"), "--mbi", "1EG4TE5MK73",
                                                "--year", "2026", "--met", "5.00"], None),
    "history accumulation": Spec(lambda f, i, o: ["history", "accumulation", "--history",
                                                  str(f.tmp / "hacc.db"), "--member", "M1",
                                                  "--plan", "p", "--plan-year", "2026-01-01",
                                                  "--deductible", "10.00"], None),
    "spark-adjudicate": Spec(lambda f, i, o: ["spark-adjudicate", i, "--assume-dme-drug",
                                              "-o", str(f.tmp / "spark-out")], "837",
                             na={case: NA(SPARK) for case in ("good", "folder", "rejected")}
                             | {"stdin": NA("INPUTS are paths Spark reads (globs, hdfs://, "
                                            "s3a://): no stdin"),
                                "-o": NA("OUTDIR is a folder (remit.835, summary.json)")}),
    "batch": Spec(lambda f, i, o: ["batch", i, "--assume-dme-drug", "-o", str(f.tmp / "batch")],
                  "837",
                  na={"good": NA("INDIR is a folder: the folder case runs it"),
                      "stdin": NA("INDIR is a folder of files"),
                      "-o": NA("OUTDIR is a folder (835s, manifest.ndjson, summary.json)"),
                      "rejected": NA("INDIR is a folder: exit 1 with rejected claims, 0 "
                                     "with --allow-rejects in tests/test_batch_tr3.py")}),
    "ledger runs": Spec(lambda f, i, o: ["ledger", "runs", "--history", i], "history"),
    "ledger balances": Spec(lambda f, i, o: ["ledger", "balances", "--history", i], "history"),
    "ledger claim": Spec(lambda f, i, o: ["ledger", "claim", "HIT-2026-0001", "--history", i],
                         "history"),
    "ledger check": Spec(lambda f, i, o: ["ledger", "check", "--history", i], "history"),
    "ledger repair": Spec(lambda f, i, o: ["ledger", "repair", "--history", i], "history"),
}

NO_FILE_INPUT = "reads no input file (the history is its only file: SQLite, not a stream)"
for _name, _spec in SPECS.items():
    if _spec.kind in (None, "history"):
        for _case in ("stdin", "folder", "-o", "rejected"):
            _spec.na.setdefault(_case, NO_FILE_INPUT)
    if _spec.kind is None:
        _spec.na.setdefault("missing", "reads no input file (the history is created)")


def leaf_commands() -> list[str]:
    ctx = click.Context(main)
    names = []
    for name in sorted(COMMANDS):
        command = main.get_command(ctx, name)
        if isinstance(command, click.Group):
            names.extend(f"{name} {sub}" for sub in sorted(command.commands))
        else:
            names.append(name)
    return names


def invoke(argv, stdin: bytes | None = None):
    result = CliRunner().invoke(main, argv, input=stdin)
    assert "Traceback" not in result.output, (argv, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (argv, repr(result.exception))
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error")]
    assert len(errors) <= 1, (argv, result.stderr)
    return result


def test_every_command_has_a_spec():
    missing = [name for name in leaf_commands() if name not in SPECS]
    assert missing == [], f"commands without a convention spec: {missing}"


@pytest.fixture
def files(tmp_path):
    return Files.make(tmp_path)


def applicable(name: str, case: str) -> Spec:
    """The command's spec, or a skip that says why the case does not apply to it."""
    spec = SPECS[name]
    if case in spec.na:
        pytest.skip(spec.na[case])
    return spec


def _input(files: Files, spec: Spec, which: str = "good") -> str:
    if spec.kind == "history":
        return str(files.history)
    if spec.kind is None:
        return ""
    return str(getattr(files, which)[spec.kind])


@pytest.mark.parametrize("name", leaf_commands())
def test_missing_input_is_a_usage_error(name, files):
    spec = applicable(name, "missing")
    r = invoke(spec.argv(files, str(files.tmp / "missing.file"), None))
    assert r.exit_code == 2, r.output
    assert "missing.file" in r.stderr


@pytest.mark.parametrize("name", leaf_commands())
def test_good_input_exits_0(name, files):
    spec = applicable(name, "good")
    r = invoke(spec.argv(files, _input(files, spec), str(files.tmp / "out.data")))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("name", leaf_commands())
def test_stdin(name, files):
    spec = applicable(name, "stdin")
    data = Path(_input(files, spec)).read_bytes()
    out = files.tmp / "from-stdin.data"
    r = invoke(spec.argv(files, "-", str(out)), stdin=data)
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("name", leaf_commands())
def test_dash_o_is_stdout_and_notes_go_to_stderr(name, files):
    spec = applicable(name, "-o")
    r = invoke(spec.argv(files, _input(files, spec), "-"))
    assert r.exit_code == 0, r.output
    assert spec.marker in r.stdout
    for word in ("note:", "warning:", "wrote "):   # summaries and notes: stderr only
        assert spec.notes_are_data or word not in r.stdout, (name, word)
    assert not (Path.cwd() / "-").exists()


@pytest.mark.parametrize("name", leaf_commands())
def test_a_folder_stands_for_the_files_in_it(name, files):
    spec = applicable(name, "folder")
    folder = files.tmp / "inbox"
    folder.mkdir()
    shutil.copy(_input(files, spec), folder / "one.in")
    r = invoke(spec.argv(files, str(folder), str(files.tmp / "out.data")))
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("name", leaf_commands())
def test_rejected_input_exits_1_and_0_with_allow_rejects(name, files):
    spec = applicable(name, "rejected")
    bad = _input(files, spec, "bad")
    r = invoke(spec.argv(files, bad, str(files.tmp / "out1.data")))
    assert r.exit_code == 1, r.output
    r = invoke(spec.argv(files, bad, str(files.tmp / "out0.data")) + ["--allow-rejects"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("name", leaf_commands())
def test_usage_error_exits_2(name, files):
    spec = SPECS[name]
    r = invoke(spec.argv(files, _input(files, spec), None) + ["--no-such-option"])
    assert r.exit_code == 2, r.output
    assert "No such option '--no-such-option'" in r.stderr


def test_reconcile_rejects_claims_of_the_837(files):
    argv = ["reconcile", str(files.bad["837"]), str(files.good["835"]), "--assume-dme-drug"]
    r = invoke(argv)
    assert r.exit_code == 1 and "rejected: " in r.stderr and "SV102" in r.stderr
    assert invoke(argv + ["--allow-rejects"]).exit_code == 0


def _has_strict(name: str) -> bool:
    ctx = click.Context(main)
    command = main.get_command(ctx, name.split()[0])
    for part in name.split()[1:]:
        command = command.commands[part]
    return any(p.name == "strict" for p in command.params)


@pytest.mark.parametrize("name", leaf_commands())
def test_strict_stops_at_the_first_bad_value_with_no_output(name, files):
    if not _has_strict(name):
        pytest.skip("the command has no --strict")
    spec = applicable(name, "rejected")
    out = files.tmp / "strict.out"
    r = invoke(spec.argv(files, _input(files, spec, "bad"), str(out)) + ["--strict"])
    assert r.exit_code == 1, r.output
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]) == 1
    assert not out.exists()


def test_strict_means_the_same_in_every_command_that_has_it():
    assert sorted(n for n in leaf_commands() if _has_strict(n)) == [
        "adjudicate", "generate", "parse", "price", "read-835", "reconcile"]


# -- the global options, after the command name too ---------------------------------------

GLOBAL_OPTIONS = {"-v": logging.INFO, "-vv": logging.DEBUG, "-q": logging.ERROR}


def _leaf(name: str) -> click.Command:
    ctx = click.Context(main)
    command = main.get_command(ctx, name.split()[0])
    for part in name.split()[1:]:
        command = command.commands[part]
    return command


def test_the_global_options_are_the_groups_own():
    globals_ = {p.name: p for p in main.params if p.name in ("config_file", "verbose", "quiet")}
    assert sorted(globals_) == ["config_file", "quiet", "verbose"]
    assert sorted(o for p in globals_.values() for o in p.opts) == [
        "--config", "--quiet", "--verbose", "-q", "-v"]


@pytest.mark.parametrize("name", leaf_commands())
def test_global_options_are_accepted_after_the_command_name(name, files):
    command = _leaf(name)
    own = {p.name: p for p in command.params}
    for global_ in ("config_file", "verbose", "quiet"):
        assert global_ in own and own[global_].opts == next(
            p.opts for p in main.params if p.name == global_), (name, global_)
    # parsed as the command's: the usage error is the unknown option, not -v or -q
    spec = SPECS[name]
    r = invoke(spec.argv(files, _input(files, spec), None) + ["-v", "-q", "--no-such-option"])
    assert r.exit_code == 2, r.output
    assert "No such option '--no-such-option'" in r.stderr


@pytest.mark.parametrize("option", sorted(GLOBAL_OPTIONS))
@pytest.mark.parametrize("name", leaf_commands())
def test_global_options_after_the_command_set_the_log_level(name, option, files):
    spec = applicable(name, "good")
    logger = logging.getLogger("edi_hit")
    r = invoke(spec.argv(files, _input(files, spec), str(files.tmp / "out.data")) + [option])
    assert r.exit_code == 0, r.output
    assert logger.level == GLOBAL_OPTIONS[option], (name, option)
    invoke(["--help"])   # the group's own setup puts the default level back


def test_quiet_after_the_command_hides_warnings_and_verbose_adds_the_log(files):
    argv = SPECS["adjudicate"].argv(files, str(files.good["837"]), str(files.tmp / "a.835"))
    plain, quiet, verbose = invoke(argv), invoke(argv + ["-q"]), invoke(argv + ["-v"])
    assert plain.exit_code == quiet.exit_code == verbose.exit_code == 0
    log = "edi-hit: adjudicating 1 input file(s) (history in memory)"
    assert "warning: pricing with an ILLUSTRATIVE rate table" in plain.stderr
    assert "warning:" not in quiet.stderr and "edi-hit: note:" not in quiet.stderr
    assert "input claims" in quiet.stderr    # the summary stays
    assert log in verbose.stderr.splitlines() and log not in plain.stderr
    # given before and after, they add up: -v before and -v after is -vv (debug)
    both = invoke(["-v"] + argv + ["-v"])
    assert both.exit_code == 0 and logging.getLogger("edi_hit").level == logging.DEBUG
