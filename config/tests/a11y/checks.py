"""The accessibility checks of the browser suite (issue 18), run in a Playwright page of headless Chromium:

- ``run_axe(page)``: axe-core (vendored beside this file, checked against its sha256 before use) over the whole
  page; ``blocking(result)`` keeps the critical and serious violations, the ones that fail a test.
- ``tab_walk(page)``: presses Tab until every interactive control of the page has had the focus (or gives up)
  and says which never did; at each stop it measures the focus indicator (``ring`` below).
- ``focus_rings(page)``: the same measure, with each control focused by script after one real Tab (so that
  ``:focus-visible`` applies): for pages whose Tab order is long and not ours (the admin's 100-row lists).
- ``assert_the_checks_catch_a_broken_page(page)``: each check run on a page made to fail it; a check that finds
  nothing there is broken, and so is the test that relies on it.

The focus indicator is measured from the computed style, not eyeballed: the focused element must match
``:focus-visible`` and draw an outline at least 2 px wide whose colour has a contrast of at least 3:1 (WCAG 1.4.11)
with every background it is drawn on — the backgrounds of the ancestors under the ring's box (an outline offset
by 1 px or more is drawn outside the element), plus the element's own when the ring touches it — and no ancestor
that clips its overflow, nor the page's edge, may cut it.

The scripts are evaluated through Playwright (the DevTools protocol), not added as <script> elements: the pages'
Content-Security-Policy stays exactly as served, and a violation of it is still reported by the page's console.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_FILE = Path(__file__).parent / f"axe-core-{AXE_VERSION}" / "axe.min.js"
BLOCKING_IMPACTS = ("critical", "serious")
MIN_RING_CONTRAST = 3.0
MIN_RING_WIDTH = 2.0


@functools.cache
def axe_source() -> str:
    data = AXE_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != AXE_SHA256:
        raise AssertionError(f"{AXE_FILE} is not axe-core {AXE_VERSION} as vendored: sha256 {digest}")
    return data.decode()


RUN_AXE = """
async () => {
  // preload: false: axe would read the page's stylesheets through <style> elements of its own (for the one
  // rule that needs them, css-orientation-lock), which the pages' Content-Security-Policy refuses, and reports.
  const result = await window.axe.run(document, { resultTypes: ["violations"], preload: false });
  return {
    engine: result.testEngine.version,
    url: result.url,
    passes: result.passes.length,
    violations: result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => ({
        target: node.target.join(" "),
        summary: node.failureSummary,
        html: node.html.slice(0, 160),
      })),
    })),
  };
}
"""


def run_axe(page) -> dict:
    """axe-core's findings on the page as it is now (all of axe's default rules: WCAG 2.0-2.2 A and AA, and its
    best practices)."""
    if not page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        page.evaluate(axe_source())
    result = page.evaluate(RUN_AXE)
    assert result["engine"] == AXE_VERSION, result["engine"]
    # Rules ran on this very page: axe reports what passed too (every page here passes dozens of rules).
    assert result["passes"] > 0, f"axe checked nothing on {result['url']}"
    return result


def blocking(result: dict) -> list[str]:
    """The critical and serious violations, one line per element."""
    return [
        f"axe {violation['impact']} {violation['id']} ({violation['help']}): {node['target']} — {node['html']}"
        for violation in result["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
        for node in violation["nodes"]
    ]


# window.__a11y: the controls of the page, the focus stops of a Tab walk, and the measure of a focus indicator.
# Installed once per document (idempotent). Open shadow roots (the voice widget's) are searched too.
INSTALL = """
([minContrast, minWidth]) => {
  if (window.__a11y) return;
  const INTERACTIVE = "a[href], area[href], button, input:not([type='hidden']), select, textarea, iframe, "
    + "audio[controls], video[controls], [contenteditable='true'], [contenteditable='']";

  function* everything(root) {
    for (const element of root.querySelectorAll("*")) {
      yield element;
      if (element.shadowRoot) yield* everything(element.shadowRoot);
    }
  }
  const up = (node) =>
    node.parentElement || (node.getRootNode() instanceof ShadowRoot ? node.getRootNode().host : null);
  // Shown, and not a 1 px stand-in taken out of the Tab order on purpose (the admin's <select> under select2).
  const visible = (element) => {
    if (!element.checkVisibility({ visibilityProperty: true }) || !element.getClientRects().length) return false;
    const box = element.getBoundingClientRect();
    return element.tabIndex >= 0 || box.width > 1 || box.height > 1;
  };
  const interactive = (element) => {
    if (element.closest("[inert]")) return false;
    if (element.matches("summary")) {
      const details = element.parentElement;
      return details.matches("details") && element === details.querySelector(":scope > summary");
    }
    if (element.matches(INTERACTIVE)) return !element.matches(":disabled");
    // Anything else that asks for the focus: a scrolling table's box, a widget built of spans.
    return element.hasAttribute("tabindex") && element.tabIndex >= 0;
  };
  function describe(element) {
    const id = element.id ? `#${element.id}` : "";
    const name = (element.getAttribute("aria-label") || element.innerText || element.value || element.name || "")
      .trim().replace(/\\s+/g, " ").slice(0, 40);
    return `<${element.tagName.toLowerCase()}${id}${name ? ` "${name}"` : ""}>`;
  }
  // Interactive controls, one entry per radio group (Tab stops once in a group, arrows move inside it).
  function controls() {
    const entries = [];
    const groups = new Map();
    for (const element of everything(document)) {
      if (!interactive(element) || !visible(element)) continue;
      if (element.matches("input[type='radio'][name]")) {
        const key = `${element.form ? element.form.id || "form" : "page"}:${element.name}`;
        if (groups.has(key)) {
          groups.get(key).push(element);
          continue;
        }
        groups.set(key, [element]);
        entries.push(groups.get(key));
        continue;
      }
      entries.push([element]);
    }
    return entries;
  }

  // Colours: computed values are "rgb(r, g, b)" or "rgba(r, g, b, a)".
  function parse(text) {
    const match = /rgba?\\(([^)]+)\\)/.exec(text || "");
    if (!match) return null;
    const [r, g, b, a = 1] = match[1].split(/[\\s,\\/]+/).filter(Boolean).map(parseFloat);
    return { r, g, b, a };
  }
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const channel = (value) => {
    const c = value / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const contrast = (x, y) => {
    const [dark, light] = [luminance(x), luminance(y)].sort((p, q) => p - q);
    return (light + 0.05) / (dark + 0.05);
  };
  const where = (box, inner) =>
    `ring ${[box.left, box.top, box.right, box.bottom].map(Math.round)} outside ` +
    `${[inner.left, inner.top, inner.right, inner.bottom].map(Math.round)}`;
  const hex = (c) => "#" + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const overlaps = (r, box) => r.left < box.right && r.right > box.left && r.top < box.bottom && r.bottom > box.top;
  const covers = (r, box) =>
    r.left <= box.left + 0.5 && r.top <= box.top + 0.5 && r.right >= box.right - 0.5 && r.bottom >= box.bottom - 0.5;

  // The opaque colours under a box: the backgrounds of the ancestors that overlap it, each over those below it,
  // down to one that covers the box whole (or the page's canvas, white unless the root paints it).
  function grounds(element, box) {
    const layers = [];
    for (let node = up(element); node; node = up(node)) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (!color || color.a === 0) continue;
      const root = node === document.documentElement || node === document.body;
      const rect = node.getBoundingClientRect();
      if (!root && !overlaps(rect, box)) continue;
      layers.push(color);
      if (color.a === 1 && (root || covers(rect, box))) break;
    }
    let base = { r: 255, g: 255, b: 255, a: 1 };
    const opaque = [];
    for (let i = layers.length - 1; i >= 0; i--) {
      base = over(layers[i], base);
      opaque.unshift(base);
    }
    return opaque.length ? opaque : [base];
  }

  // The focus indicator of the focused element: what is wrong with it ([] when nothing), and its contrast.
  function ring(element) {
    const label = describe(element);
    const style = getComputedStyle(element);
    // A media element's own controls take the focus inside it (its user-agent shadow root): the ring is its own.
    const focused = element.matches(":focus-visible") || element.matches("audio:focus-within, video:focus-within");
    if (!focused) return { element: label, problems: ["does not match :focus-visible when focused from the keyboard"] };
    const width = parseFloat(style.outlineWidth) || 0;
    if (style.outlineStyle === "none" || width < minWidth) {
      return { element: label, problems: [`no focus ring: outline ${style.outlineStyle} ${style.outlineWidth}`] };
    }
    const color = parse(style.outlineColor);
    const offset = parseFloat(style.outlineOffset) || 0;
    const rect = element.getBoundingClientRect();
    // How far the ring reaches outside the element's border box (none when it is drawn inside, offset <= -width).
    const grow = Math.max(offset + width, 0);
    const box = { left: rect.left - grow, top: rect.top - grow, right: rect.right + grow, bottom: rect.bottom + grow };
    const under = grounds(element, box);
    if (offset < 1) {
      const own = parse(style.backgroundColor);
      if (own && own.a > 0) under.push(over(own, under[0]));
    }
    const problems = [];
    let lowest = Infinity;
    for (const ground of under) {
      const ratio = contrast(over(color, ground), ground);
      lowest = Math.min(lowest, ratio);
      if (ratio < minContrast) {
        problems.push(`ring ${hex(over(color, ground))} on ${hex(ground)}: ${ratio.toFixed(2)}:1`);
      }
    }
    for (let node = up(element); node && node !== document.documentElement && node !== document.body; node = up(node)) {
      const clip = getComputedStyle(node);
      if (clip.overflowX === "visible" && clip.overflowY === "visible") continue;
      const r = node.getBoundingClientRect();
      // overflow: clip paints up to overflow-clip-margin beyond the padding box.
      const clipped = clip.overflowX === "clip" && clip.overflowY === "clip";
      const margin = clipped ? parseFloat(clip.overflowClipMargin) || 0 : 0;
      const inner = {
        left: r.left + node.clientLeft - margin,
        top: r.top + node.clientTop - margin,
        right: r.left + node.clientLeft + node.clientWidth + margin,
        bottom: r.top + node.clientTop + node.clientHeight + margin,
      };
      if (!covers(inner, box)) {
        const overflow = `overflow ${clip.overflowX} ${clip.overflowY}`;
        problems.push(`ring cut by ${describe(node)} (${overflow}): ${where(box, inner)}`);
      }
    }
    if (box.left < -0.5 || box.right > document.documentElement.clientWidth + 0.5) {
      problems.push(`ring cut by the edge of the page: ${Math.round(box.left)} to ${Math.round(box.right)} px`);
    }
    return { element: label, problems, contrast: lowest };
  }

  const state = { stops: [], rings: [], entries: [] };
  document.addEventListener(
    "focusin",
    (event) => {
      if (!state.walking) return;
      const element = event.composedPath()[0];
      state.stops.push(element);
      state.rings.push(ring(element));
    },
    true
  );
  const unreached = () => {
    const reached = new Set(state.stops);
    return state.entries.filter((entry) => !entry.some((element) => reached.has(element)));
  };
  window.__a11y = {
    startWalk() {
      state.walking = true;
      state.stops = [];
      state.rings = [];
      state.entries = controls();
      return state.entries.length;
    },
    unreached: () => unreached().length,
    walkReport() {
      state.walking = false;
      return {
        controls: state.entries.length,
        stops: state.stops.length,
        bodyStops: state.stops.filter((element) => element === document.body).length,
        unreached: unreached().map((entry) => entry.map(describe).join(" | ")),
        rings: state.rings,
      };
    },
    // Each control focused by script, its ring measured (after a real Tab: :focus-visible then applies).
    focusRings() {
      const rings = [];
      for (const entry of controls()) {
        for (const element of entry) {
          if (element.matches("iframe")) continue;
          element.focus();
          // Tab scrolls a partly hidden control fully into its scrolling box; focus() by script leaves it be.
          element.scrollIntoView({ block: "nearest", inline: "nearest" });
          const active = element.getRootNode().activeElement;
          if (active !== element) rings.push({ element: describe(element), problems: ["cannot be focused"] });
          else rings.push(ring(element));
        }
      }
      return { controls: rings.length, rings };
    },
  };
}
"""


def install(page) -> None:
    page.evaluate(INSTALL, [MIN_RING_CONTRAST, MIN_RING_WIDTH])


def ring_problems(rings: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for ring in rings:
        for problem in ring["problems"]:
            seen[f"focus {ring['element']}: {problem}"] = None
    return list(seen)


def tab_walk(page) -> dict:
    """Tab through the page from where the focus is until every interactive control has had the focus, or
    twice as many presses as there are controls (plus a few, for the wrap-around and the stops inside a media
    player's controls) have not got there. The report lists the unreached controls and each stop's ring."""
    install(page)
    count = page.evaluate("() => window.__a11y.startWalk()")
    presses, limit = 0, 2 * count + 12
    batch = count + 4
    while presses < limit:
        for _ in range(min(batch, limit - presses)):
            page.keyboard.press("Tab")
        presses += min(batch, limit - presses)
        left = page.evaluate("() => window.__a11y.unreached()")
        if not left:
            break
        batch = left + 2
    report = page.evaluate("() => window.__a11y.walkReport()")
    report["presses"] = presses
    return report


def walk_problems(report: dict) -> list[str]:
    problems = [f"Tab never reaches {entry}" for entry in report["unreached"]]
    return problems + ring_problems(report["rings"])


def focus_rings(page) -> dict:
    install(page)
    page.keyboard.press("Tab")  # the keyboard is the last input: :focus-visible applies to what script focuses
    return page.evaluate("() => window.__a11y.focusRings()")


# A page made to fail every check: an image without a text alternative, a field without a label, an empty button
# (critical), grey text on white, a scrolling box the keyboard cannot reach (serious); a link taken out of the Tab
# order; a button whose focus ring is removed, one whose ring is too pale, one whose ring a box cuts.
BROKEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Broken on purpose</title>
<style>
  body { background: #fff; font: 16px sans-serif; }
  .pale { color: #bbb; }
  .scroller { width: 120px; height: 60px; overflow: auto; }
  .scroller p { width: 400px; }
  #no-ring:focus-visible { outline: none; }
  #pale-ring:focus-visible { outline: 3px solid #ddd; outline-offset: 2px; }
  .clip { overflow: hidden; padding: 0; }
  #cut-ring:focus-visible { outline: 3px solid #000; outline-offset: 2px; }
</style></head>
<body><main>
  <h1>Broken on purpose</h1>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <input type="text">
  <button></button>
  <p class="pale">Too pale to read.</p>
  <div class="scroller"><p>A long line of text that scrolls sideways in a box that the keyboard cannot reach.</p></div>
  <a href="#nowhere" tabindex="-1" id="untabbable">Out of the Tab order</a>
  <button id="no-ring">No ring</button>
  <button id="pale-ring">Pale ring</button>
  <div class="clip"><button id="cut-ring">Cut ring</button></div>
</main></body></html>
"""


def assert_the_checks_catch_a_broken_page(page) -> None:
    """Every check, run on BROKEN_PAGE, reports what is broken there: they run, and can fail."""
    page.set_content(BROKEN_PAGE)
    found = run_axe(page)
    impacts = {violation["id"]: violation["impact"] for violation in found["violations"]}
    expected = {
        "image-alt": "critical",
        "label": "critical",
        "button-name": "critical",
        "color-contrast": "serious",
        "scrollable-region-focusable": "serious",
    }
    assert {rule: impacts.get(rule) for rule in expected} == expected, impacts
    assert len(blocking(found)) >= len(expected)

    walk = walk_problems(tab_walk(page))
    assert any(problem == 'Tab never reaches <a#untabbable "Out of the Tab order">' for problem in walk), walk
    assert any(problem.startswith('focus <button#no-ring "No ring">: no focus ring') for problem in walk), walk
    assert any(problem.startswith('focus <button#pale-ring "Pale ring">: ring #dddddd on #ffffff') for problem in walk)
    assert any(problem.startswith('focus <button#cut-ring "Cut ring">: ring cut by <div') for problem in walk), walk
    rings = ring_problems(focus_rings(page)["rings"])
    assert any(problem.startswith('focus <button#pale-ring "Pale ring">: ring #dddddd') for problem in rings), rings
