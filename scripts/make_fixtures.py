#!/usr/bin/python3
"""make_fixtures.py: write the NumPy-checked fixtures of the reference
interpreter into tests/fixtures/<case>/.

Each case is a small DSL file (case.lua, one kernel named "case"), its
inputs and weights (<arg>.npy), the outputs NumPy computes for it
(expect_<output>.npy) and case.txt with the dims ("B=3", one a line).
NumPy computes in float64 from the (rounded) inputs and casts to the
output's dtype once, so the fixtures say what each op *means*; the
interpreter, which rounds every intermediate value to its dtype, must
agree within the tolerance documented in tests/ref/fixtures.c.

Run it with /usr/bin/python3 (NumPy 1.24) from anywhere:
    /usr/bin/python3 scripts/make_fixtures.py
It rewrites tests/fixtures/ from scratch.  The tests themselves do not
need Python: the generated files are committed.
"""
import math
import os
import shutil
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")

F32, F64, I8, U8, I32, I64 = np.float32, np.float64, np.int8, np.uint8, np.int32, np.int64
SQRT1_2 = math.sqrt(0.5)
INF, NAN = float("inf"), float("nan")

# ---- helpers ---------------------------------------------------------------


def bf16_from_f32(x):
    """Round float32 values to bfloat16 bits (uint16), to nearest even,
    exactly as tc_bf16_from_f32 does (a NaN stays a quiet NaN)."""
    u = np.asarray(x, dtype=F32).view(np.uint32).astype(np.uint64)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF
    r = np.where(nan, (u >> 16) | 0x40, r)
    return r.astype(np.uint16)


def bf16_to_f64(h):
    return (np.asarray(h, dtype=np.uint16).astype(np.uint32) << 16).view(F32).astype(F64)


def sat_cast(x, dt):
    """The DSL's float-to-integer cast: truncate, saturate, NaN gives 0."""
    info = np.iinfo(dt)
    out = []
    for v in np.asarray(x, dtype=F64).ravel():
        if math.isnan(v):
            out.append(0)
        elif v == INF or v >= info.max:
            out.append(info.max)
        elif v == -INF or v <= info.min:
            out.append(info.min)
        else:
            out.append(int(math.trunc(v)))
    return np.array(out, dtype=dt).reshape(np.shape(x))


def wrap(x, dt):
    """Integer wrap-around to dtype dt (two's complement truncation)."""
    bits = np.iinfo(dt).bits
    v = [int(a) & ((1 << bits) - 1) for a in np.asarray(x).ravel()]
    if np.iinfo(dt).min < 0:
        v = [a - (1 << bits) if a >= 1 << (bits - 1) else a for a in v]
    return np.array(v, dtype=dt).reshape(np.shape(x))


def vec(f):
    return np.vectorize(f, otypes=[F64])


erf = vec(math.erf)
erfc = vec(math.erfc)


def sigmoid(x):
    return vec(lambda v: 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)))(x)


def relu6(x):
    return np.minimum(np.maximum(x, 0.0), 6.0)


def softplus(x):
    with np.errstate(over="ignore"):
        return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20.0))))


def rand(rng, shape, lo=-1.0, hi=1.0, dt=F32):
    return rng.uniform(lo, hi, size=shape).astype(dt)


# ---- the cases -------------------------------------------------------------

CASES = []


def case(name, dsl, inputs, outputs, dims=None, pending=None):
    """inputs: list of (name, array) in any order (weights too);
    outputs: list of (name, array) with the output's dtype (bf16 as uint16).
    pending: why the front end may not load this case yet; the runner then
    accepts a load failure (and says so) but still checks any result."""
    CASES.append((name, dsl.strip() + "\n", dims or {}, inputs, outputs, pending))


EDGE = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0, -3.0, 7.0, -7.0,
                 25.0, -25.0, 1e-3, 100.0, -100.0, NAN, INF, -INF], dtype=F64)

UNARY = [
    ("abs", np.abs), ("neg", np.negative), ("exp", np.exp), ("exp2", np.exp2),
    ("log", np.log), ("log2", np.log2), ("log1p", np.log1p), ("expm1", np.expm1),
    ("sqrt", np.sqrt), ("rsqrt", lambda x: 1 / np.sqrt(x)),
    ("reciprocal", lambda x: 1 / x), ("sin", np.sin), ("cos", np.cos),
    ("tanh", np.tanh), ("sigmoid", sigmoid), ("erf", erf), ("floor", np.floor),
    ("ceil", np.ceil), ("round", np.round), ("trunc", np.trunc), ("sign", np.sign),
    ("relu", lambda x: np.maximum(x, 0.0)), ("relu6", relu6),
    ("silu", lambda x: x * sigmoid(x)),
    ("gelu", lambda x: 0.5 * x * erfc(-x * SQRT1_2)),
    ("gelu_tanh", lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    ("softplus", softplus), ("hardswish", lambda x: x * relu6(x + 3) / 6),
]


def unary_case(dt, tag):
    x = EDGE.astype(dt)
    xs = x.astype(F64)
    lines = ["local N = dim('N')", "local x = input('x', %s, {N})" % tag]
    outs = []
    for name, f in UNARY:
        lines.append("output('%s', %s(x))" % (name, name))
        outs.append((name, f(xs).astype(dt)))
    lines.append("output('leaky_relu', leaky_relu(x, 0.125))")
    outs.append(("leaky_relu", np.where(xs > 0, xs, xs * 0.125).astype(dt)))
    lines.append("output('method', x:abs():neg())")
    outs.append(("method", (-np.abs(xs)).astype(dt)))
    case("unary_" + tag, "\n".join(lines), [("x", x)], outs, {"N": len(x)})


def binary_case(rng):
    a = np.array([[1.5], [-2.0], [0.0], [7.0]], dtype=F32)      # {R, 1}
    b = np.array([2.0, -3.0, 0.5, 0.0, NAN], dtype=F32)          # {C}
    A, B = a.astype(F64), b.astype(F64)
    with np.errstate(all="ignore"):
        outs = [
            ("add", A + B), ("sub", A - B), ("mul", A * B), ("div", A / B),
            ("floordiv", np.floor_divide(A, B)), ("mod", np.remainder(A, B)),
            ("maximum", np.maximum(A, B)), ("minimum", np.minimum(A, B)),
            ("pow", np.power(A, B)), ("scalar", A * 2 + 0.5), ("rscalar", 1 - B),
            ("clamp", np.minimum(np.maximum(A + B, -1.0), 2.0)),
            ("where", np.where(A > B, A, B * 10)),
        ]
    outs = [(n, v.astype(F32)) for n, v in outs]
    with np.errstate(invalid="ignore"):
        for n, f in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                     ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)]:
            outs.append((n, f(A, B).astype(I32)))
        outs.append(("logic", np.logical_or(np.logical_and(A > 0, B > 0),
                                            np.logical_not(A < B)).astype(I32)))
    dsl = """
local R, C = dim('R'), dim('C')
local a = input('a', f32, {R, 1})
local b = input('b', f32, {C})
output('add', a + b)
output('sub', a - b)
output('mul', a * b)
output('div', a / b)
output('floordiv', a // b)
output('mod', a % b)
output('maximum', maximum(a, b))
output('minimum', minimum(a, b))
output('pow', pow(a, b))
output('scalar', a * 2 + 0.5)
output('rscalar', 1 - b)
output('clamp', clamp(a + b, -1, 2))
output('where', where(gt(a, b), a, b * 10))
output('eq', cast(eq(a, b), i32))
output('ne', cast(ne(a, b), i32))
output('lt', cast(lt(a, b), i32))
output('le', cast(le(a, b), i32))
output('gt', cast(gt(a, b), i32))
output('ge', cast(ge(a, b), i32))
output('logic', cast(logical_or(logical_and(gt(a, 0), gt(b, 0)), logical_not(lt(a, b))), i32))
"""
    case("binary_f32", dsl, [("a", a), ("b", b)], outs, {"R": 4, "C": 5})


