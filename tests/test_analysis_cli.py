"""The compare, attribute and dashboard subcommands of influence-sim."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from influence_sim.analysis.cli import dashboard_command
from influence_sim.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
TAKEOVER = str(ROOT / "scenarios" / "afghan_takeover.yaml")


def test_subcommands_are_registered(capsys):
    for command in ("compare", "analyze", "attribute", "dashboard"):
        try:
            main([command, "--help"])
        except SystemExit as exc:
            assert exc.code == 0
        assert f"usage: influence-sim {command}" in capsys.readouterr().out
    assert build_parser() is not None


def test_compare_writes_the_headline_table_and_plots(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(
        ["compare", BASELINE, TAKEOVER, "--out", str(out), "--replicates", "2", "--seed", "4"]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "afghan_takeover vs baseline: paired on 2 replicates" in text
    assert "security share, russia" in text
    head = pd.read_csv(out / "headline.csv")
    assert set(head["scenario"]) == {"baseline", "afghan_takeover"}
    pngs = {p.name: p.read_bytes() for p in out.glob("*.png")}
    assert set(pngs) == {
        "fan_baseline.png",
        "fan_afghan_takeover.png",
        "diff_afghan_takeover.png",
        "states_economic.png",
        "states_security.png",
    }
    assert all(data[:4] == b"\x89PNG" for data in pngs.values())
    # a second run into the same folder needs --force
    assert main(["compare", BASELINE, TAKEOVER, "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_compare_input_errors_are_one_line(tmp_path, capsys):
    assert main(["compare", BASELINE, str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such file or folder" in err
    assert main(["compare", BASELINE, "--out", str(tmp_path / "o")]) == 2
    assert "at least two inputs" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntime: {start: 2021-01-01, end: 2020-01-01, step: quarter}\n")
    assert main(["compare", BASELINE, str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.yaml:" in capsys.readouterr().err


def test_compare_refuses_a_run_folder_whose_table_is_cut_inside_its_last_line(tmp_path, capsys):
    """Every replicate keeps its rows, but the last row has lost its end: not compared as whole."""
    run = ["run", BASELINE, "--replicates", "2", "--seed", "1", "--no-plots", "--out"]
    assert main([*run, str(tmp_path / "a")]) == 0
    assert main([*run, str(tmp_path / "b")]) == 0
    path = tmp_path / "b" / "timeseries.csv"
    whole = path.read_bytes()
    path.write_bytes(whole[:-5])  # a cut number in the last row
    lines = whole.count(b"\n")
    capsys.readouterr()
    compare = ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--no-plots", "--out"]
    assert main([*compare, str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {path}:{lines}: the table is incomplete (cut short?): its last line has no "
        "newline at its end\n"
    )
    path.write_bytes(whole[: whole.rindex(b",")])  # the last row has a field fewer
    assert main([*compare, str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}:{lines}: the table is incomplete")
    assert not (tmp_path / "c").exists()


def test_compare_warns_when_run_folders_do_not_pair(tmp_path, capsys):
    for name, scenario, seed in (("a", BASELINE, "1"), ("b", TAKEOVER, "2")):
        assert (
            main(
                [
                    "run",
                    scenario,
                    "--out",
                    str(tmp_path / name),
                    "--replicates",
                    "2",
                    "--seed",
                    seed,
                    "--no-plots",
                ]
            )
            == 0
        )
    capsys.readouterr()
    assert (
        main(
            [
                "compare",
                str(tmp_path / "a"),
                str(tmp_path / "b"),
                "--out",
                str(tmp_path / "c"),
                "--no-plots",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "warning: 'afghan_takeover' is compared with 'baseline' unpaired" in captured.err
    assert not list((tmp_path / "c").glob("*.png"))


def test_compare_refuses_options_of_scenario_files_when_every_input_is_a_folder(
    tmp_path, capsys
):
    """--seed, --replicates and --posterior were silently ignored for run and sweep folders."""
    run = ["run", BASELINE, "--replicates", "2", "--seed", "1", "--no-plots", "--out"]
    assert main([*run, str(tmp_path / "a")]) == 0
    assert main([*run, str(tmp_path / "b")]) == 0
    capsys.readouterr()
    compare = ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c")]
    posterior = str(ROOT / "docs" / "figures" / "fit_2014" / "posterior.csv")
    for extra, named in (
        (["--seed", "3"], "--seed: applies"),
        (["--replicates", "2"], "--replicates: applies"),
        (["--posterior", posterior], "--posterior: applies"),
        (["--no-posterior"], "--no-posterior: applies"),
        (["--seed", "3", "--replicates", "2"], "--seed and --replicates: apply"),
    ):
        assert main([*compare, *extra]) == 2
        assert capsys.readouterr().err == (
            f"error: {named} to the scenario files compare runs, and every input is a run or "
            "sweep folder (nothing is run)\n"
        )
    assert not (tmp_path / "c").exists()
    # with a scenario file among the inputs they apply to it
    code = main([*compare[:2], BASELINE, *compare[3:], "--seed", "1", "--replicates", "2"])
    assert code == 0 and "paired on 2 replicates" in capsys.readouterr().out


def test_force_refuses_an_output_folder_that_is_or_holds_an_input(tmp_path, capsys):
    """compare --out A --force replaced the run folder A it compared whole; attribute the folder
    of its scenario file."""
    run = ["run", BASELINE, "--replicates", "2", "--seed", "1", "--no-plots", "--out"]
    assert main([*run, str(tmp_path / "runs" / "a")]) == 0
    assert main([*run, str(tmp_path / "runs" / "b")]) == 0
    kept = sorted(p.name for p in (tmp_path / "runs" / "a").iterdir())
    capsys.readouterr()
    a, b = str(tmp_path / "runs" / "a"), str(tmp_path / "runs" / "b")
    for out, what in (
        (a, "is an input of the command"),
        (str(tmp_path / "runs"), f"holds the input {a}"),
        (b, "is an input of the command"),
    ):
        assert main(["compare", a, b, "--out", out, "--force"]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == (
            f"error: {out}: will not replace a folder that {what} (expected a folder of its own "
            "for the results)\n"
        )
    assert sorted(p.name for p in (tmp_path / "runs" / "a").iterdir()) == kept
    scenario = tmp_path / "scenarios" / "afghan_takeover.yaml"
    scenario.parent.mkdir()
    for source in (BASELINE, TAKEOVER):  # the takeover extends the baseline
        (scenario.parent / Path(source).name).write_text(Path(source).read_text())
    out = str(scenario.parent)
    assert main(["attribute", str(scenario), "--out", out, "--force"]) == 2
    assert capsys.readouterr().err == (
        f"error: {out}: will not replace a folder that holds the input {scenario} (expected a "
        "folder of its own for the results)\n"
    )
    assert main(["attribute", TAKEOVER, "--baseline", str(scenario), "--out", out, "--force"]) == 2
    assert f"holds the input {scenario}" in capsys.readouterr().err
    assert scenario.is_file()


def test_force_refuses_an_output_folder_that_holds_a_file_a_scenario_reads(tmp_path, capsys):
    """A file a scenario input extends, or its posterior file, inside --out was deleted by
    --force: compare and attribute refuse such a folder like one holding an input itself."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "fit").mkdir()
    base = tmp_path / "lib" / "baseline.yaml"
    base.write_text(Path(BASELINE).read_text())
    posterior = tmp_path / "fit" / "posterior.csv"
    posterior.write_text("kept")
    top = tmp_path / "top.yaml"
    top.write_text("name: top\nextends: lib/baseline.yaml\n")
    drawn = tmp_path / "drawn.yaml"
    drawn.write_text(f"name: drawn\nextends: {BASELINE}\nposterior: fit/posterior.csv\n")
    lib, fit = str(base.parent), str(posterior.parent)
    for args, out, held in (
        (["compare", str(top), BASELINE], lib, base),
        (["compare", BASELINE, str(drawn)], fit, posterior),
        (["attribute", str(top)], lib, base),
        (["attribute", BASELINE, "--baseline", str(drawn)], fit, posterior),
    ):
        assert main([*args, "--out", out, "--force"]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == (
            f"error: {out}: will not replace a folder that holds the input {held} (expected a "
            "folder of its own for the results)\n"
        )
    assert base.read_text() == Path(BASELINE).read_text() and posterior.read_text() == "kept"


def test_attribute_prints_the_waterfall_and_writes_plots(tmp_path, capsys):
    out = tmp_path / "why"
    code = main(
        [
            "attribute",
            TAKEOVER,
            "--baseline",
            BASELINE,
            "--replicates",
            "2",
            "--state",
            "tajikistan",
            "--partner",
            "russia",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "afghan_takeover vs baseline: russia security share in tajikistan" in text
    assert "remainder" in text and "not additive" in text
    assert (out / "waterfall_tajikistan_security_russia.png").is_file()
    assert (
        main(["attribute", TAKEOVER, "--knockouts", "telepathy", "--out", str(tmp_path / "x")]) == 2
    )
    assert "unknown knockout" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--names", "a,", "argument --names: an empty name in 'a,'"),
        ("--names", ",", "argument --names: an empty name in ','"),
        ("--knockouts", "threat,,offers", "argument --knockouts/--mechanisms: an empty name in"),
        ("--knockouts", "", "--mechanisms: an empty name in ''"),
        ("--partner", "", "--partner: unknown partner ''"),
    ],
)
def test_an_empty_name_is_refused_not_dropped(tmp_path, capsys, option, value, message):
    """An empty label or knockout is one error line; an empty --partner is not the default."""
    if option == "--names":
        argv = ["compare", BASELINE, TAKEOVER, "--replicates", "1", "--no-plots"]
    else:
        argv = ["attribute", TAKEOVER, "--replicates", "1", "--knockouts", "threat", "--no-plots"]
    out = tmp_path / "out"
    try:
        code = main([*argv, "--out", str(out), option, value])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert not out.exists()


def test_attribute_refuses_more_replicates_than_fit_in_memory(tmp_path, capsys):
    """10**30 replicates: one line before anything runs, not a hang building their seeds."""
    out = tmp_path / "out"
    argv = ["attribute", TAKEOVER, "--replicates", str(10**30), "--no-plots", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {10**30} replicates of 2 recorded dates need about ")
    assert err.count("\n") == 1 and not out.exists()


def test_attribute_plots_the_state_asked_for(tmp_path, monkeypatch, capsys):
    """--state picks the plots as well as the printed table."""
    from influence_sim.analysis.attribution import Attribution

    drawn = []
    plot = Attribution.plot_waterfall

    def spy(self, state="region", domain="security", power="china", ax=None):
        drawn.append((state, domain, power))
        return plot(self, state, domain, power, ax)

    monkeypatch.setattr(Attribution, "plot_waterfall", spy)
    out = tmp_path / "why"
    code = main(
        [
            "attribute",
            TAKEOVER,
            "--replicates",
            "2",
            "--mechanisms",
            "threat",
            # --mechanisms and --power: the options' old names, still read for one release
            "--state",
            "kyrgyzstan",
            "--power",
            "united_states",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert {state for state, _, _ in drawn} == {"kyrgyzstan"}
    assert {power for _, _, power in drawn} == {"china", "russia", "united_states"}
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == sorted(
        f"waterfall_kyrgyzstan_{d}_{p}.png"
        for d in ("economic", "security")
        for p in ("china", "russia", "united_states")
    )


def test_attribute_default_folders_do_not_collide(tmp_path, monkeypatch, capsys):
    """Attributions asked differently get their own default folder; a repeat names --force."""
    monkeypatch.chdir(tmp_path)
    common = ["attribute", TAKEOVER, "--replicates", "2", "--knockouts", "threat", "--no-plots"]
    assert main(common) == 0
    assert main([*common, "--state", "tajikistan"]) == 0
    assert main([*common, "--baseline", BASELINE]) == 0
    folders = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert folders == [
        "attribution_afghan_takeover",
        "attribution_afghan_takeover_tajikistan",
        "attribution_afghan_takeover_vs_baseline",
    ]
    capsys.readouterr()
    assert main(common) == 2
    err = capsys.readouterr().err
    assert "attribution_afghan_takeover: output folder is not empty" in err
    assert "--force" in err and "--out DIR" in err
    assert main([*common, "--force"]) == 0


def test_dashboard_command_runs_solara_on_the_page():
    command = dashboard_command(9001, "127.0.0.1", False)
    assert command[:4] == [sys.executable, "-m", "solara", "run"]
    assert "influence_sim.dashboard" in command
    assert command[command.index("--port") + 1] == "9001"
    assert "--no-open" in command


def test_attribute_a_run_without_china_and_russia_and_bad_state_or_partner(
    tmp_path, monkeypatch, capsys
):
    """The default partner is the first power left; an unknown state or partner is refused
    in one line, before anything runs."""
    import influence_sim.analysis.attribution as attribution

    scenario = tmp_path / "only_us.yaml"
    scenario.write_text(
        "name: only_us\ntime: {start: 2021-01-01, end: 2022-01-01, step: quarter}\n"
        "actors: {remove_powers: [china, russia]}\n",
        encoding="utf-8",
    )
    common = ["attribute", str(scenario), "--replicates", "1", "--knockouts", "threat"]
    assert main([*common, "--out", str(tmp_path / "a")]) == 0, capsys.readouterr().err
    assert "only_us: united_states economic share in region" in capsys.readouterr().out
    assert (tmp_path / "a" / "waterfall_security_united_states.png").is_file()

    def no_run(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("ran before checking its options")

    monkeypatch.setattr(attribution, "attribute", no_run)
    for option, value, message in (
        ("--state", "tajikstan", "--state: unknown state 'tajikstan' (expected region or one "
         "of kazakhstan, kyrgyzstan, tajikistan, turkmenistan, uzbekistan; did you mean "
         "'tajikistan'?)"),
        ("--partner", "russia", "--partner: unknown partner 'russia' (expected one of "
         "united_states, rest_of_world)"),
    ):
        assert main([*common, option, value, "--out", str(tmp_path / "b")]) == 2
        assert capsys.readouterr().err == f"error: {message}\n"
    assert not (tmp_path / "b").exists()
