"""``glassnet docs`` through the real entry point, in a subprocess: the one-line build hint
(exit code 2) without a built site, and the built site served on 127.0.0.1."""

import re
import subprocess
import sys
import urllib.request


def test_without_a_built_site_it_says_how_to_build_one(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "glassnet", "docs"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("glassnet docs: error: no built documentation in site/")
    assert lines[0].endswith('pip install -e ".[docs]" && mkdocs build')


def test_a_built_site_is_served_on_localhost(tmp_path):
    site = tmp_path / "built"
    site.mkdir()
    (site / "index.html").write_text("<h1>glassnet docs page</h1>", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "glassnet", "docs", "--site", str(site), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        url = re.match(r"glassnet docs: (http://127\.0\.0\.1:\d+/) ", first)
        assert url, first + proc.stderr.read() if proc.poll() is not None else first
        with urllib.request.urlopen(url.group(1), timeout=30) as response:
            assert response.read().decode() == "<h1>glassnet docs page</h1>"
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "GET /" not in stderr  # no access log in the terminal


def test_the_command_is_listed_in_the_help():
    out = subprocess.run([sys.executable, "-m", "glassnet", "--help"], capture_output=True, text=True,
                         timeout=60).stdout
    assert re.search(r"^\s+docs\s+serve the documentation site", out, re.M), out