def int_case():
    a = np.array([7, -7, 7, -7, 0, 1, -1, 2147483647, -2147483648, 100], dtype=I32)
    b = np.array([2, 2, -2, -2, 3, -3, 5, 1, 1, 7], dtype=I32)
    A, B = a.astype(np.int64), b.astype(np.int64)
    c = np.array([100, -100, 127, -128, 50, 3], dtype=I8)
    C = c.astype(np.int64)
    outs = [
        ("floordiv", A // B), ("mod", A % B), ("add", wrap(A + B, I32)),
        ("sub", wrap(A - B, I32)), ("mul", wrap(A * B, I32)), ("neg", wrap(-A, I32)),
        ("abs", wrap(np.abs(A), I32)), ("maximum", np.maximum(A, B)),
        ("sign", np.sign(A)),
        ("pow", wrap(np.array([int(x) ** int(y) for x, y in zip(A % 13 - 6, B % 5)]), I32)),
    ]
    outs = [(n, np.asarray(v).astype(I32)) for n, v in outs]
    outs += [
        ("wide", (A.astype(np.int64) * 3 + 1).astype(I64)),
        ("i8add", wrap(C + C, I8)),
        ("i8mul", wrap(C * 3, I8)),
        ("truediv", (A.astype(F64) / B.astype(F64)).astype(F32)),
        ("half", (A.astype(F64) * 0.5).astype(F32)),
        ("promote", (A.astype(F64) + np.float32(0.25)).astype(F32)),
    ]
    dsl = """
local N, M = dim('N'), dim('M')
local a = input('a', i32, {N})
local b = input('b', i32, {N})
local c = input('c', i8, {M})
output('floordiv', a // b)
output('mod', a % b)
output('add', a + b)
output('sub', a - b)
output('mul', a * b)
output('neg', -a)
output('abs', abs(a))
output('maximum', maximum(a, b))
output('sign', sign(a))
output('pow', pow(a % 13 - 6, b % 5))
output('wide', cast(a, i64) * 3 + 1)
output('i8add', c + c)
output('i8mul', c * 3)
output('truediv', a / b)
output('half', a * 0.5)
output('promote', a + 0.25)
"""
    case("int_ops", dsl, [("a", a), ("b", b), ("c", c)], outs, {"N": len(a), "M": len(c)})


def cast_case():
    x = np.array([0, 1.5, -1.5, 2.7, -2.7, 127.9, 128, -129, 300, -300, 255.9, 256,
                  1e10, -1e10, 3e9, NAN, INF, -INF], dtype=F32)
    X = x.astype(F64)
    # bf16 ties: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 (goes to even 1);
    # 1 + 3*2^-8 is halfway and goes up to 1 + 2^-6.
    y = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -3.14159,
                  65504.0, 3.0e38, NAN], dtype=F32)
    i = np.array([0, 1, -1, 255, 256, -129, 70000, -2147483648], dtype=I32)
    outs = [
        ("to_i8", sat_cast(X, I8)), ("to_u8", sat_cast(X, U8)),
        ("to_i32", sat_cast(X, I32)), ("to_i64", sat_cast(X, I64)),
        ("to_f64", X), ("to_bf16", bf16_from_f32(y)),
        ("i_to_u8", wrap(i, U8)), ("i_to_i8", wrap(i, I8)),
        ("i_to_f32", i.astype(F64).astype(F32)),
        ("i_to_bool", (i != 0).astype(I32)),
        ("f_to_bool", (X != 0).astype(U8)),
    ]
    dsl = """
local N, M, K = dim('N'), dim('M'), dim('K')
local x = input('x', f32, {N})
local y = input('y', f32, {M})
local i = input('i', i32, {K})
output('to_i8', cast(x, i8))
output('to_u8', cast(x, u8))
output('to_i32', cast(x, i32))
output('to_i64', cast(x, i64))
output('to_f64', cast(x, f64))
output('to_bf16', cast(y, bf16))
output('i_to_u8', cast(i, u8))
output('i_to_i8', cast(i, i8))
output('i_to_f32', cast(i, f32))
output('i_to_bool', cast(cast(i, bool), i32))
output('f_to_bool', cast(ne(x, 0), u8))
"""
    case("casts", dsl, [("x", x), ("y", y), ("i", i)], outs, {"N": len(x), "M": len(y), "K": len(i)})


def bf16_case(rng):
    a = bf16_from_f32(rand(rng, (6,), -4, 4))
    b = bf16_from_f32(rand(rng, (6,), -4, 4))
    A, B = bf16_to_f64(a), bf16_to_f64(b)
    x = rand(rng, (6,))
    X = x.astype(F64)
    # bf16 arithmetic is done in f32 and rounded to bf16 when stored.
    outs = [
        ("sum", bf16_from_f32((A.astype(F32) + B.astype(F32)))),
        ("prod", bf16_from_f32((A.astype(F32) * B.astype(F32)))),
        ("widen", (A * 3).astype(F32)),
        ("mixed", (A + X).astype(F32)),
    ]
    dsl = """
local a = input('a', bf16, {6})
local b = input('b', bf16, {6})
local x = input('x', f32, {6})
output('sum', a + b)
output('prod', a * b)
output('widen', cast(a, f32) * 3)
output('mixed', a + x)
"""
    case("bf16", dsl, [("a", a), ("b", b), ("x", x)], outs)


