"""The builder's time to interactive: an empty canvas, a 100-node workflow (target under 1 s) and a 500-node
one (target under 2 s), medians of several cold loads in Debian's Chromium, plus the gzipped bundle size.

Each load is a fresh browser context (no cache) opening the builder with the workflow kept as this browser's
local draft, the way a reload reopens it. Time to interactive is measured from navigation start until every
node is in the editor and each node drawn is measured and shown (the canvas draws only what is in view of a
large graph), a frame has been painted after that, and a click on a node in view has opened it in the
inspector (the click's own latency is printed beside it). The app is served by `vite preview` from the built
`web/dist` (built first when missing; --dist names another build), or by a running API with --url.

    .venv/bin/python bench/ui_bench.py [--runs 5] [--dist web/dist | --url http://127.0.0.1:8000]

Prints figures; never asserts timing.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
TYPES = ["send_email", "delay", "update_contact", "add_tag", "send_sms", "webhook", "wait_until", "send_push"]


def workflow(n: int) -> dict[str, Any]:
    """A saved-looking workflow of n nodes: chains of actions and waits, a condition every 10 nodes whose
    false branch ends, positions kept (as an opened workflow has them)."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    prev, branch = "trigger", None
    y = 120
    i = 1
    while i <= n:
        nid = f"node-{i}"
        if i % 10 == 0 and i + 1 <= n:
            nodes.append(
                {
                    "id": nid,
                    "type": "condition",
                    "position": {"x": 0, "y": y},
                    "data": {
                        "conditions": [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]
                    },
                }
            )
            edges.append({"source": prev, "target": nid, **({"branch": branch} if branch else {})})
            end = f"node-{i + 1}"
            nodes.append({"id": end, "type": "end", "position": {"x": 300, "y": y + 130}, "data": {}})
            edges.append({"source": nid, "target": end, "branch": "false"})
            prev, branch = nid, "true"
            i += 2
        else:
            kind = TYPES[i % len(TYPES)]
            data: dict[str, Any] = {
                "send_email": {"templateId": f"tpl-{i}", "fromName": "Acme"},
                "send_sms": {"templateId": f"sms-{i}"},
                "send_push": {"templateId": f"push-{i}"},
                "delay": {"duration": 1, "unit": "days"},
                "update_contact": {"attributes": {"step": i}},
                "add_tag": {"tag": f"t{i}"},
                "webhook": {"url": "https://example.com/hook", "method": "POST"},
                "wait_until": {"attribute": "attributes.renewal", "offset": {"amount": -1, "unit": "days"}},
            }[kind]
            nodes.append({"id": nid, "type": kind, "position": {"x": 0, "y": y}, "data": data})
            edges.append({"source": prev, "target": nid, **({"branch": branch} if branch else {})})
            prev, branch = nid, None
            i += 1
        y += 130
    return {
        "name": f"Bench {n} nodes",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": nodes,
        "edges": edges,
        "goals": [],
        "settings": {"reEntry": "always"},
    }


def ensure_dist(dist: Path) -> Path:
    if (dist / "index.html").is_file():
        return dist
    if dist.resolve() != (WEB / "dist").resolve():
        sys.exit(f"{dist} holds no built app")
    print("building web/dist (npm run build) ...", flush=True)
    subprocess.run(["npm", "run", "build"], cwd=WEB, check=True, capture_output=True)
    return dist


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def preview(dist: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "npx",
            "vite",
            "preview",
            "--outDir",
            str(dist.resolve()),
            "--port",
            str(port),
            "--strictPort",
            "--host",
            "127.0.0.1",
        ],
        cwd=WEB,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base, timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.terminate()
    sys.exit("vite preview did not start")


# The builder reopens this browser's local draft; both the first draft format (one key holding the
# definition) and the per-workflow one ("scratch" for the builder without a saved workflow) are written.
SEED = """([definition]) => {
  localStorage.setItem('workflows.draft', JSON.stringify(definition));
  localStorage.setItem('workflows.draft.scratch',
    JSON.stringify({definition, baseVersion: null, savedAt: new Date().toISOString()}));
  sessionStorage.setItem('workflows.token', 'bench');
}"""

WAIT_FRAME = (
    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"
)


