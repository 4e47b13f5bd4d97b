"""The numba kernel of the fixed-step path (imported only when numba is used).

See :mod:`._kernels` for what it does; kept apart so that importing eicircuits never imports
numba, and at module level so that numba can cache the compiled code on disk. Without numba the
functions stay plain Python (importable, e.g. by doctest collection, but never used).
"""

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is optional; keep the module importable
    numba = None

#: States below this magnitude are set to 0: a silent neuron decays geometrically and would
#: otherwise reach subnormal numbers, whose arithmetic is ~100x slower on x86.
FLUSH = 1e-250
#: The same for float32 states (subnormal below 1.2e-38); the caller passes the cut-off of the
#: state's precision to :func:`advance`.
FLUSH32 = 1e-30

# Every kernel below is written once for float64 and float32: numba compiles one version per
# dtype signature, and the literals that would promote a float32 expression to float64 come
# from the arrays' own type (``x.dtype.type(0)``) or from float32 constants.

jit = (
    numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
    if numba is not None
    else (lambda fn: fn)
)


#: Constants of :func:`logistic_simd` (exp by Cody–Waite reduction and a degree-13 Taylor
#: polynomial on |r| ≤ ln 2 / 2, 2^k built from the bits of the rounding constant).
LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
ROUND = 6755399441055744.0  # 1.5 · 2^52: y + ROUND rounds y to an integer in the low bits
ROUND_BITS = int(np.array([ROUND]).view(np.int64)[0])


# no "reassoc" here: it would fold (t − ROUND) back into y·log2(e) and lose the rounding
@(numba.njit(cache=True, nogil=True, fastmath={"contract"}) if numba is not None
  else (lambda fn: fn))
def logistic_simd(z, scratch):
    """``z ← 1/(1 + e^{−4z})`` in three branch-free loops that LLVM vectorises (numba has no
    vector ``exp`` without Intel's SVML): 0.34 µs instead of 0.74 µs for 160 values, within
    4 ulp of ``scipy.special.expit`` (libm's ``exp`` there: exact to the last bit)."""
    n = z.shape[0]
    bits = scratch.view(np.int64)
    for i in range(n):
        y = -4.0 * z[i]
        y = -708.0 if y < -708.0 else (708.0 if y > 708.0 else y)  # e^y normal; NaN stays
        t = y * LOG2E + ROUND
        k = t - ROUND
        r = (y - k * LN2_HI) - k * LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        scratch[i] = t
        z[i] = p  # e^r
    for i in range(n):
        bits[i] = ((bits[i] - ROUND_BITS) + 1023) << 52  # 2^k
    for i in range(n):
        z[i] = 1.0 / (1.0 + z[i] * scratch[i])


#: Constants of :func:`logistic_simd32`, the float32 twin (degree-7 polynomial: truncation
#: error ≤ 0.35^8/8! ≈ 5e-9, below float32's 6e-8 rounding; 2^k for |k| ≤ 126 is normal).
_f32 = np.float32
LOG2E32 = _f32(1.4426950408889634)
LN2_HI32 = _f32(0.693359375)  # 9 significant bits: k · LN2_HI32 is exact for |k| ≤ 2^15
LN2_LO32 = _f32(-2.12194440e-4)
ROUND32 = _f32(12582912.0)  # 1.5 · 2^23
ROUND32_BITS = int(np.array([ROUND32]).view(np.int32)[0])
CLAMP32 = _f32(87.0)  # e^±87 is a normal float32
NEG4_32 = _f32(-4.0)
ONE32 = _f32(1.0)
POLY32 = tuple(_f32(1.0 / c) for c in (5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0))


@(numba.njit(cache=True, nogil=True, fastmath={"contract"}) if numba is not None
  else (lambda fn: fn))
def logistic_simd32(z, scratch):
    """:func:`logistic_simd` in float32 arithmetic (``z``, ``scratch`` float32): eight lanes
    per SIMD instruction instead of four; within a few float32 ulp of ``expit``."""
    n = z.shape[0]
    bits = scratch.view(np.int32)
    c7, c6, c5, c4, c3, c2, c1, c0 = POLY32
    for i in range(n):
        y = NEG4_32 * z[i]
        y = -CLAMP32 if y < -CLAMP32 else (CLAMP32 if y > CLAMP32 else y)  # NaN stays
        t = y * LOG2E32 + ROUND32
        k = t - ROUND32
        r = (y - k * LN2_HI32) - k * LN2_LO32
        p = c7
        p = p * r + c6
        p = p * r + c5
        p = p * r + c4
        p = p * r + c3
        p = p * r + c2
        p = p * r + c1
        p = p * r + c0
        scratch[i] = t
        z[i] = p  # e^r
    for i in range(n):
        bits[i] = ((bits[i] - ROUND32_BITS) + 127) << 23  # 2^k
    for i in range(n):
        z[i] = ONE32 / (ONE32 + z[i] * scratch[i])


