#!/usr/bin/env python3
"""Ratios for BENCHMARKS.md from the last `cargo bench` run.

Reads criterion's results (target/criterion/**/new/{benchmark,estimates}.json: the median of
each benchmark) and the figures the benches write beside them (*-allocations.json,
sessions-memory.json, *-load.json), and prints markdown tables: each figure, its baseline from
the same group and run, the ratio and the issue's goal.

    cargo bench && python3 benches/report.py            # or: python3 benches/report.py DIR

Times are ratios of medians (lower is better); MSRP figures are ratios of bandwidth to memcpy
of the same megabyte (higher is better). Standard library only.
"""
import glob
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")

medians = {}  # "group/function[/value]" -> ns
for bench in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
    with open(bench) as f:
        meta = json.load(f)
    with open(os.path.join(os.path.dirname(bench), "estimates.json")) as f:
        medians[meta["full_id"]] = json.load(f)["median"]["point_estimate"]

def figures(name):
    try:
        with open(os.path.join(root, name + ".json")) as f:
            return json.load(f)
    except OSError:
        return {}

def t(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.1f} ns"

def verdict(ok):
    return "met" if ok else "**missed**"

if not medians:
    sys.exit(f"no criterion results under {root}: run `cargo bench` first")

out = []
def table(head):
    out.append("")
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))

def row(*cells):
    out.append("| " + " | ".join(str(c) for c in cells) + " |")

# --- bye ---------------------------------------------------------------------------------
if "bye/baseline-httparse" in medians:
    h, r = medians["bye/baseline-httparse"], medians.get("bye/baseline-rsip")
    allocs = figures("bye-allocations")
    out.append(f"### `bye` (baselines: httparse {t(h)}, rsip {t(r) if r else '?'}, "
               f"{allocs.get('baseline-rsip.allocations', '?'):.0f} allocations)")
    table(["branch", "median", "÷ httparse (goal ≤ 1.0)", "÷ rsip (goal ≤ 0.05)", "allocations"])
    for k in sorted(medians):
        g, _, name = k.partition("/")
        if g == "bye" and not name.startswith("baseline"):
            ns = medians[k]
            row(name, t(ns), f"{ns / h:.2f} ({verdict(ns <= h)})",
                f"{ns / r:.3f} ({verdict(ns <= 0.05 * r)})" if r else "?",
                f"{allocs.get(name + '.allocations', float('nan')):.0f}")

if "bye_iwfs/baseline-httparse" in medians:
    h = medians["bye_iwfs/baseline-httparse"]
    allocs = figures("bye_iwfs-allocations")
    out.append("")
    out.append(f"### `bye_iwfs`: a client BYE fanned out to N IWF legs (baseline httparse {t(h)})")
    table(["IWFs", "median", "÷ httparse", "actions", "allocations"])
    for k in sorted((k for k in medians if k.startswith("bye_iwfs/client-bye/")), key=lambda k: int(k.rsplit("/", 1)[1])):
        n = k.rsplit("/", 1)[1]
        row(n, t(medians[k]), f"{medians[k] / h:.2f}", f"{allocs.get(f'iwfs-{n}.actions', float('nan')):.0f}",
            f"{allocs.get(f'iwfs-{n}.allocations', float('nan')):.0f}")

if "bye_parts/baseline-httparse" in medians:
    h = medians["bye_parts/baseline-httparse"]
    out.append("")
    out.append(f"### `bye_parts`: the BYE path piece by piece (baseline httparse {t(h)})")
    table(["part", "median", "÷ httparse"])
    for k in sorted(k for k in medians if k.startswith("bye_parts/") and "baseline" not in k):
        row(k.split("/", 1)[1], t(medians[k]), f"{medians[k] / h:.2f}")

