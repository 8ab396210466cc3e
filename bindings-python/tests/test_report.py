"""Pool.report: the HTML report as a library call, rendered in headless Chromium."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

import yutang
from yutang import InvalidFieldError
from conftest import ROOT

CHARTS = ["lifecycle", "lifecycle_flows", "rfm_tiers", "cohorts", "growth", "attribution", "clv"]


def _pool() -> yutang.Pool:
    """The example's small shop (bindings-python/examples/pool_pictures.py): enough for every section."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pool_pictures", ROOT / "bindings-python" / "examples" / "pool_pictures.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example.demo_pool()


@pytest.fixture(scope="module")
def pool() -> yutang.Pool:
    return _pool()


def _charts(html: str) -> dict:
    return {m.group(1): m.group(2) for m in re.finditer(r'<svg [^>]*data-chart="([^"]+)"[^>]*>(.*?)</svg>', html, re.S)}


def test_report_is_html_with_every_chart(pool: yutang.Pool, tmp_path: pathlib.Path) -> None:
    html = pool.report("2024-12-31 23:59:59")
    assert isinstance(html, yutang.Report) and isinstance(html, str)
    shown = html._repr_html_()  # what Jupyter shows inline: the page in an iframe, its styles kept inside
    assert shown.startswith("<iframe ") and "<style>" not in shown and "&lt;style&gt;" in shown
    charts = _charts(html)
    for name in CHARTS + ["journey_coffee_coupon_ladder"]:
        assert name in charts, (name, sorted(charts))
        assert re.search(r"<(rect|polyline|circle)", charts[name].split("/>", 1)[1]), f"{name} has no marks"
    assert "<script" not in html and "Not available" not in html
    out = tmp_path / "report.html"
    again = pool.report("2024-12-31 23:59:59", out)
    assert out.read_text(encoding="utf-8") == again == html  # deterministic, and written when given a path


def test_report_options(pool: yutang.Pool) -> None:
    html = pool.report("2024-12-31", title="Q4 & more", top_customers=5, clv_months=24)
    assert "<title>Q4 &amp; more</title>" in html and "24-month CLV" in html
    for kwargs, field in [({"period_days": 0}, "period_days"), ({"clv_discount_rate": float("nan")}, "clv_discount_rate"),
                          ({"top_customers": 10 ** 6}, "top_customers"), ({"period_days": -1}, "period_days"),
                          ({"flow_days": 2 ** 40}, "flow_days"), ({"clv_months": 1.5}, "clv_months"),
                          ({"clv_discount_rate": -0.1}, "clv_discount_rate"), ({"title": 7}, "title")]:
        with pytest.raises(InvalidFieldError) as e:
            pool.report("2024-12-31", **kwargs)
        assert e.value.field == field
    with pytest.raises(InvalidFieldError) as e:
        pool.report("not a date")
    assert e.value.field == "at"
    with pytest.raises(TypeError):
        pool.report("2024-12-31", colour="red")  # type: ignore[call-arg]


def test_an_empty_pool_reports_notes() -> None:
    html = yutang.Pool().report("2024-12-31")
    assert "No orders yet." in html and "0 customers, 0 events" in html


def test_report_renders_in_headless_chromium(pool: yutang.Pool) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("YUTANG_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is not installed (scripts/test-all.sh installs Debian's package)")
        pytest.skip("no chromium here")
    from PIL import Image

    out = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    out.mkdir(parents=True, exist_ok=True)
    page, shot = out / "report.html", out / "report.png"
    pool.report("2024-12-31 23:59:59", page)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run([chromium, *flags, f"--user-data-dir={profile}", "--window-size=1200,4000",
                              f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        assert not re.search(r"CONSOLE|Uncaught|Failed to load resource", run.stderr), run.stderr[-2000:]
        dom = subprocess.run([chromium, *flags, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                             capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the DOM Chromium built holds every chart as SVG with its marks
    rendered = _charts(dom.stdout)
    for name in CHARTS:
        assert name in rendered and re.search(r"<(rect|polyline|circle)", rendered[name]), name
    img = Image.open(shot).convert("L")
    assert img.size == (1200, 4000)
    dark = sum(1 for p in img.tobytes() if p < 200) / (img.size[0] * img.size[1])
    assert dark > 0.02, f"the screenshot is nearly blank ({dark:.1%} dark pixels)"