def reduce_case(rng):
    x = rand(rng, (2, 3, 4))
    x[1, 2, 1] = x[1, 2, 3] = 5.0  # a tie for argmax
    X = x.astype(F64)
    n = x.copy()
    n[0, 1, 2] = NAN
    n[1, 0, 0] = NAN
    n[1, 0, 3] = NAN
    N = n.astype(F64)
    k = np.array([[3, -1, 4, 1], [-5, 9, 2, -6], [5, 3, 5, 0]], dtype=I32)
    K = k.astype(np.int64)
    e = np.zeros((3, 0), dtype=F32)
    outs = [
        ("sum_all", np.array(X.sum(), dtype=F32)),
        ("sum1", X.sum(axis=1).astype(F32)),
        ("sum02k", X.sum(axis=(0, 2), keepdims=True).astype(F32)),
        ("mean_last", X.mean(axis=-1).astype(F32)),
        ("max0", X.max(axis=0).astype(F32)),
        ("min2k", X.min(axis=2, keepdims=True).astype(F32)),
        ("prod1", X.prod(axis=1).astype(F32)),
        ("argmax2", X.argmax(axis=2).astype(I64)),
        ("argmin1k", np.expand_dims(X.argmin(axis=1), 1).astype(I64)),
        ("nan_max", N.max(axis=2).astype(F32)),
        ("nan_argmax", N.argmax(axis=2).astype(I64)),
        ("nan_argmin", N.argmin(axis=2).astype(I64)),
        ("isum", K.sum(axis=1).astype(I64)),
        ("iprod", K.prod(axis=0).astype(I64)),
        ("imax", K.max(axis=1).astype(I32)),
        ("imean", K.mean(axis=0).astype(F32)),
        ("iargmax", K.argmax(axis=1).astype(I64)),
        ("esum", np.zeros(3, dtype=F32)),
        ("eprod", np.ones(3, dtype=F32)),
        ("emean", np.full(3, NAN, dtype=F32)),
    ]
    dsl = """
local E = dim('E')
local x = input('x', f32, {2, 3, 4})
local n = input('n', f32, {2, 3, 4})
local k = input('k', i32, {3, 4})
local e = input('e', f32, {3, E})
output('sum_all', sum(x))
output('sum1', sum(x, 1))
output('sum02k', sum(x, {0, 2}, true))
output('mean_last', mean(x, -1))
output('max0', max(x, 0))
output('min2k', min(x, 2, true))
output('prod1', prod(x, 1))
output('argmax2', argmax(x, 2))
output('argmin1k', argmin(x, 1, true))
output('nan_max', max(n, 2))
output('nan_argmax', argmax(n, 2))
output('nan_argmin', argmin(n, 2))
output('isum', sum(k, 1))
output('iprod', prod(k, 0))
output('imax', max(k, 1))
output('imean', mean(k, 0))
output('iargmax', argmax(k, 1))
output('esum', sum(e, 1))
output('eprod', prod(e, 1))
output('emean', mean(e, 1))
"""
    case("reductions", dsl, [("x", x), ("n", n), ("k", k), ("e", e)], outs, {"E": 0})


def softmax_ref(X, axis):
    m = X.max(axis=axis, keepdims=True)
    ex = np.exp(X - m)
    return ex / ex.sum(axis=axis, keepdims=True)


def log_softmax_ref(X, axis):
    m = X.max(axis=axis, keepdims=True)
    return X - m - np.log(np.exp(X - m).sum(axis=axis, keepdims=True))


def norm_case(rng):
    x = rand(rng, (3, 5), -3, 3)
    x[2] = [1000, 999, 998, -1000, 1000]  # stability
    x[1, 3] = -INF
    X = x.astype(F64)
    y = rand(rng, (2, 3, 4), -2, 2)
    Y = y.astype(F64)
    g = rand(rng, (3, 4), 0.5, 1.5)
    bt = rand(rng, (3, 4))
    G, BT = g.astype(F64), bt.astype(F64)

    def ln(v, n, gamma=None, beta=None, eps=1e-5):
        ax = tuple(range(v.ndim - n, v.ndim))
        mu = v.mean(axis=ax, keepdims=True)
        var = ((v - mu) ** 2).mean(axis=ax, keepdims=True)
        r = (v - mu) / np.sqrt(var + eps)
        if gamma is not None:
            r = r * gamma
        if beta is not None:
            r = r + beta
        return r

    r = rand(rng, (3, 8), -2, 2)
    R = r.astype(F64)
    rg = rand(rng, (8,), 0.5, 1.5)
    RG = rg.astype(F64)
    bx = rand(rng, (2, 3, 2, 2), -2, 2)
    BX = bx.astype(F64)
    bm, bv = rand(rng, (3,)), rand(rng, (3,), 0.1, 2)
    bg, bb = rand(rng, (3,), 0.5, 1.5), rand(rng, (3,))
    c = lambda v: v.astype(F64).reshape(1, 3, 1, 1)
    bn = (BX - c(bm)) / np.sqrt(c(bv) + 1e-5) * c(bg) + c(bb)
    outs = [
        ("softmax1", softmax_ref(X, 1).astype(F32)),
        ("softmax0", softmax_ref(X, 0).astype(F32)),
        ("log_softmax1", log_softmax_ref(X, 1).astype(F32)),
        ("ln2", ln(Y, 2, G, BT).astype(F32)),
        ("ln1", ln(Y, 1, eps=1e-3).astype(F32)),
        ("rms", (R / np.sqrt((R ** 2).mean(axis=-1, keepdims=True) + 1e-6) * RG).astype(F32)),
        ("bn", bn.astype(F32)),
    ]
    dsl = """
local x = input('x', f32, {3, 5})
local y = input('y', f32, {2, 3, 4})
local g = weight('g', f32, {3, 4})
local bt = weight('bt', f32, {3, 4})
local r = input('r', f32, {3, 8})
local rg = weight('rg', f32, {8})
local bx = input('bx', f32, {2, 3, 2, 2})
local bm = weight('bm', f32, {3})
local bv = weight('bv', f32, {3})
local bg = weight('bg', f32, {3})
local bb = weight('bb', f32, {3})
output('softmax1', softmax(x, 1))
output('softmax0', softmax(x, 0))
output('log_softmax1', log_softmax(x, -1))
output('ln2', layer_norm(y, 2, g, bt, 1e-5))
output('ln1', layer_norm(y, 1, nil, nil, 1e-3))
output('rms', rms_norm(r, rg, 1e-6))
output('bn', batch_norm(bx, bm, bv, bg, bb, 1e-5))
"""
    case("norms", dsl, [("x", x), ("y", y), ("g", g), ("bt", bt), ("r", r), ("rg", rg),
                        ("bx", bx), ("bm", bm), ("bv", bv), ("bg", bg), ("bb", bb)], outs)