# --- dispatch ----------------------------------------------------------------------------
if "dispatch/baseline-httparse" in medians:
    h, r = medians["dispatch/baseline-httparse"], medians.get("dispatch/baseline-rsip")
    ns = medians.get("dispatch/route-invite")
    allocs = figures("dispatch-allocations")
    out.append("")
    out.append(f"### `dispatch` (baselines: httparse {t(h)}, rsip {t(r) if r else '?'}, "
               f"{allocs.get('baseline-rsip.allocations', float('nan')):.0f} allocations)")
    table(["path", "median", "÷ httparse (goal ≤ 1.0)", "÷ rsip", "allocations"])
    if ns:
        row("route-invite", t(ns), f"{ns / h:.2f} ({verdict(ns <= h)})", f"{ns / r:.3f}" if r else "?",
            f"{allocs.get('route.allocations', float('nan')):.0f}")
if "dispatch_fields/baseline-httparse" in medians:
    h = medians["dispatch_fields/baseline-httparse"]
    out.append("")
    out.append(f"### `dispatch_fields`: N more Accept-Contact values and N more other fields (httparse {t(h)})")
    table(["N", "median", "÷ httparse"])
    for k in sorted((k for k in medians if k.startswith("dispatch_fields/route")), key=lambda k: int(k.rsplit("/", 1)[1])):
        row(k.rsplit("/", 1)[1], t(medians[k]), f"{medians[k] / h:.2f}")

# --- msrp --------------------------------------------------------------------------------
MIB = 1 << 20
# Issue 13's goals (the streaming path an embedder uses, decoder+reassemble, included).
# Issue 15's goal: MSRP on the legs, bytes in on `remote` to bytes out on the client, its 200s
# and reassembly for recording included.
goals = {"parse+reassemble": 0.35, "decoder+reassemble": 0.30, "reassemble-in-order": 0.5, "reassemble-shuffled": 0.3,
         "session-legs": 0.25}
if "msrp/baseline-memcpy" in medians:
    m = medians["msrp/baseline-memcpy"]
    allocs = figures("msrp-allocations")
    out.append("")
    out.append(f"### `msrp`: 1 MiB in {allocs.get('frames', 512):.0f} frames of 2 KiB "
               f"(baseline memcpy {t(m)} = {MIB / m:.1f} GB/s)")
    table(["path", "median", "GB/s", "× memcpy bandwidth", "goal", "allocations"])
    for name in ["memcpy-4k-aliased", "parse", "parse+reassemble", "decoder+reassemble", "decoder-push+reassemble",
                 "session-legs", "reassemble-in-order", "reassemble-shuffled", "floor-parse+reassemble", "floor-relay"]:
        ns = medians.get("msrp/" + name)
        if ns is None:
            continue
        ratio = m / ns
        goal = goals.get(name)
        row(name, t(ns), f"{MIB / ns:.2f}", f"{ratio:.3f}",
            f"≥ {goal} ({verdict(ratio >= goal)})" if goal else "",
            f"{allocs.get(name + '.allocations', float('nan')):.0f}" if name + ".allocations" in allocs else "")

    # The floors: the least work any safe-Rust receiver does on the stream (benches/msrp.rs). A
    # goal above its floor's ratio to memcpy cannot be met on the machine of the run.
    floors = [("parse+reassemble", "floor-parse+reassemble"), ("decoder+reassemble", "floor-parse+reassemble"),
              ("session-legs", "floor-relay")]
    if all("msrp/" + f in medians for _, f in floors):
        out.append("")
        out.append("Against the floors (no validation, `memchr` searches and the copies alone):")
        table(["path", "÷ its floor (time)", "floor × memcpy", "goal", "goal within the floor?"])
        for name, floor in floors:
            ns, fl = medians.get("msrp/" + name), medians["msrp/" + floor]
            if ns is None:
                continue
            goal, fr = goals[name], m / fl
            row(name, f"{ns / fl:.2f} × {floor}", f"{fr:.3f}", f"≥ {goal}",
                f"yes, at {goal / fr:.2f} of the floor's speed" if goal < fr else f"no: the floor itself is {fr:.3f} ×")