@(numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, inline="always")
  if numba is not None else (lambda fn: fn))
def phi1(c, v, p0, p1):
    """``φ_c(v)`` for one value (activation code ``c``; ``p0``, ``p1`` its parameters)."""
    if c == 0:
        return v if v > 0.0 else 0.0
    if c == 1:
        return 0.0 if v < 0.0 else (p0 if v > p0 else v)
    if c == 2:
        return v
    if c == 3:
        return np.tanh(v)
    if c == 4:
        return 1.0 / (1.0 + np.exp(-4.0 * v))
    if c == 5:
        return (v if v > 0.0 else 0.0) + np.log1p(np.exp(-abs(v)))
    return p0 * (v if v > 0.0 else 0.0) ** p1


@jit
def phi_inplace(z, codes, params, scratch):
    """Overwrite ``z`` with ``Φ(z)`` (activation codes of :data:`._kernels.ACTIVATION_CODES`).

    ``codes`` of length 1 (one activation for every neuron): a loop without per-neuron
    look-ups, whose branch on the code LLVM hoists out of the loop (ReLU 0.33 → 0.09 µs,
    logistic 0.88 → 0.76 µs at n = 160; the same values bit for bit), and for the logistic
    :func:`logistic_simd` (0.34 µs, within 4 ulp; ``scratch``: n values it may overwrite).
    """
    if codes.shape[0] == 1:
        c = codes[0]
        p0, p1, s, th = params[0, 0], params[0, 1], params[0, 2], params[0, 3]
        if c == 4:
            if s != 1.0 or th != 0.0:
                for i in range(z.shape[0]):
                    z[i] = (z[i] - th) / s
            if z.itemsize == 4:
                logistic_simd32(z, scratch)
            else:
                logistic_simd(z, scratch)
        elif s == 1.0 and th == 0.0:
            for i in range(z.shape[0]):
                z[i] = phi1(c, z[i], p0, p1)
        else:
            for i in range(z.shape[0]):
                z[i] = phi1(c, (z[i] - th) / s, p0, p1)
        return
    for i in range(z.shape[0]):
        s = params[i, 2]
        v = z[i] if s == 1.0 and params[i, 3] == 0.0 else (z[i] - params[i, 3]) / s
        z[i] = phi1(codes[i], v, params[i, 0], params[i, 1])


@jit
def matvec_add(x, out, u, mat):
    """``out = W x + u``; ``mat = (dense, Wd, indptr, indices, data)``.

    Dense: four rows at a time, so each ``x[j]`` loaded serves four accumulators (best of 15
    interleaved runs: 2.15 → 2.01 µs per product at n = 160, 127 → 114 µs at n = 1000).
    """
    dense, Wd, indptr, indices, data = mat
    n = x.shape[0]
    zero = x.dtype.type(0)  # the accumulators in x's precision (0.0 would make them float64)
    if dense:
        i = 0
        while i + 4 <= n:
            s0 = zero
            s1 = zero
            s2 = zero
            s3 = zero
            for j in range(n):
                xj = x[j]
                s0 += Wd[i, j] * xj
                s1 += Wd[i + 1, j] * xj
                s2 += Wd[i + 2, j] * xj
                s3 += Wd[i + 3, j] * xj
            out[i] = s0 + u[i]
            out[i + 1] = s1 + u[i + 1]
            out[i + 2] = s2 + u[i + 2]
            out[i + 3] = s3 + u[i + 3]
            i += 4
        while i < n:
            s = zero
            for j in range(n):
                s += Wd[i, j] * x[j]
            out[i] = s + u[i]
            i += 1
    else:
        # indptr and indices come as unsigned views: numba then skips its negative-index
        # wraparound branch, which otherwise makes this gather loop 2-3x slower
        for i in range(n):
            s = zero
            for p in range(indptr[i], indptr[i + 1]):
                s += data[p] * x[indices[p]]
            out[i] = s + u[i]


