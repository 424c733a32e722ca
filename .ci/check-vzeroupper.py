#!/usr/bin/env python3
"""Checks vzeroupper hygiene of the SIMD kernels in a release binary.

Every AVX2/AVX-512 entry point (`binding::{avx2,avx512,avx512fp16,scan}::*_entry`, and
`binding::bits::{avx2,avx512}::*_entry`) that
touches a ymm/zmm register must leave through `vzeroupper`: each `ret`
and each tail-call `jmp` out of the function is preceded, within its
epilogue, by `vzeroupper` with no wide-register instruction after it,
or (where the epilogue is reached by jumps) no path through the
function's jumps reaches it with a wide register used since the last
`vzeroupper`.
Otherwise SSE code in the caller pays the AVX-SSE transition penalty.

Also: the bit kernels' two steps (`binding::bits::{avx2,avx512}::
{tables,lookups}_entry`) make no call. A helper left out of line there
runs without the ISA's features, once per row (it made the AVX2 bit
product 25x slower than its probe, unnoticed).

usage: check-vzeroupper.py BINARY   (exit 1 on a violation or no kernels)
"""
import re
import subprocess
import sys

# binding::bits::{avx2,avx512}::*_entry are the bit-matrix kernels' entries.
ENTRY = re.compile(r"binding::(avx2|avx512|avx512fp16|scan|bits)::(\w+::)?\w+_entry\b")
NO_CALLS = re.compile(r"binding::bits::(avx2|avx512)::(tables|lookups)_entry\b")
HEADER = re.compile(r"^([0-9a-f]+) <(.*)>:$")
INSN = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
WIDE = re.compile(r"%[yz]mm")
JMP = re.compile(r"^jmp\s+([0-9a-f]+)\b")


def functions(binary):
    out = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", binary],
        check=True, capture_output=True, text=True,
    ).stdout
    name, insns = None, []
    for line in out.splitlines():
        header = HEADER.match(line)
        if header:
            if name:
                yield name, insns
            name, insns = header.group(2), []
            continue
        insn = INSN.match(line)
        if insn and name:
            insns.append((int(insn.group(1), 16), insn.group(2).strip()))
    if name:
        yield name, insns


def exits_without_vzeroupper(insns):
    lo, hi = insns[0][0], insns[-1][0]
    bad = []
    for idx, (addr, text) in enumerate(insns):
        jump = JMP.match(text)
        leaves = text == "ret" or (jump and not lo <= int(jump.group(1), 16) <= hi)
        if not leaves:
            continue
        ok = False
        for _, prev in reversed(insns[max(0, idx - 24):idx]):
            if prev.startswith("vzeroupper"):
                ok = True
                break
            if WIDE.search(prev) or prev == "ret" or prev.startswith("jmp"):
                break
        if not ok:
            bad.append(f"{addr:x}: {text}")
    return bad


JCC = re.compile(r"^j[a-z]+\s+([0-9a-f]+)\b")


def dirty_at_exits(insns):
    """Forward may-dirty analysis over the function's jumps: the indices of
    exits some path reaches with a wide register used since the last
    vzeroupper (None if an indirect jump makes the paths unknown). Checks
    the exits the epilogue scan cannot vouch for, such as one reached only
    by jumps from paths that already passed vzeroupper (before a call)."""
    index = {addr: i for i, (addr, _) in enumerate(insns)}
    dirty = [None] * len(insns)
    work = [(0, False)]
    while work:
        i, state = work.pop()
        if i >= len(insns) or dirty[i] is not None and (dirty[i] or not state):
            continue
        dirty[i] = state
        text = insns[i][1]
        if text.startswith("vzeroupper") or text.startswith("vzeroall"):
            state = False
        elif WIDE.search(text):
            state = True
        if text == "ret":
            continue
        if text.startswith("jmp"):
            target = JMP.match(text)
            if not target:
                return None
            if int(target.group(1), 16) in index:
                work.append((index[int(target.group(1), 16)], state))
            continue
        jcc = JCC.match(text)
        if jcc and int(jcc.group(1), 16) in index:
            work.append((index[int(jcc.group(1), 16)], state))
        work.append((i + 1, state))
    return {i for i, d in enumerate(dirty) if d}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    checked, failures, call_free = 0, 0, 0
    for name, insns in functions(sys.argv[1]):
        if not ENTRY.search(name) or not insns:
            continue
        if NO_CALLS.search(name):
            call_free += 1
            for addr, text in insns:
                if text.startswith("call"):
                    failures += 1
                    print(f"FAIL {name}: calls at {addr:x}: {text}")
        if not any(WIDE.search(text) for _, text in insns):
            continue  # xmm-only code needs no vzeroupper
        checked += 1
        unchecked = exits_without_vzeroupper(insns)
        if unchecked:
            dirty = dirty_at_exits(insns)
            at = {f"{addr:x}: {text}": i for i, (addr, text) in enumerate(insns)}
            if dirty is not None:
                unchecked = [e for e in unchecked if at[e] in dirty]
        for exit_site in unchecked:
            failures += 1
            print(f"FAIL {name}: leaves at {exit_site} without vzeroupper")
    print(f"vzeroupper check: {checked} wide kernel entry points, {call_free} bit steps checked for calls, {failures} failures")
    if checked == 0:
        sys.exit("no AVX kernel entry points found: is this the right binary?")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
