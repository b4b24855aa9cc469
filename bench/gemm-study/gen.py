#!/usr/bin/env python3
"""Generate AVX-512 f32 GEMM micro-kernels as plain C with intrinsics.

Each kernel computes a MR x NR tile (NR = 16*NV) of C += A*B over kc steps.
  amode 'pa': A packed in MR-row panels, k-major (a[k*MR + i]).
  amode 'da': A read directly, row-major with stride lda; rows >= mr are
              clamped to row mr-1 (duplicate work, never out of bounds).
B is always a packed NR-column panel, k-major (b[k*NR + j]), zero padded.
S > 1 splits the k loop over S accumulator sets (for small MR: hides FMA
latency); they are summed before the store.
Store phase: rows i < mr, columns masked to nr; acc=1 adds the old C;
epi: 0 none, 1 +bias, 2 +bias then gelu(tanh form), 3 +bias then gelu(erf).
"""
import sys

TGT = '__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))'

def kernel(MR, NV, amode, U=1, S=1, PF=0):
    NR = 16 * NV
    name = f"k{MR}x{NR}_{amode}" + (f"_u{U}" if U != 1 else "") + (f"_s{S}" if S != 1 else "") + (f"_pf{PF}" if PF else "")
    o = []
    w = o.append
    w(f"static TGT void {name}(long kc, const float *restrict a, long lda, const float *restrict b,")
    w(f"    float *restrict c, long ldc, int mr, int nr, int acc, const float *restrict bias, int epi)")
    w("{")
    if amode == 'da':
        for i in range(MR):
            w(f"    const float *restrict a{i} = a + (long)({i} < mr ? {i} : mr - 1) * lda;")
    else:
        w("    (void)lda;")
    for s in range(S):
        for i in range(MR):
            w("    __m512 " + ", ".join(f"c{s}_{i}_{v} = _mm512_setzero_ps()" for v in range(NV)) + ";")
    step = U * S
    # prefetch the C tile into L1 while the k loop runs (C rows are far apart: each is a miss)
    w("    if (c_prefetch) {")
    w("        for (int i = 0; i < mr; ++i) {")
    for l in range((NR * 4 + 63) // 64 + 1):
        w(f"            _mm_prefetch((const char *)(c + i * ldc) + {64*l}, _MM_HINT_T0);")
    w("        }")
    w("    }")
    w("    long k = 0;")
    def body(koff, s):
        kk = f"(k + {koff})" if koff else "k"
        w("      {")
        if amode == 'pa' and PF and s == 0 and koff == 0:
            w(f"        _mm_prefetch((const char *)(a + (k + {PF}) * {MR}), _MM_HINT_T0);")
            w(f"        _mm_prefetch((const char *)(b + (k + {PF}) * {NR}), _MM_HINT_T0);")
        for v in range(NV):
            w(f"        __m512 b{s}_{v} = _mm512_loadu_ps(b + {kk} * {NR} + {16*v});")
        for i in range(MR):
            if amode == 'pa':
                src = f"a[{kk} * {MR} + {i}]"
            else:
                src = f"a{i}[{kk}]"
            w(f"        {{ __m512 av = _mm512_set1_ps({src});")
            for v in range(NV):
                w(f"          c{s}_{i}_{v} = _mm512_fmadd_ps(av, b{s}_{v}, c{s}_{i}_{v});")
            w("        }")
        w("      }")
    w(f"    for (; k + {step} <= kc; k += {step}) {{")
    for u in range(U):
        for s in range(S):
            body(u * S + s, s)
    w("    }")
    w("    for (; k < kc; ++k) {")
    body(0, 0)
    w("    }")
    for s in range(1, S):
        for i in range(MR):
            for v in range(NV):
                w(f"    c0_{i}_{v} = _mm512_add_ps(c0_{i}_{v}, c{s}_{i}_{v});")
    # store
    w("    __mmask16 mk[%d];" % NV)
    for v in range(NV):
        w(f"    mk[{v}] = nr >= {16*(v+1)} ? (__mmask16)0xffff : nr <= {16*v} ? (__mmask16)0 : (__mmask16)((1u << (nr - {16*v})) - 1u);")
    w("    __m512 bv[%d];" % NV)
    w("    if (epi) {")
    for v in range(NV):
        w(f"        bv[{v}] = _mm512_maskz_loadu_ps(mk[{v}], bias + {16*v});")
    w("    }")
    w("    else {")
    for v in range(NV):
        w(f"        bv[{v}] = _mm512_setzero_ps();")
    w("    }")
    for i in range(MR):
        w(f"    if ({i} < mr) {{")
        w(f"        float *cr = c + {i} * ldc;")
        for v in range(NV):
            w(f"        __m512 x{v} = c0_{i}_{v};")
            w(f"        if (acc) x{v} = _mm512_add_ps(x{v}, _mm512_maskz_loadu_ps(mk[{v}], cr + {16*v}));")
            w(f"        if (epi) x{v} = epilogue(x{v}, bv[{v}], epi);")
            w(f"        _mm512_mask_storeu_ps(cr + {16*v}, mk[{v}], x{v});")
        w("    }")
    w("}")
    return name, "\n".join(o)

def main():
    specs = []
    for MR, NV in [(14, 2), (12, 2), (16, 2), (8, 3), (6, 4), (4, 4), (9, 3), (10, 2)]:
        for amode in ('pa', 'da'):
            specs.append((MR, NV, amode, 1, 1))
    specs += [(14, 2, 'pa', 4, 1), (8, 3, 'pa', 4, 1), (6, 4, 'pa', 4, 1), (12, 2, 'pa', 4, 1)]
    specs += [(14, 2, 'pa', 1, 1, 8), (14, 2, 'pa', 1, 1, 16), (8, 3, 'pa', 1, 1, 8), (12, 2, 'pa', 1, 1, 8), (6, 4, 'pa', 1, 1, 8)]
    # skinny kernels (direct A)
    specs += [(1, 2, 'da', 1, 4), (2, 2, 'da', 1, 2), (4, 2, 'da', 1, 1), (8, 2, 'da', 1, 1),
              (1, 4, 'da', 1, 2), (2, 4, 'da', 1, 1),
              (14, 2, 'da', 4, 1)]
    # M-edge tail kernels: MR' < MR rows, A read directly (the edge panel only)
    have = set((sp[0], sp[1], sp[2]) for sp in specs if len(sp) < 6 and sp[3] == 1 and sp[4] == 1)
    for NV, top in ((2, 16), (3, 9), (4, 6)):
        for mr in range(1, top):
            if (mr, NV, 'da') not in have and not any(sp[:3] == (mr, NV, 'da') for sp in specs):
                specs.append((mr, NV, 'da', 1, 1))
    out = ["/* generated by gen.py: do not edit */"]
    table = []
    for sp in specs:
        name, code = kernel(*sp)
        out.append(code)
        MR, NV, amode, U, S = sp[:5]
        table.append(f'    {{"{name}", {name}, {MR}, {16*NV}, {1 if amode=="pa" else 0}}},')
    out.append("static const kinfo kernels[] = {")
    out += table
    out.append("};")
    out.append("#define NKERNELS ((int)(sizeof kernels / sizeof kernels[0]))")
    sys.stdout.write("\n".join(out) + "\n")

main()