for group, label in [("msrp_sizes", "message size (2 KiB chunks)"), ("msrp_chunks", "chunk size (1 MiB message)")]:
    keys = [k for k in medians if k.startswith(group + "/")]
    if not keys:
        continue
    out.append("")
    out.append(f"### `{group}`: by {label}")
    table(["path", "bytes", "median", "GB/s", "× memcpy bandwidth"])
    for k in sorted(keys, key=lambda k: (k.split("/")[1], int(k.rsplit("/", 1)[1]) if k.count("/") > 1 else 0)):
        parts = k.split("/")
        if parts[1] == "baseline-memcpy" and group == "msrp_chunks":
            continue
        if group == "msrp_sizes":
            size = int(parts[2])
            base = medians.get(f"{group}/baseline-memcpy/{size}")
        else:
            size = MIB
            base = medians.get(f"{group}/baseline-memcpy")
        ns = medians[k]
        row("/".join(parts[1:]), size, t(ns), f"{size / ns:.2f}", f"{base / ns:.3f}" if base else "")

# --- sessions ----------------------------------------------------------------------------
mem = figures("sessions-memory")
if mem:
    out.append("")
    out.append(f"### `sessions`: {mem['sessions']:.0f} concurrent sessions")
    table(["figure", "value", "goal"])
    row("`size_of::<Session>()`", f"{mem['size_of']:.0f} B", "")
    row("heap per idle session (counting allocator)", f"{mem['heap-bytes-per-session']:.0f} B in "
        f"{mem['allocations-per-session']:.0f} allocations", "")
    row("idle session, inline + heap", f"{mem['bytes-per-session']:.0f} B",
        f"≤ 256 B ({verdict(mem['bytes-per-session'] <= 256)})")
    row("a million sessions, inline + heap", f"{mem['million-sessions-mib']:.0f} MiB",
        f"≤ 512 MiB ({verdict(mem['million-sessions-mib'] <= 512)})")
    row("a million sessions, resident (RSS growth, malloc overhead included)",
        f"{mem['million-sessions-rss-mib']:.0f} MiB", f"≤ 512 MiB ({verdict(mem['million-sessions-rss-mib'] <= 512)})")
    for k in ["Config", "Option<Reassembler>", "Folder", "Actions"]:
        if "size_of." + k in mem:
            row(f"`size_of::<{k}>()`", f"{mem['size_of.' + k]:.0f} B", "")
    row("create, one pass over all (ns per session)", f"{mem['create-ns-per-session']:.0f} ns", "")
    row("client-leave flow, one pass over all (ns per session)", f"{mem['client-leave-ns-per-session']:.0f} ns", "")
if "sessions/baseline-httparse" in medians:
    h = medians["sessions/baseline-httparse"]
    ns = medians.get("sessions/new+client-leave+drop")
    out.append("")
    table(["timed", "median", "÷ httparse of the BYE"])
    row("new + client leave + drop", t(ns), f"{ns / h:.2f}")

snap = {k: v for k, v in medians.items() if k.startswith("snapshot/")}
if snap:
    base = snap.get("snapshot/baseline-httparse")
    out.append("")
    out.append(f"### `snapshot`: saving and restoring a session (baseline httparse {t(base) if base else '?'})")
    out.append("")
    table(["figure", "median", "÷ httparse (goal ≤ 1.0 for save+restore-idle)"])
    for k in sorted(snap):
        if k == "snapshot/baseline-httparse":
            continue
        name = k.split("/", 1)[1]
        ratio = snap[k] / base if base else float("nan")
        goal = f" ({verdict(ratio <= 1.0)})" if name == "save+restore-idle" else ""
        row(name, t(snap[k]), f"{ratio:.2f}{goal}")

loads = {n: figures(n + "-load") for n in ["bye", "dispatch", "msrp", "sessions", "snapshot"]}
loads = {n: l for n, l in loads.items() if l}
if loads:
    out.append("")
    out.append("Load average (1 min) before → after each bench: " +
               ", ".join(f"`{n}` {l['before']:.2f} → {l['after']:.2f}" for n, l in loads.items()) + ".")

print("\n".join(out).strip())
