"""glassnet tour / explain / worksheet, and the by-hand examples' printed numbers."""

import os
import pathlib
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from glassnet.cli import main

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_tour_runs_end_to_end(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["tour", "--no-pause"]) == 0
    out = capsys.readouterr().out
    for k in range(1, 9):
        assert f"Chapter {k} of 8" in out
    assert "C[0,1] = 1·5 + 1·4 = 9" in out and "total: 26 parameters" in out
    assert "∂L/∂z = ŷ − y = [0.5, -0.5, 0]" in out and "Step 10. Gradient descent" in out
    assert "founding documents" not in out and "1 biases" not in out


def test_tour_attention_chapter_numbers(capsys, monkeypatch):
    """Q = X·W_Q, the scores, the softmax row and the weighted sum, all equal to the
    engine's (scaled_dot_product_attention on the same numbers)."""
    import glassnet as gn
    from glassnet.explain._tour import ATTENTION_WEIGHTS, ATTENTION_X, run_tour
    from glassnet.nn import functional as F

    shown = run_tour(pause=False, print_fn=lambda s: None)
    e = shown[-1]
    X, (W_Q, W_K, W_V) = np.array(ATTENTION_X), (np.array(w) for w in ATTENTION_WEIGHTS)
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    np.testing.assert_array_equal(e.Q, Q)
    np.testing.assert_array_equal(e.S, Q @ K.T)
    engine = F.scaled_dot_product_attention(*(gn.tensor(m, dtype=gn.float64) for m in (Q, K, V))).numpy()
    np.testing.assert_allclose(e.Y, engine, rtol=0, atol=1e-12)
    assert e.max_error <= 1e-12
    monkeypatch.setenv("COLUMNS", "100")
    main(["tour", "--no-pause"])
    out = capsys.readouterr().out.split("Chapter 8 of 8")[1].replace("\n  ", " ")  # join wrapped lines
    assert "Q = X·W_Q,  K = X·W_K,  V = X·W_V" in out
    spelled = "S[2,0] = (row 2 of Q_h) · (column 0 of K_hᵀ) = [1, 2]·[1, 1] = 1·1 + 2·1 = 3"
    assert spelled in out, out[out.find("Highlighted: S"):][:300]
    z = (Q @ K.T)[2] / np.sqrt(2)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert f"P[2,:] = [{', '.join(gn.explain._render.fmt(v) for v in p)}]" in out
    assert "a bias is the last row" not in out


def test_tour_pauses_between_chapters():
    from glassnet.explain._tour import run_tour

    prompts = []
    run_tour(pause=True, print_fn=lambda s: None, input_fn=prompts.append)
    assert len(prompts) == 7


def test_explain_matmul_command(capsys, tmp_path):
    page = tmp_path / "mm.html"
    assert main(["explain", "matmul", "[[1,1],[-1,1]]", "[[1,5,2],[2,4,2]]", "--highlight", "0,1",
                 "--html", str(page)]) == 0
    assert "C[0,1] = 1·5 + 1·4 = 9" in capsys.readouterr().out
    HTMLParser().feed(page.read_text())
    assert 'class="gn-cell">9<' in page.read_text()


@pytest.mark.parametrize("what", ["layer", "forward", "backprop"])
def test_explain_model_commands(what, capsys):
    assert main(["explain", what, "--sizes", "3,4,3", "--seed", "1"]) == 0
    assert "Linear(3→4)" in capsys.readouterr().out or what == "backprop"


