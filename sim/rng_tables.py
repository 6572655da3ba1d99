#!/usr/bin/env python3
"""Tables of sim/rng.c's exponential ziggurat (256 layers), in 80-digit
decimal arithmetic (Python's standard library only).

f(x) = exp(-x). Layers i = 1..255 are the rectangles [0, x_i] x
[f(x_i), f(x_{i+1})] of equal area v, with x_1 = r, x_256 = 0; layer 0 is
the base [0, x_0] x [0, f(r)] of area v too (x_0 = v / f(r)), whose part
beyond r stands for the tail (area f(r)). So
    v = r f(r) + f(r),   x_{i+1} = f^-1(f(x_i) + v / x_i),
and r is the root of "the top layer ends at f = 1": f(x_255) + v/x_255 = 1.
Printed: r, v, and for i = 0..255
    k[i] = ceil(2^53 x_{i+1} / x_i)  (u53 < k[i]  <=>  u53 x_i / 2^53 < x_{i+1})
    w[i] = x_i / 2^53                (exact: a power-of-two scaling of x_i)
and f[i] = f(x_i) for i = 0..256 (f[256] = 1), each rounded to the nearest
double. Run: python3 sim/rng_tables.py > /tmp/t.c and paste between the
markers in sim/rng.c."""
from decimal import Decimal as D, getcontext, ROUND_CEILING
getcontext().prec = 80
N = 256


def layers(r):
    fr = (-r).exp()
    v = (r + 1) * fr
    x = [v / fr, r]
    for _ in range(2, N):
        a = (-x[-1]).exp() + v / x[-1]
        if a >= 1:
            return None, v   # layers reach the top too soon: r too small
        x.append(-a.ln())
    return x, v


def top_gap(r):
    x, v = layers(r)
    if x is None:
        return D(1)
    return (-x[-1]).exp() + v / x[-1] - 1


lo, hi = D("7.6"), D("7.8")
assert top_gap(lo) > 0 > top_gap(hi)
for _ in range(250):
    mid = (lo + hi) / 2
    if top_gap(mid) > 0:
        lo = mid
    else:
        hi = mid
r = (lo + hi) / 2
x, v = layers(r)
x.append(D(0))
assert len(x) == N + 1
two53 = D(2) ** 53


def dbl(d):
    return float(d).hex()


print("/* r = %s */" % format(r, ".25f"))
print("/* v = %s */" % format(v, ".25e"))
print("#define ZIG_R %s /* %s */" % (dbl(r), format(r, ".20f")))
k = [int((two53 * x[i + 1] / x[i]).to_integral_value(rounding=ROUND_CEILING)) for i in range(N)]
print("const uint64_t rng__zig_k[256] = {")
for i in range(0, N, 4):
    print("    " + ", ".join("0x%014xULL" % k[j] for j in range(i, i + 4)) + ",")
print("};")
print("const double rng__zig_w[256] = {")
for i in range(0, N, 3):
    print("    " + ", ".join(dbl(x[j] / two53) for j in range(i, min(i + 3, N))) + ",")
print("};")
print("static const double zig_f[257] = {")
f = [(-xi).exp() for xi in x]
for i in range(0, N + 1, 3):
    print("    " + ", ".join(dbl(f[j]) for j in range(i, min(i + 3, N + 1))) + ",")
print("};")