def shape_case(rng):
    x = np.arange(24, dtype=F32).reshape(2, 3, 4) - 11.5
    X = x.astype(F64)
    y = rand(rng, (3, 1))
    z = rand(rng, (2, 2, 4))
    outs = [
        ("reshape", X.reshape(-1, 4)),
        ("reshape2", X.reshape(4, -1)),
        ("flatten", X.reshape(-1)),
        ("flatten12", X.reshape(2, 12)),
        ("permute", X.transpose(2, 0, 1)),
        ("transpose", X.transpose(2, 1, 0)),
        ("expand", np.broadcast_to(y.astype(F64), (2, 3, 4))),
        ("unsqueeze", X[:, None]),
        ("squeeze", y.astype(F64)[:, 0]),
        ("slice_step", X[:, :, 1:4:2]),
        ("slice_neg", X[:, -2:100]),
        ("slice_clamp", X[-5:1]),
        ("slice_empty", X[:, :, 3:1]),
        ("concat", np.concatenate([X, z.astype(F64)], axis=1)),
        ("pad", np.pad(X, ((0, 0), (1, 2), (2, 1)), constant_values=0.5)),
    ]
    outs = [(n, np.array(v, order="C").astype(F32)) for n, v in outs]
    dsl = """
local x = input('x', f32, {2, 3, 4})
local y = input('y', f32, {3, 1})
local z = input('z', f32, {2, 2, 4})
output('reshape', reshape(x, {-1, 4}))
output('reshape2', x:reshape({4, -1}))
output('flatten', flatten(x))
output('flatten12', flatten(x, 1, 2))
output('permute', permute(x, {2, 0, 1}))
output('transpose', transpose(x, 0, 2))
output('expand', expand(y, {2, 3, 4}))
output('unsqueeze', unsqueeze(x, 1))
output('squeeze', squeeze(y, 1))
output('slice_step', slice(x, 2, 1, 4, 2))
output('slice_neg', slice(x, 1, -2, 100))
output('slice_clamp', slice(x, 0, -5, 1))
output('slice_empty', slice(x, 2, 3, 1))
output('concat', concat({x, z}, 1))
output('pad', pad(x, {0, 0, 1, 2, 2, 1}, 0.5))
"""
    case("shapes", dsl, [("x", x), ("y", y), ("z", z)], outs)


def linalg_case(rng):
    v = rand(rng, (3,))
    m = rand(rng, (3, 4))
    a = rand(rng, (2, 5, 3))
    b4 = rand(rng, (2, 1, 2, 3))
    b3 = rand(rng, (3, 3, 4))
    x = rand(rng, (2, 3, 3))
    w = rand(rng, (4, 3))
    bias = rand(rng, (4,))
    sq = rand(rng, (3, 3))
    u = rand(rng, (4,))
    V, M_, A, B4, B3, X, W, BI, SQ, U = (t.astype(F64) for t in (v, m, a, b4, b3, x, w, bias, sq, u))
    outs = [
        ("vm", V @ M_), ("bmm", A @ M_), ("mv", M_.T @ V),
        ("bcast", np.matmul(B4, B3)),
        ("lin", X @ W.T + BI), ("lin_nb", X @ W.T),
        ("ein_bmm", np.einsum("bik,bkj->bij", X, X)),
        ("ein_t", np.einsum("ij->ji", M_)),
        ("ein_diag", np.einsum("ii->i", SQ)),
        ("ein_dot", np.array(np.einsum("ij,ij->", SQ, SQ))),
        ("ein_outer", np.einsum("i,j->ij", V, U)),
    ]
    outs = [(n, np.array(t, order="C").astype(F32)) for n, t in outs]
    dsl = """
local v = input('v', f32, {3})
local m = input('m', f32, {3, 4})
local a = input('a', f32, {2, 5, 3})
local b4 = input('b4', f32, {2, 1, 2, 3})
local b3 = input('b3', f32, {3, 3, 4})
local x = input('x', f32, {2, 3, 3})
local w = weight('w', f32, {4, 3})
local bias = weight('bias', f32, {4})
local sq = input('sq', f32, {3, 3})
local u = input('u', f32, {4})
output('vm', matmul(v, m))
output('bmm', matmul(a, m))
output('mv', matmul(transpose(m, 0, 1), v))
output('bcast', matmul(b4, b3))
output('lin', linear(x, w, bias))
output('lin_nb', linear(x, w))
output('ein_bmm', einsum('bik,bkj->bij', x, x))
output('ein_t', einsum('ij->ji', m))
output('ein_diag', einsum('ii->i', sq))
output('ein_dot', einsum('ij,ij->', sq, sq))
output('ein_outer', einsum('i,j->ij', v, u))
"""
    case("linalg", dsl, [("v", v), ("m", m), ("a", a), ("b4", b4), ("b3", b3), ("x", x),
                         ("w", w), ("bias", bias), ("sq", sq), ("u", u)], outs)


def compute_case(rng):
    A = rand(rng, (3, 4))
    B = rand(rng, (4, 5))
    x = rand(rng, (7,))
    w = rand(rng, (3,))
    tbl = rand(rng, (5, 3))
    idx = np.array([4, 0, 2, 2], dtype=I64)
    sq = rand(rng, (4, 4))
    Af, Bf, Xf, Wf, Tf, Sf = (t.astype(F64) for t in (A, B, x, w, tbl, sq))
    xp = np.concatenate([[0.0], Xf, [0.0]])
    conv = np.array([sum(xp[i + k] * Wf[k] for k in range(3)) for i in range(7)])
    outs = [
        ("C", (Af @ Bf).astype(F32)),
        ("conv", conv.astype(F32)),
        ("gather", Tf[idx].astype(F32)),
        ("tril", np.tril(Sf).astype(F32)),
        ("rowmax", Af.max(axis=1).astype(F32)),
        ("iota", (np.arange(4)[:, None] * 10 + np.arange(3)[None, :]).astype(I64)),
        ("nested", np.array([sum(Af[i, j] * Af[i, j] for j in range(4)) * 2 for i in range(3)]).astype(F32)),
        ("nested2", (Af.sum(axis=1) * Af.sum(axis=1)).astype(F32)),
    ]
    dsl = """
local M, K, N = dim('M'), dim('K'), dim('N')
local L = dim('L')
local A = input('A', f32, {M, K})
local B = input('B', f32, {K, N})
local x = input('x', f32, {L})
local w = input('w', f32, {3})
local tbl = input('tbl', f32, {5, 3})
local idx = input('idx', i64, {4})
local sq = input('sq', f32, {4, 4})
local k = rvar(K)
output('C', compute({M, N}, function(i, j)
  return sum(k, A(i, k) * B(k, j))
end))
local t = rvar(3)
output('conv', compute({L}, function(i)
  local p = i + t - 1
  return sum(t, where(logical_and(ge(p, 0), lt(p, L)), x(p), 0) * w(t))
end))
output('gather', compute({4, 3}, function(i, j) return tbl(idx(i), j) end))
output('tril', compute({4, 4}, function(i, j)
  return where(le(j, i), sq(i, j), 0)
end))
output('rowmax', compute({M}, function(i) return max(k, A(i, k)) end))
output('iota', compute({4, 3}, function(i, j) return i * 10 + j end))
local q = rvar(K)
output('nested', compute({M}, function(i)
  return sum(k, A(i, k) * A(i, k)) + sum(q, A(i, q) * A(i, q))
end))
output('nested2', compute({M}, function(i)
  return sum(k, sum(q, A(i, k) * A(i, q)))
end))
"""
    case("compute", dsl, [("A", A), ("B", B), ("x", x), ("w", w), ("tbl", tbl), ("idx", idx),
                          ("sq", sq)], outs, {"M": 3, "K": 4, "N": 5, "L": 7})