def test_explain_bad_arguments_exit_2(capsys):
    assert main(["explain", "matmul", "[[1]]"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["explain", "matmul", "not json", "[[1]]"])
    assert exc.value.code == 2


def test_worksheet_command_writes_sheet_and_key(tmp_path, capsys):
    out = tmp_path / "sheet.html"
    assert main(["worksheet", "backprop", "--seed", "7", "--out", str(out)]) == 0
    key = tmp_path / "sheet.answers.html"
    assert "____" in out.read_text() and "Answer key" in key.read_text()
    assert "____" in capsys.readouterr().out


def _run(name):
    env = dict(os.environ, GLASSNET_QUICK="1")
    result = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    return result.stdout


def test_example_matmul_numbers():
    out = _run("by_hand_matmul.py")
    assert "C = [[19, 22], [43, 50]]" in out and "C = [[3, 9, 4], [1, -1, 0]]" in out
    assert "C[0,1] = 1·5 + 1·4 = 9" in out and "A has 3 columns but B has 2 rows" in out


def test_example_layers_numbers():
    out = _run("by_hand_layers.py")
    assert "neuron x=[2, 1, 3]: z = 6, a = 6" in out and "neuron x=[0, 3, 1]: z = -2, a = 0" in out
    assert "sigmoid layer output: [0.5424, 0.6154, 0.6835]" in out
    assert "batch A (columns = inputs): [[5, 1, 1], [0, 0, 0], [4, 1, 3], [0, 0, 0]]" in out
    assert "3-4-2 output: [6, 4] parameters: 26" in out


def test_example_mlp_numbers():
    out = _run("by_hand_mlp.py")
    assert "output: [21, 0] parameters: 100" in out and "layer 7: a = [21, 0]" in out


def test_example_backprop_numbers():
    out = _run("by_hand_backprop.py")
    assert "y_pred = [0.5, 0.5, 0.0]" in out and "dL/dz = y_pred - y = [0.5, -0.5, 0.0]" in out
    assert "loss = 0.246214" in out and "dZ3 = [0.135849, -0.218245, 0.082396]" in out
    assert "new b3 = [-0.013585, 0.021825, -0.00824]" in out


WIDE_MATMUL = ["explain", "matmul", str([list(range(1, 26))]), str([[k] for k in range(1, 26)])]
COMMANDS = [["tour", "--no-pause"], ["explain", "backprop"], ["explain", "backprop", "--sizes", "8,12,10"],
            ["explain", "forward", "--sizes", "6,9,4"], WIDE_MATMUL, ["worksheet", "attention"],
            ["worksheet", "batch", "--size", "6,6,8"]]


@pytest.mark.parametrize("width", [100, 80])
def test_text_output_fits_the_terminal_width(width):
    """Every line of tour / explain / worksheet output fits COLUMNS (the real entry point,
    a subprocess, its stdout a pipe: shutil.get_terminal_size reads COLUMNS first)."""
    env = dict(os.environ, COLUMNS=str(width))
    for command in COMMANDS:
        result = subprocess.run([sys.executable, "-m", "glassnet", *command], capture_output=True,
                                text=True, env=env, timeout=300, check=True)
        lines = result.stdout.splitlines()
        too_wide = [line for line in lines if len(line) > width]
        assert not too_wide, (command, too_wide[:3])
        assert len(lines) > 10 and max(map(len, lines)) > width - 25, command  # it uses the room


def test_text_output_is_100_columns_without_a_terminal():
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    result = subprocess.run([sys.executable, "-m", "glassnet", "explain", "backprop", "--sizes", "8,12,10"],
                            capture_output=True, text=True, env=env, timeout=300, check=True)
    widths = [len(line) for line in result.stdout.splitlines()]
    assert max(widths) <= 100 and max(widths) > 90


def test_a_wide_matrix_keeps_its_first_last_and_highlighted_columns():
    from glassnet.explain._render import matrix_block, render_block

    M = np.arange(40.0).reshape(2, 20) * 1000
    text = render_block(matrix_block(M, col=12, width=60))
    first = text.splitlines()[0]
    assert len(first) <= 60 and "…" in first
    assert first.startswith("[     0   1000") and "12000" in first and first.endswith("19000 ]")


def test_worksheet_attention_command_writes_sheet_and_key(tmp_path):
    """The real entry point: the blanks (one box per cell) on stdout, the printable sheet and
    its key as HTML, the key's numbers the library's."""
    import glassnet.explain as ex

    out = tmp_path / "attention.html"
    result = subprocess.run([sys.executable, "-m", "glassnet", "worksheet", "attention", "--seed", "2",
                             "--size", "3,2,4", "--out", str(out)], capture_output=True, text=True,
                            timeout=300, check=True)
    assert "Worksheet: attention (seed 2, sizes 3,2,4)" in result.stdout
    assert "P = softmax(Z) (3×3)" in result.stdout and "┌───────┬───────┬───────┐" in result.stdout
    sheet, key = out.read_text(), (tmp_path / "attention.answers.html").read_text()
    HTMLParser().feed(sheet), HTMLParser().feed(key)
    assert sheet.count("<td></td>") == 4 * 12 + 3 * 9  # Q, K, V, A: 3×4; S, Z, P: 3×3
    expected = ex.worksheet("attention", seed=2, size=(3, 2, 4)).answers["A = P·V"]
    for value in expected.ravel():
        assert f">{gn_fmt(value)}<" in key


def gn_fmt(value):
    from glassnet.explain._render import fmt

    return fmt(value)
