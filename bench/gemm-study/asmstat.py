#!/usr/bin/env python3
"""asmstat.py BINARY FUNC...: instruction mix of each function's hottest loop (most FMAs)."""
import sys, re, subprocess
binary = sys.argv[1]
dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True, text=True).stdout
for f in sys.argv[2:]:
    m = re.search(r"<%s>:\n(.*?)\n\n" % re.escape(f), dis, re.S)
    if not m:
        print(f, "not found"); continue
    L = m.group(1).splitlines()
    addr = {}
    for i, l in enumerate(L):
        mm = re.match(r"\s*([0-9a-f]+):", l)
        if mm: addr[int(mm.group(1), 16)] = i
    best = None
    for i, l in enumerate(L):
        mm = re.match(r"\s*([0-9a-f]+):\s+(j\w+)\s+([0-9a-f]+)", l)
        if mm and int(mm.group(3), 16) < int(mm.group(1), 16) and int(mm.group(3), 16) in addr:
            body = L[addr[int(mm.group(3), 16)]:i + 1]
            n = sum("vfmadd" in b for b in body)
            # innermost hot loop: the shortest backward jump holding at least 8 FMAs
            if n >= 8 and (best is None or len(body) < len(best[1])): best = (n, body)
    n, body = best
    cnt = lambda p: sum(bool(re.search(p, b)) for b in body)
    spill = cnt(r"\(%rsp\)|\(%rbp\)")
    print("%-16s loop: %3d insns, %3d fma, %2d vbroadcastss, %2d embedded {1to16}, %2d stack refs (spills), fn size %d insns"
          % (f, len(body), n, cnt("vbroadcastss"), cnt("1to16"), spill, len(L)))
