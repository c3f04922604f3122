"""Load benchmark: wall screens and managers against a running Vigie, for a while; prints latency per endpoint.

    python app.py serve --workers 2 --port 8050 &          # the server under test (demo: no login)
    python bench/load.py --base http://127.0.0.1:8050 --screens 20 --managers 50 --minutes 10

A screen does what /wall does every 5 s: the version check callback (and /healthz). A manager
opens explorer views with random filters (the router callback that builds the page), pages the
case grid, and now and then exports a CSV, with 2–8 s of thought between clicks. Prints p50,
p95 and p99 per kind of request and the error count; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import statistics
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict

SERVICES = ["CEET", "ARSE", "AT2ER", "Direction générale de l'énergie", "Direction générale des mines et de la géologie"]
REGIONS = ["Maritime", "Plateaux", "Centrale", "Kara", "Savanes"]


class Client:
    """One browser: its own cookies (session, CSRF token), JSON posts to Dash like the renderer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> bytes:
        with self.opener.open(self.base + path, timeout=60) as answer:
            return answer.read()

    def callback(self, outputs: list[tuple[str, str]], inputs: list[dict], state: list[dict] | None = None) -> bytes:
        token = next((c.value for c in self.jar if c.name == "_csrf_token"), "")
        output = "..".join(f"{i}.{p}" for i, p in outputs)
        body = {
            "output": output if len(outputs) == 1 else f"..{output.replace('..', '...')}..",
            "outputs": [{"id": i, "property": p} for i, p in outputs]
            if len(outputs) > 1
            else {"id": outputs[0][0], "property": outputs[0][1]},
            "inputs": inputs,
            "state": state or [],
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"] if inputs else [],
        }
        request = urllib.request.Request(
            self.base + "/_dash-update-component",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        with self.opener.open(request, timeout=60) as answer:
            return answer.read()


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def timed(self, kind: str, action) -> None:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            action()
        except Exception:  # noqa: BLE001 - counted, the run goes on
            with self.lock:
                self.errors[kind] += 1
            return
        with self.lock:
            self.times[kind].append(time.perf_counter() - started)


def tick_callback(base: str, client: Client | None = None) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """The wall's version-check callback, read from the app's own dependency list (as ``client`` when logged in)."""
    deps = json.loads(
        client.get("/_dash-dependencies") if client else urllib.request.urlopen(base + "/_dash-dependencies", timeout=30).read()
    )
    spec = next(d for d in deps if any(i["id"] == "wall-tick" for i in d["inputs"]))
    outputs = [tuple(part.rsplit(".", 1)) for part in spec["output"].strip(".").split("...")]
    return outputs, [f"{i['id']}.{i['property']}" for i in spec["inputs"]], [f"{s['id']}.{s['property']}" for s in spec["state"]]


def screen(base: str, stop: float, rec: Recorder, tick: tuple) -> None:  # type: ignore[type-arg]
    client = Client(base)
    rec.timed("GET /wall", lambda: client.get("/wall?view=ensemble"))
    outputs, inputs, states = tick
    n = 0
    time.sleep(random.uniform(0, 5))
    while time.time() < stop:
        n += 1
        values = [{"id": x.split(".")[0], "property": x.split(".")[1], "value": n} for x in inputs]
        state = [{"id": x.split(".")[0], "property": x.split(".")[1], "value": None} for x in states]
        rec.timed("wall version check (callback)", lambda v=values, st=state: client.callback(outputs, v, st))
        rec.timed("GET /healthz", lambda: client.get("/healthz"))
        time.sleep(5)


def manager(base: str, stop: float, rec: Recorder, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(base)
    rec.timed("GET /explorer", lambda: client.get("/explorer"))
    while time.time() < stop:
        params = {"periode": rng.choice(["7j", "30j", "90j"])}
        if rng.random() < 0.6:
            params["service"] = rng.choice(SERVICES)
        if rng.random() < 0.3:
            params["region"] = rng.choice(REGIONS)
        search = "?" + urllib.parse.urlencode(params)
        route = [
            {"id": "url", "property": "pathname", "value": "/explorer"},
            {"id": "url", "property": "search", "value": search},
        ]
        rec.timed("explorer page (callback)", lambda r=route: client.callback([("page", "children")], r))
        grid = [{"id": "explorer-grid", "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 50}}]
        url_state = [{"id": "url", "property": "search", "value": search}]
        rec.timed(
            "case grid page (callback)", lambda g=grid, u=url_state: client.callback([("explorer-grid", "getRowsResponse")], g, u)
        )
        if rng.random() < 0.1:
            rec.timed("GET /explorer/export.csv", lambda q=search: client.get("/explorer/export.csv" + q))
        rec.timed("GET /api/kpis", lambda: client.get("/api/kpis"))
        time.sleep(rng.uniform(2, 8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8050")
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    rec = Recorder()
    stop = time.time() + args.minutes * 60
    tick = tick_callback(args.base)
    threads = [threading.Thread(target=screen, args=(args.base, stop, rec, tick), daemon=True) for _ in range(args.screens)]
    threads += [threading.Thread(target=manager, args=(args.base, stop, rec, i), daemon=True) for i in range(args.managers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.minutes * 60 + 120)
    print(f"{args.screens} screens, {args.managers} managers, {args.minutes:g} min against {args.base}")
    print(f"{'request':<34}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in sorted(set(rec.times) | set(rec.errors)):
        ms = sorted(v * 1000 for v in rec.times.get(kind, [])) or [float("nan")]
        q = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
        print(f"{kind:<34}{len(rec.times.get(kind, [])):>7}{q[49]:>9.0f}{q[94]:>9.0f}{q[98]:>9.0f}{rec.errors.get(kind, 0):>8}")
    print(f"errors: {sum(rec.errors.values())}")


if __name__ == "__main__":
    main()