@jit
def target(x, out, P, model):
    """``out = T(x)``; ``model = (form, u, mat, (codes, params))``, form 0 rate, 1 voltage."""
    form, u, mat, act = model
    codes, params = act
    if form == 0:
        matvec_add(x, out, u, mat)
        phi_inplace(out, codes, params, P)
    else:
        P[:] = x
        phi_inplace(P, codes, params, out)
        matvec_add(P, out, u, mat)


@jit
def advance(x, s0, k, model, scheme, buffers, save, bound, flush):
    """Take up to ``k`` steps from step index ``s0``; returns ``(done, r, bad)``.

    ``scheme = (G, g, nz, e, inc)``: the gains of :meth:`._schemes.Scheme.gain_arrays` — stage
    ``i`` evaluates ``T`` at ``Y_i = x + Σ_{j<i} G[i, j] ∘ K_j + e[i] ΔN`` (``nz[i, j]``: whether
    ``G[i, j]`` is used), ``K_i = T(Y_i) − Y_i``, and the step ends at
    ``x + Σ_i g[i] ∘ K_i + e[s] ΔN`` — with ``inc`` (k, n) the noise increments ``ΔN`` of the
    ``k`` steps, or shape (0, n) for none; ``buffers = (T, P, Y, K)``;
    ``save = (save_steps, out, r)``: after step ``s`` the state goes to ``out[r]`` while
    ``save_steps[r] == s``. A step whose result has ``|x_i| > bound`` (or NaN) is not accepted:
    ``done`` steps were taken, ``x`` is the last good state and ``bad`` the first bad neuron
    (``-1`` when all ``k`` steps succeeded). States with ``|x_i| < flush`` become 0
    (:data:`FLUSH`, :data:`FLUSH32`).

    Every array (``x``, the buffers, the gains, ``inc``, ``out``, ``W``, ``u``) has one float
    dtype, float64 or float32, and ``bound``, ``flush`` are scalars of it: the whole step then
    runs in that precision.
    """
    zero = x.dtype.type(0)
    G, g, nz, e, inc = scheme
    noisy = inc.shape[0] > 0
    T, P, Y, K = buffers
    save_steps, out, r = save
    n = x.shape[0]
    nsave = save_steps.shape[0]
    stages = g.shape[0]
    for j in range(k):
        # an and-reduction LLVM vectorises; the first bad neuron is searched only on failure
        # (a per-neuron branch in these loops cost 0.1–0.25 µs of a 3 µs step at n = 160)
        ok = True
        if stages == 1:  # Euler, exponential Euler, Euler–Maruyama: the loop below, fused
            target(x, T, P, model)
            g0 = g[0]
            for i in range(n):
                v = x[i] + g0[i] * (T[i] - x[i])
                if noisy:
                    v += e[1] * inc[j, i]
                T[i] = zero if abs(v) < flush else v  # NaN kept, for the search below
                ok &= abs(v) <= bound  # False for NaN
        else:
            ok = _stages(x, j, model, G, g, nz, e, inc, noisy, T, P, Y, K, bound, flush)
        if not ok:
            for i in range(n):
                if not (abs(T[i]) <= bound):
                    return j, r, i
        x[:] = T
        s = s0 + j + 1
        while r < nsave and save_steps[r] == s:
            out[r, :] = x
            r += 1
    return k, r, -1


@jit
def _stages(x, j, model, G, g, nz, e, inc, noisy, T, P, Y, K, bound, flush):
    """The multi-stage step of :func:`advance` (new state into ``T``); whether it is finite
    and within ``bound``."""
    zero = x.dtype.type(0)
    n = x.shape[0]
    stages = g.shape[0]
    last = stages - 1
    ok = True
    src = x
    for st in range(stages):
        src = x
        if st > 0:
            Y[:] = x
            for q in range(st):
                if nz[st, q]:
                    for i in range(n):
                        Y[i] += G[st, q, i] * K[q, i]
            if noisy and e[st] != 0.0:
                for i in range(n):
                    Y[i] += e[st] * inc[j, i]
            src = Y
        target(src, K[st], P, model)
        if st < last:  # the last increment is formed in the loop below
            for i in range(n):
                K[st, i] -= src[i]
    for i in range(n):
        v = x[i]
        for st in range(last):
            v += g[st, i] * K[st, i]
        v += g[last, i] * (K[last, i] - src[i])
        if noisy:
            v += e[stages] * inc[j, i]
        T[i] = zero if abs(v) < flush else v  # NaN kept, for the search below
        ok &= abs(v) <= bound  # False for NaN
    return ok
