"""bench/http.py, the load benchmark: its figures (wrk's report, ratios, the table) and a short run."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_bench():  # type: ignore[no-untyped-def]
    # by path, under another name: its own name would shadow the standard library's `http`
    spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "pages_under_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def test_a_wrk_report_becomes_a_round():
    report = "Running 5s test @ http://127.0.0.1:1\n  2 threads\nRESULT 12000 5000000 1500 9200 3\n"
    found = bench.parse_result(report)
    assert found.rate == 2400
    assert (found.p50_ms, found.p99_ms, found.bad) == (1.5, 9.2, 3)


def test_a_wrk_run_without_a_report_is_an_error():
    with pytest.raises(RuntimeError, match="no result"):
        bench.parse_result("unable to connect to 127.0.0.1:1")


def test_the_ratio_is_the_median_of_each_rounds_own_ratio():
    result = bench.Result(bench.ROWS[0])
    for app, bare in ((100, 1000), (300, 1000), (250, 500)):  # ratios 0.1, 0.3, 0.5
        result.app.append(bench.Round(app, 1.0, 1, 2))
        result.bare.append(bench.Round(bare, 1.0, 1, 2))
    assert result.ratio == pytest.approx(0.3)


def test_the_table_has_a_line_per_row_with_its_figures():
    result = bench.Result(bench.Row("home-big", "home, {articles} articles"))
    result.app.append(bench.Round(1000, 2.0, 3.25, 12.5, bad=1, cpu_seconds=2.0))
    result.bare.append(bench.Round(4000, 2.0, 0.5, 1.0, cpu_seconds=1.0))
    lines = bench.table([result], articles=1000).splitlines()
    assert len(lines) == 3  # header, rule, the row
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert cells == ["home, 1000 articles", "500", "2000", "0.25", "2000", "250", "0.12", "3.2", "12.5", "1"]


def test_the_cpu_ratio_is_bares_cpu_time_per_request_over_the_apps():
    result = bench.Result(bench.ROWS[0])
    result.app.append(bench.Round(1000, 5.0, 1, 2, cpu_seconds=1.5))  # 1500 µs a request
    result.bare.append(bench.Round(5000, 5.0, 1, 2, cpu_seconds=1.5))  # 300 µs a request
    assert result.app[0].cpu_us == pytest.approx(1500)
    assert result.cpu_ratio == pytest.approx(0.2)


def test_the_lua_script_carries_each_request_quoted():
    script = bench.lua_script(
        [("POST", "/a", {"Cookie": 's="x"'}, "csrf_token=t&answer=b"), ("GET", "/b", {}, "")], threads=2
    )
    assert '{"POST", "/a", {["Cookie"] = "s=\\"x\\""}, "csrf_token=t&answer=b"}' in script
    assert '{"GET", "/b", {}, nil}' in script
    assert "local per_thread = 1" in script


def test_without_wrk_it_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr(bench, "WRK", "/nonexistent/wrk")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sys, "argv", ["bench/http.py"])
    assert bench.main() != 0
    assert "apt-get install wrk" in capsys.readouterr().err


@pytest.mark.slow
def test_a_short_run_prints_the_table(tmp_path):
    if not Path(bench.WRK).exists():
        pytest.skip("wrk is not installed")
    done = subprocess.run(
        [sys.executable, "bench/http.py", "--rows", "healthz,static", "--seconds", "1", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| /healthz")]
    assert rows, done.stdout
    cells = [cell.strip() for cell in rows[-1].strip("|").split("|")]
    assert float(cells[1]) > 0 and float(cells[3]) > 0 and float(cells[4]) > 0 and cells[-1] == "0"


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_every_benchmark_starts_beside_a_file_named_http_py(script):
    # bench/ comes first on a script's path: bench/http.py must not stand in for the standard library
    command = [sys.executable, f"bench/{script}", "--help"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