def mlp_case(rng):
    """A small fused chain with a symbolic batch: what a user would write."""
    x = rand(rng, (3, 8))
    w1, b1 = rand(rng, (16, 8), -0.5, 0.5), rand(rng, (16,))
    w2, b2 = rand(rng, (4, 16), -0.5, 0.5), rand(rng, (4,))
    X, W1, B1, W2, B2 = (t.astype(F64) for t in (x, w1, b1, w2, b2))
    # The interpreter rounds the hidden layer to f32 before the second
    # linear; NumPy does the same here so the comparison stays tight.
    h = (X @ W1.T + B1).astype(F32).astype(F64)
    h = (0.5 * h * erfc(-h * SQRT1_2)).astype(F32).astype(F64)
    y = (h @ W2.T + B2).astype(F32).astype(F64)
    outs = [("y", softmax_ref(y, 1).astype(F32))]
    dsl = """
local B = dim('B')
local x = input('x', f32, {B, 8})
local w1 = weight('w1', f32, {16, 8})
local b1 = weight('b1', f32, {16})
local w2 = weight('w2', f32, {4, 16})
local b2 = weight('b2', f32, {4})
local h = gelu(linear(x, w1, b1))
output('y', softmax(linear(h, w2, b2), -1))
"""
    case("mlp", dsl, [("x", x), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)], outs, {"B": 3})


# ---- convolution, pooling, indexing, quantization ----------------------------

def conv2d_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """NCHW x, [Cout, Cin/groups, kh, kw] w, as torch.nn.functional.conv2d."""
    N, C, H, W = x.shape
    Co, Cg, kh, kw = w.shape
    s, p, d = stride, padding, dilation
    Ho = (H + 2 * p - d * (kh - 1) - 1) // s + 1
    Wo = (W + 2 * p - d * (kw - 1) - 1) // s + 1
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((N, Co, Ho, Wo))
    per = Co // groups
    for co in range(Co):
        g = co // per
        for i in range(Ho):
            for j in range(Wo):
                patch = xp[:, g * Cg:(g + 1) * Cg, i * s:i * s + d * (kh - 1) + 1:d,
                           j * s:j * s + d * (kw - 1) + 1:d]
                out[:, co, i, j] = (patch * w[co]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool_ref(x, k, s, p, kind):
    N, C, H, W = x.shape
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            win = xp[:, :, i * s:i * s + k, j * s:j * s + k]
            out[:, :, i, j] = win.max(axis=(2, 3)) if kind == "max" else win.sum(axis=(2, 3)) / (k * k)
    return out


def conv_case(rng):
    x1, w1, b1 = rand(rng, (1, 4, 6, 6)), rand(rng, (6, 2, 3, 3)), rand(rng, (6,))
    x2, w2 = rand(rng, (2, 3, 5, 5)), rand(rng, (4, 3, 3, 3))
    xh, wh = rand(rng, (1, 5, 5, 3)), rand(rng, (3, 3, 3, 4))
    px = rand(rng, (1, 2, 5, 5))
    X1, W1, B1, X2, W2, XH, WH, PX = (t.astype(F64) for t in (x1, w1, b1, x2, w2, xh, wh, px))
    nhwc = conv2d_ref(XH.transpose(0, 3, 1, 2), WH.transpose(3, 2, 0, 1), padding=1).transpose(0, 2, 3, 1)
    outs = [
        ("grouped", conv2d_ref(X1, W1, B1, stride=2, padding=1, groups=2)),
        ("plain", conv2d_ref(X2, W2)),
        ("dilated", conv2d_ref(X2, W2, padding=2, dilation=2)),
        ("nhwc", nhwc),
        ("maxpool", pool_ref(PX, 2, 2, 0, "max")),
        ("maxpool_pad", pool_ref(PX, 3, 2, 1, "max")),
        ("avgpool_pad", pool_ref(PX, 3, 2, 1, "avg")),
        ("gap", PX.mean(axis=(2, 3), keepdims=True)),
    ]
    outs = [(n, np.array(v, order="C").astype(F32)) for n, v in outs]
    dsl = """
local x1 = input('x1', f32, {1, 4, 6, 6})
local w1 = weight('w1', f32, {6, 2, 3, 3})
local b1 = weight('b1', f32, {6})
local x2 = input('x2', f32, {2, 3, 5, 5})
local w2 = weight('w2', f32, {4, 3, 3, 3})
local xh = input('xh', f32, {1, 5, 5, 3})
local wh = weight('wh', f32, {3, 3, 3, 4})
local px = input('px', f32, {1, 2, 5, 5})
output('grouped', conv2d(x1, w1, b1, {stride = 2, padding = 1, groups = 2}))
output('plain', conv2d(x2, w2))
output('dilated', conv2d(x2, w2, nil, {padding = {2, 2}, dilation = 2}))
output('nhwc', conv2d(xh, wh, nil, {padding = 1, layout = 'NHWC'}))
output('maxpool', max_pool2d(px, 2))
output('maxpool_pad', max_pool2d(px, {3, 3}, {stride = 2, padding = 1}))
output('avgpool_pad', avg_pool2d(px, 3, {stride = 2, padding = 1}))
output('gap', global_avg_pool2d(px))
"""
    case("conv_pool", dsl, [("x1", x1), ("w1", w1), ("b1", b1), ("x2", x2), ("w2", w2),
                            ("xh", xh), ("wh", wh), ("px", px)], outs)


def index_case(rng):
    x = rand(rng, (3, 4))
    X = x.astype(F64)
    g1 = np.array([[3, 0], [1, 1], [2, 3]], dtype=I64)
    g0 = np.array([[2, 0, 1, 2], [0, 0, 2, 1]], dtype=I64)
    s0 = np.array([2, 0, 1, 1, 0], dtype=I32)
    s1 = np.array([1, 3], dtype=I64)
    src = rand(rng, (5, 3))
    SRC = src.astype(F64)
    si = np.array([2, 0, 2, 3, 2], dtype=I64)  # entry 1 is named by nothing

    def scatter(reduce):
        out = np.zeros((4, 3))
        for j in range(4):
            rows = SRC[si == j]
            if len(rows):
                out[j] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0),
                          "min": rows.min(0)}[reduce]
        return out

    outs = [
        ("gather1", np.take_along_axis(X, g1, axis=1)),
        ("gather0", np.take_along_axis(X, g0, axis=0)),
        ("isel0", np.take(X, s0, axis=0)),
        ("isel1", np.take(X, s1, axis=1)),
    ] + [("scatter_" + r, scatter(r)) for r in ("sum", "mean", "max", "min")]
    outs = [(n, np.array(v, order="C").astype(F32)) for n, v in outs]
    dsl = """
local x = input('x', f32, {3, 4})
local g1 = input('g1', i64, {3, 2})
local g0 = input('g0', i64, {2, 4})
local s0 = input('s0', i32, {5})
local s1 = input('s1', i64, {2})
local src = input('src', f32, {5, 3})
local si = input('si', i64, {5})
output('gather1', gather(x, 1, g1))
output('gather0', gather(x, 0, g0))
output('isel0', index_select(x, 0, s0))
output('isel1', index_select(x, 1, s1))
output('scatter_sum', scatter(src, si, 0, 4, 'sum'))
output('scatter_mean', scatter(src, si, 0, 4, 'mean'))
output('scatter_max', scatter(src, si, 0, 4, 'max'))
output('scatter_min', scatter(src, si, 0, 4, 'min'))
"""
    case("indexing", dsl, [("x", x), ("g1", g1), ("g0", g0), ("s0", s0), ("s1", s1),
                           ("src", src), ("si", si)], outs)


