"""The diagnostic and the plan of a 2,000-machine generated fleet render in headless Chromium.

No console error, no blocked load (the pages forbid any fetch); the screenshots are kept under
test-artifacts/ (gitignored) for a human to look at. Measured: ~40 s on 2 busy cores.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import pytest

from sovmigrate.assess.cartography import summarize
from sovmigrate.assess.readiness import Reason
from sovmigrate.fleet.service import assessed, context, import_fleet
from sovmigrate.lab.fleetgen import campaign_settings, write_fleet
from sovmigrate.plan.service import make_plan, stored_waves
from sovmigrate.report import diagnostic, html
from sovmigrate.report import plan as plan_report
from sovmigrate.state import open_store

sys.path.insert(0, str(Path(__file__).parents[1]))
from browser import render_in_chromium

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "reports"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium not installed"),
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("fleet2000")
    write_fleet(work / "glpi", 2000, seed=7)
    inventories = work / "inventories"
    (inventories / "demo").mkdir(parents=True)
    (inventories / "demo" / "campaign.yml").write_text(campaign_settings(2000))
    with open_store(work / "state.db") as store:
        summary = import_fleet(store, "demo", [work / "glpi"], inventories=inventories)
        assert summary.machines == 2000
        ctx = context(store, "demo", inventories=inventories, config=None)
        result = make_plan(store, ctx, inventories=inventories, start=dt.date(2027, 1, 4))
        pairs = [(m, a) for m, a, _w, _s in assessed(store, ctx)]
        diag = summarize(pairs, ctx.catalogue, stored_waves(store, ctx))
    assert diag.projection[-1].share < diag.share  # the plan reduces the figure
    assert diag.unmatched["Appli métier GESTAC"] > 0
    out: dict[str, Path] = {}
    for lang in ("fr", "en"):
        out[f"diagnostic-{lang}"] = html.write(
            work / f"diagnostic-{lang}.html",
            diagnostic.render_html(diag, ctx.config.rules, campaign="demo", lang=lang),
        )
    codes = {c for _n, _s, cs in result.plan.blocked for c in cs}
    reasons = {c: Reason(c, "blocked").message(ctx.config.rules, "fr") for c in codes}
    out["plan-fr"] = html.write(
        work / "plan-fr.html",
        plan_report.render_html(result.plan, campaign="demo", reasons=reasons),
    )
    return out


@pytest.mark.parametrize("name", ["diagnostic-fr", "diagnostic-en", "plan-fr"])
def test_page_renders_without_console_errors(pages: dict[str, Path], name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    errors = render_in_chromium(pages[name], shot)
    assert errors == []
    assert shot.stat().st_size > 20_000  # a real page, not a blank one
    shutil.copy(pages[name], ARTIFACTS / f"{name}.html")


def test_the_helper_sees_errors(tmp_path: Path) -> None:
    # The check above can fail: a page with a script error and a blocked fetch is caught.
    page = tmp_path / "broken.html"
    page.write_text(
        html.page("x", '<img src="http://127.0.0.1:9/x.png"><p>x</p>')
        + "<script>console.error('boom')</script>"
    )
    errors = render_in_chromium(page, tmp_path / "broken.png")
    assert any("127.0.0.1:9" in e for e in errors)