# Every node is in the editor (the canvas says how many it holds; a build without that attribute draws
# them all), and each node drawn has been measured and shown (React Flow hides a node until measured).
READY = """(expected) => {
  const canvas = document.querySelector('[data-testid="canvas"]');
  const drawn = [...document.querySelectorAll('.react-flow__node')];
  const held = canvas && canvas.dataset.nodeCount ? Number(canvas.dataset.nodeCount) : drawn.length;
  return held >= expected && drawn.length > 0 && drawn.every(n => getComputedStyle(n).visibility !== 'hidden');
}"""

# The id of a node wholly inside the canvas: the one a user would click (the fitted view of a long
# workflow does not show its top).
IN_VIEW = """() => {
  const box = document.querySelector('[data-testid="canvas"]').getBoundingClientRect();
  for (const n of document.querySelectorAll('.react-flow__node')) {
    const r = n.getBoundingClientRect();
    if (r.top >= box.top && r.bottom <= box.bottom && r.left >= box.left && r.right <= box.right) return n.dataset.id;
  }
  return 'trigger';
}"""


def one_load(browser: Browser, base: str, definition: dict[str, Any] | None) -> tuple[float, float]:
    """(time to interactive, click-to-inspector latency) in ms for one cold load."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base}/builder")  # an origin to keep the draft under
        page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
        if definition is not None:
            page.evaluate(SEED, [definition])
        else:
            page.evaluate("() => sessionStorage.setItem('workflows.token', 'bench')")
        expected = 1 + (len(definition["nodes"]) if definition else 0)
        page.goto(f"{base}/builder", wait_until="commit")
        page.wait_for_function(READY, arg=expected, timeout=60_000, polling="raf")
        painted = float(page.evaluate(WAIT_FRAME))
        target = str(page.evaluate(IN_VIEW))
        clicked = float(page.evaluate("() => performance.now()"))
        page.locator(f'.react-flow__node[data-id="{target}"] .node-head').click()
        page.get_by_label("Inspector").get_by_text(
            target if target != "trigger" else "Trigger"
        ).first.wait_for()
        answered = float(page.evaluate(WAIT_FRAME))
        return painted + (answered - clicked), answered - clicked
    finally:
        context.close()


def bundle_gzip(dist: Path) -> tuple[int, int]:
    files = [f for f in dist.rglob("*") if f.is_file() and f.suffix in (".js", ".css", ".html")]
    raw = sum(f.stat().st_size for f in files)
    zipped = sum(len(gzip.compress(f.read_bytes(), compresslevel=9)) for f in files)
    return raw, zipped


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dist", type=Path, default=WEB / "dist")
    parser.add_argument("--url", help="an API serving the app (instead of vite preview)")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    dist = ensure_dist(args.dist)
    proc = None
    base = args.url.rstrip("/") if args.url else None
    if base is None:
        proc, base = preview(dist)
    cases = [
        ("empty canvas", None, None),
        ("100 nodes", workflow(100), 1000),
        ("500 nodes", workflow(500), 2000),
    ]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                one_load(browser, base, None)  # warm the OS file cache and the server
                print(f"builder at {base}, {args.runs} cold loads each, Chromium {browser.version}")
                print(f"{'case':<14} {'interactive (median)':>21} {'min':>8} {'max':>8} {'click':>8}  target")
                for name, definition, target in cases:
                    runs = [one_load(browser, base, definition) for _ in range(args.runs)]
                    tti = [r[0] for r in runs]
                    click = statistics.median(r[1] for r in runs)
                    med = statistics.median(tti)
                    verdict = (
                        "" if target is None else f"< {target} ms: {'met' if med < target else 'MISSED'}"
                    )
                    print(
                        f"{name:<14} {med:>18.0f} ms {min(tti):>5.0f} ms {max(tti):>5.0f} ms {click:>5.0f} ms  {verdict}"
                    )
            finally:
                browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    raw, zipped = bundle_gzip(dist)
    print(
        f"bundle: {raw / 1024:.0f} KiB ({zipped / 1024:.1f} KiB gzipped) in {dist.relative_to(ROOT) if dist.is_relative_to(ROOT) else dist}"
    )


if __name__ == "__main__":
    main()