def quant_case(rng):
    x = rand(rng, (8,), -8, 8)
    x[0], x[1] = 100.0, -100.0  # saturate
    q = np.array([0, 3, 10, 255, 128, 7], dtype=U8)
    pc = rand(rng, (3, 4), -2, 2)
    # The DSL divides in f32 (x is f32), then rounds half to even.
    def quant(v, scale, zp, dt):
        r = np.round((v.astype(F32) / np.float32(scale)).astype(F64)) + zp
        info = np.iinfo(dt)
        return np.clip(r, info.min, info.max).astype(dt)
    scales, zps = [0.1, 0.05, 0.2], [0, 1, -1]
    pcq = np.stack([quant(pc[c], scales[c], zps[c], I8) for c in range(3)])
    pcd = np.stack([(pcq[c].astype(F64) - zps[c]) * np.float32(scales[c]) for c in range(3)])
    outs = [
        ("qu8", quant(x, 0.05, 3, U8)),
        ("qi8", quant(x, 0.05, -2, I8)),
        ("deq", ((q.astype(F64) - 3) * np.float32(0.05)).astype(F32)),
        ("pcq", pcq),
        ("pcd", pcd.astype(F32)),
    ]
    dsl = """
local x = input('x', f32, {8})
local q = input('q', u8, {6})
local pc = input('pc', f32, {3, 4})
output('qu8', quantize(x, 0.05, 3, u8))
output('qi8', quantize(x, 0.05, -2, i8))
output('deq', dequantize(q, 0.05, 3))
local pcq = quantize_per_channel(pc, {0.1, 0.05, 0.2}, {0, 1, -1}, 0, i8)
output('pcq', pcq)
output('pcd', dequantize_per_channel(pcq, {0.1, 0.05, 0.2}, {0, 1, -1}, 0))
"""
    case("quantize", dsl, [("x", x), ("q", q), ("pc", pc)], outs)


def conv_more_case(rng):
    """Depthwise and grouped convolutions with pairs of strides, paddings and
    dilations, in both layouts, a symbolic batch, and pools without padding."""
    xd, wd, bd = rand(rng, (2, 3, 7, 6)), rand(rng, (3, 1, 3, 2)), rand(rng, (3,))
    xg, wg = rand(rng, (1, 4, 6, 7)), rand(rng, (2, 2, 2, 3))
    xn, wn = rand(rng, (2, 6, 5, 4)), rand(rng, (3, 2, 2, 4))  # NHWC, groups 2
    pi = rand(rng, (2, 3, 6, 7))
    pi[0, 0, 0, 0] = NAN  # a NaN wins max pooling
    XD, WD, BD, XG, WG, XN, WN, PI = (t.astype(F64) for t in (xd, wd, bd, xg, wg, xn, wn, pi))

    def conv_pairs(x, w, b, stride, padding, dilation, groups):
        """conv2d with (h, w) pairs, by the definition."""
        N, C, H, W = x.shape
        Co, Cg, kh, kw = w.shape
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        Wo = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        out = np.zeros((N, Co, Ho, Wo))
        per = Co // groups
        for co in range(Co):
            g = co // per
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[:, g * Cg:(g + 1) * Cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                               j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[:, co, i, j] = (patch * w[co]).sum(axis=(1, 2, 3))
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        return out

    nhwc = conv_pairs(XN.transpose(0, 3, 1, 2), WN.transpose(3, 2, 0, 1), None, (2, 1), (1, 0),
                      (1, 2), 2).transpose(0, 2, 3, 1)
    with np.errstate(invalid="ignore"):
        mp = pool_ref(PI, 3, 2, 0, "max")
    outs = [
        ("depthwise", conv_pairs(XD, WD, BD, (2, 1), (1, 1), (1, 1), 3)),
        ("grouped", conv_pairs(XG, WG, None, (1, 2), (0, 1), (2, 1), 2)),
        ("nhwc", nhwc),
        ("maxpool", mp),
        ("avgpool", pool_ref(PI, 2, 2, 0, "avg")),
        ("relu_conv", np.maximum(conv_pairs(XD, WD, BD, (1, 1), (0, 0), (1, 1), 3), 0)),
    ]
    outs = [(n, np.array(v, order="C").astype(F32)) for n, v in outs]
    dsl = """
local B = dim('B')
local xd = input('xd', f32, {B, 3, 7, 6})
local wd = weight('wd', f32, {3, 1, 3, 2})
local bd = weight('bd', f32, {3})
local xg = input('xg', f32, {1, 4, 6, 7})
local wg = weight('wg', f32, {2, 2, 2, 3})
local xn = input('xn', f32, {B, 6, 5, 4})
local wn = weight('wn', f32, {3, 2, 2, 4})
local pi = input('pi', f32, {B, 3, 6, 7})
output('depthwise', conv2d(xd, wd, bd, {stride = {2, 1}, padding = 1, groups = 3}))
output('grouped', conv2d(xg, wg, nil, {stride = {1, 2}, padding = {0, 1}, dilation = {2, 1}, groups = 2}))
output('nhwc', conv2d(xn, wn, nil, {stride = {2, 1}, padding = {1, 0}, dilation = {1, 2}, groups = 2, layout = 'NHWC'}))
output('maxpool', max_pool2d(pi, 3, {stride = 2}))
output('avgpool', pi:avg_pool2d(2))
output('relu_conv', relu(conv2d(xd, wd, bd, {groups = 3})))
"""
    case("conv_more", dsl, [("xd", xd), ("wd", wd), ("bd", bd), ("xg", xg), ("wg", wg),
                            ("xn", xn), ("wn", wn), ("pi", pi)], outs, {"B": 2})


def csr_arrays(dense_mask, rng, index_dt, dt=F32):
    """rowptr, col, val of the matrix whose nonzeros are where dense_mask is."""
    rows, cols = dense_mask.shape
    rowptr, col = [0], []
    for r in range(rows):
        c = [j for j in range(cols) if dense_mask[r, j]]
        col += c
        rowptr.append(len(col))
    val = rand(rng, (len(col),), -2, 2, dt)
    return (np.array(rowptr, dtype=index_dt), np.array(col, dtype=index_dt), val)


def sparse_case(rng):
    """spmm with every reduction, rows without entries, i32 and i64 indices,
    a pattern-only matrix, and a GCN-like layer A (X W)."""
    mask = rng.uniform(size=(6, 5)) < 0.4
    mask[1, :] = False  # empty rows
    mask[4, :] = False
    mask[0, :] = True   # a full row
    ra, ca, va = csr_arrays(mask, rng, I64)
    rb, cb, _ = csr_arrays(mask.T, rng, I32)  # pattern-only, 5 x 6
    x = rand(rng, (5, 3))
    y = rand(rng, (6, 2))
    w = rand(rng, (3, 4))
    X, Y, W = x.astype(F64), y.astype(F64), w.astype(F64)

    def spmm(rowptr, col, val, dense, reduce):
        rows = len(rowptr) - 1
        out = np.zeros((rows, dense.shape[1]))
        for r in range(rows):
            lo, hi = rowptr[r], rowptr[r + 1]
            if hi == lo:
                continue
            prods = np.array([(val[p] if val is not None else 1.0) * dense[col[p]]
                              for p in range(lo, hi)])
            # products are rounded to f32 before the reduction (the op's dtype)
            prods = prods.astype(F32).astype(F64)
            out[r] = {"sum": prods.sum(0), "mean": prods.mean(0), "max": prods.max(0),
                      "min": prods.min(0)}[reduce]
        return out

    VA = va.astype(F64)
    xw = (X @ W).astype(F32).astype(F64)
    outs = [("s_" + r, spmm(ra, ca, VA, X, r)) for r in ("sum", "mean", "max", "min")]
    outs += [("p_sum", spmm(rb, cb, None, Y, "sum")), ("p_max", spmm(rb, cb, None, Y, "max")),
             ("gcn", np.maximum(spmm(ra, ca, VA, xw, "sum"), 0))]
    outs = [(n, np.array(v, order="C").astype(F32)) for n, v in outs]
    dsl = """
local N, M = dim('N'), dim('M')
local A = csr('A', f32, {N, M})
local P = csr('P', f32, {M, N}, {index = i32, values = false})
local x = input('x', f32, {M, 3})
local y = input('y', f32, {N, 2})
local w = weight('w', f32, {3, 4})
output('s_sum', spmm(A, x, 'sum'))
output('s_mean', spmm(A, x, 'mean'))
output('s_max', spmm(A, x, 'max'))
output('s_min', spmm(A, x, 'min'))
output('p_sum', spmm(P, y, 'sum'))
output('p_max', spmm(P, y, 'max'))
output('gcn', relu(spmm(A, matmul(x, w), 'sum')))
"""
    case("sparse", dsl, [("A.rowptr", ra), ("A.col", ca), ("A.val", va), ("P.rowptr", rb),
                         ("P.col", cb), ("x", x), ("y", y), ("w", w)], outs, {"N": 6, "M": 5})


def index_more_case(rng):
    """i32 indices, scatter along an inner axis with duplicates and an
    untouched entry, scatter of integers, gather along the last axis."""
    x = rand(rng, (2, 5, 3))
    X = x.astype(F64)
    gi = rng.integers(0, 5, size=(2, 4, 3)).astype(I32)
    si = np.array([4, 0, 4, 4, 1], dtype=I32)  # 2 and 3 untouched
    xi = rng.integers(-50, 50, size=(2, 5, 3)).astype(I32)

    def scatter1(src, idx, size, reduce):
        out = np.zeros((src.shape[0], size, src.shape[2]))
        for j in range(size):
            sl = src[:, idx == j, :]
            if sl.shape[1]:
                out[:, j, :] = {"sum": sl.sum(1), "mean": sl.mean(1), "max": sl.max(1),
                                "min": sl.min(1)}[reduce]
        return out

    outs = [
        ("g", np.take_along_axis(X, gi.astype(np.int64), axis=1).astype(F32)),
        ("isel", np.take(X, si, axis=1).astype(F32)),
        ("sc_sum", scatter1(X, si, 6, "sum").astype(F32)),
        ("sc_max", scatter1(X, si, 6, "max").astype(F32)),
        ("sc_mean", scatter1(X, si, 6, "mean").astype(F32)),
        ("sci_sum", scatter1(xi.astype(np.int64), si, 6, "sum").astype(I64)),
        ("sci_min", scatter1(xi.astype(np.int64), si, 6, "min").astype(I32)),
        ("sci_mean", scatter1(xi.astype(F64), si, 6, "mean").astype(F32)),
    ]
    dsl = """
local S = dim('S')
local x = input('x', f32, {2, 5, 3})
local gi = input('gi', i32, {2, 4, 3})
local si = input('si', i32, {5})
local xi = input('xi', i32, {2, 5, 3})
output('g', gather(x, 1, gi))
output('isel', x:index_select(-2, si))
output('sc_sum', scatter(x, si, 1, S, 'sum'))
output('sc_max', scatter(x, si, 1, S, 'max'))
output('sc_mean', scatter(x, si, 1, S, 'mean'))
output('sci_sum', scatter(xi, si, 1, S, 'sum'))
output('sci_min', scatter(xi, si, 1, S, 'min'))
output('sci_mean', scatter(xi, si, 1, S, 'mean'))
"""
    case("indexing_more", dsl, [("x", x), ("gi", gi), ("si", si), ("xi", xi)], outs, {"S": 6})


def quant_more_case(rng):
    """Ties (round half to even), saturation, NaN and infinities, per-channel
    parameters given as weights, and the dequantize -> linear -> quantize
    chain of PT2E."""
    scale = 0.5
    # x / 0.5 = 2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.5: ties go to even
    x = np.array([1.25, 1.75, -1.25, -1.75, 0.25, -0.25, 0.75, 1000.0, -1000.0,
                  NAN, INF, -INF], dtype=F32)

    def quant(v, scale, zp, dt):
        info = np.iinfo(dt)
        out = []
        for a in np.asarray(v, dtype=F32).ravel():
            q = np.float32(a) / np.float32(scale)
            if math.isnan(q):
                r = zp
            elif math.isinf(q):
                r = info.max if q > 0 else info.min
            else:
                r = float(np.round(np.float64(q))) + zp
            out.append(min(max(r, info.min), info.max))
        return np.array(out, dtype=dt).reshape(np.shape(v))

    pc = rand(rng, (2, 3, 4), -3, 3)
    sc = np.array([0.02, 0.05, 0.1], dtype=F32)
    zp = np.array([3, -4, 0], dtype=I32)
    pcq = np.stack([quant(pc[:, c, :], sc[c], zp[c], I8) for c in range(3)], axis=1)
    pcd = np.stack([(pcq[:, c, :].astype(F64) - zp[c]) * np.float64(sc[c]) for c in range(3)],
                   axis=1)
    # int8 linear as PT2E writes it
    xq = rng.integers(0, 256, size=(3, 4)).astype(U8)
    wq = rng.integers(-127, 128, size=(5, 4)).astype(I8)
    b = rand(rng, (5,))
    xd = ((xq.astype(F64) - 128) * np.float32(0.02)).astype(F32).astype(F64)
    wd = (wq.astype(F64) * np.float32(0.01)).astype(F32).astype(F64)
    lin = (xd @ wd.T + b.astype(F64)).astype(F32)
    outs = [
        ("ties", quant(x, scale, 0, I8)),
        ("ties_u8", quant(x, scale, 10, U8)),
        ("pcq", pcq),
        ("pcd", pcd.astype(F32)),
        ("qlin", quant(lin, 0.05, 64, U8)),
    ]
    dsl = """
local x = input('x', f32, {12})
local pc = input('pc', f32, {2, 3, 4})
local sc = weight('sc', f32, {3})
local zp = weight('zp', i32, {3})
local xq = input('xq', u8, {3, 4})
local wq = weight('wq', i8, {5, 4})
local b = weight('b', f32, {5})
output('ties', quantize(x, 0.5, 0, i8))
output('ties_u8', quantize(x, 0.5, 10, u8))
local pcq = quantize_per_channel(pc, sc, zp, 1, i8)
output('pcq', pcq)
output('pcd', dequantize_per_channel(pcq, sc, zp, -2))
local lin = linear(dequantize(xq, 0.02, 128), dequantize(wq, 0.01, 0), b)
output('qlin', quantize(lin, 0.05, 64, u8))
"""
    case("quantize_more", dsl, [("x", x), ("pc", pc), ("sc", sc), ("zp", zp), ("xq", xq),
                                ("wq", wq), ("b", b)], outs)


def bf16_matmul_case(rng):
    """matmul and linear on bf16 inputs: products accumulated in (at least)
    f32, the result rounded to bf16 once, when stored."""
    a = bf16_from_f32(rand(rng, (3, 5), -2, 2))
    b = bf16_from_f32(rand(rng, (5, 4), -2, 2))
    w = bf16_from_f32(rand(rng, (2, 5), -2, 2))
    A, B, W = bf16_to_f64(a), bf16_to_f64(b), bf16_to_f64(w)
    outs = [
        ("mm", bf16_from_f32((A @ B).astype(F32))),
        ("lin", bf16_from_f32((A @ W.T).astype(F32))),
        ("relu_mm", bf16_from_f32(np.maximum(bf16_to_f64(bf16_from_f32((A @ B).astype(F32))), 0).astype(F32))),
    ]
    dsl = """
local a = input('a', bf16, {3, 5})
local b = input('b', bf16, {5, 4})
local w = weight('w', bf16, {2, 5})
output('mm', matmul(a, b))
output('lin', linear(a, w))
output('relu_mm', relu(matmul(a, b)))
"""
    case("bf16_matmul", dsl, [("a", a), ("b", b), ("w", w)], outs)


def main():
    rng = np.random.default_rng(20261126)
    unary_case(F32, "f32")
    unary_case(F64, "f64")
    binary_case(rng)
    int_case()
    cast_case()
    bf16_case(rng)
    reduce_case(rng)
    norm_case(rng)
    shape_case(rng)
    linalg_case(rng)
    compute_case(rng)
    mlp_case(rng)
    conv_case(rng)
    index_case(rng)
    quant_case(rng)
    conv_more_case(rng)
    sparse_case(rng)
    index_more_case(rng)
    quant_more_case(rng)
    bf16_matmul_case(rng)
    if os.path.isdir(ROOT):
        for d in os.listdir(ROOT):
            p = os.path.join(ROOT, d)
            if os.path.isdir(p) and os.path.exists(os.path.join(p, "case.lua")):
                shutil.rmtree(p)
    total = 0
    for name, dsl, dims, inputs, outputs, pending in CASES:
        d = os.path.join(ROOT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "case.lua"), "w") as f:
            # The file's stem, "case", is a C keyword: name the kernel.
            f.write("kernel('%s')\n" % name + dsl)
        with open(os.path.join(d, "case.txt"), "w") as f:
            for k, v in dims.items():
                f.write("%s=%d\n" % (k, v))
        if pending:
            with open(os.path.join(d, "pending.txt"), "w") as f:
                f.write(pending + "\n")
        for n, a in inputs:
            np.save(os.path.join(d, n + ".npy"), np.array(a, order="C"))
        for n, a in outputs:
            np.save(os.path.join(d, "expect_" + n + ".npy"), np.array(a, order="C"))
        total += sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print("wrote %d fixtures (%d bytes) under %s" % (len(CASES), total, os.path.normpath(ROOT)))


if __name__ == "__main__":
    with np.errstate(all="ignore"):
        sys.exit(main())
