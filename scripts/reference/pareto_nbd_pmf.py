"""Reference values of the Pareto/NBD P(X(T, T+t] = n | x, t_x, T) with enough digits.

The closed form of Fader & Hardie, "Deriving the conditional PMF of the Pareto/NBD model"
(2006; brucehardie.com/notes/028), evaluated with mpmath's arbitrary-precision hyp2f1, so the
"second - third" difference that cancels in float64 is exact here: each case runs with 60
digits more than the cancellation can cost (the digits below 1 of the smallest term kept,
which bounds the result from below). A new customer is the
history (0, 0, 0). Prints Rust tuples (r, alpha, s, beta, x, t_x, T, t, n, ln P) for the
tests of core/src/ltv/pareto_nbd.rs (ln P, since many of the values are below f64's range). Run with mpmath 1.3.0: python scripts/reference/pareto_nbd_pmf.py
"""
import mpmath as mp




def likelihood(r, alpha, s, beta, x, tx, T):
    """The Pareto/NBD likelihood of one history (Fader, Hardie & Lee 2005 note 008)."""
    mx, mn = (alpha, beta) if alpha >= beta else (beta, alpha)
    p = s + 1 if alpha >= beta else r + x
    a0 = lambda u: mp.hyp2f1(r + s + x, p, r + s + x + 1, (mx - mn) / (mx + u)) / (mx + u) ** (r + s + x)
    g = mp.gamma(r + x) * alpha ** r * beta ** s / mp.gamma(r)
    return g * (1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / (r + s + x) * (a0(tx) - a0(T)))


def pmf(r, alpha, s, beta, x, tx, T, t, n):
    r, alpha, s, beta, x, tx, T, t = map(mp.mpf, (r, alpha, s, beta, x, tx, T, t))
    L = likelihood(r, alpha, s, beta, x, tx, T)
    mx, mn = (alpha, beta) if alpha >= beta else (beta, alpha)
    p = s + 1 if alpha >= beta else r + x + n
    ab = mx - mn
    zeroth = (1 - mp.gamma(r + x) * alpha ** r * beta ** s / (mp.gamma(r) * (alpha + T) ** (r + x) * (beta + T) ** s * L)) if n == 0 else 0
    first = (mp.gamma(r + x + n) * alpha ** r * beta ** s * t ** n
             / (mp.gamma(r) * mp.factorial(n) * (alpha + T + t) ** (r + x + n) * (beta + T + t) ** s)) / L
    common = alpha ** r * beta ** s * mp.beta(r + x + n, s + 1) / (mp.gamma(r) * mp.gamma(s))
    second = common * mp.gamma(r + s + x) * mp.hyp2f1(r + s + x, p, r + s + x + n + 1, ab / (mx + T)) / (mx + T) ** (r + s + x) / L
    third = 0
    for i in range(n + 1):
        third += (common * mp.gamma(r + s + x + i) * t ** i / mp.factorial(i)
                  * mp.hyp2f1(r + s + x + i, p, r + s + x + n + 1, ab / (mx + T + t)) / (mx + T + t) ** (r + s + x + i))
    return zeroth + first + second - third / L


CASES = []
for params in [(0.553, 10.578, 0.606, 11.669), (0.8, 20.0, 1.5, 5.0), (2.5, 3.0, 0.3, 40.0)]:
    for t in (1, 39, 520, 1040):
        for n in (0, 1, 5, 20, 100, 500):
            CASES.append(params + (0, 0, 0, t, n))
for hist in [(2, 30.43, 38.86), (10, 35.0, 39.0), (0, 0, 39.0), (60, 38.0, 39.0)]:
    for t in (39, 104):
        for n in (0, 1, 5, 50, 200):
            CASES.append((0.553, 10.578, 0.606, 11.669) + hist + (t, n))

def digits_needed(r, alpha, s, beta, x, tx, T, t, n):
    """60 plus the decimal exponent of the term P is at least (alive through t), which bounds
    how much of the O(1) terms cancels."""
    mp.mp.dps = 30
    r, alpha, s, beta, x, T, t = map(mp.mpf, (r, alpha, s, beta, x, T, t))
    ln_first = (mp.loggamma(r + x + n) - mp.loggamma(r + x) - mp.loggamma(n + 1) + (r + x) * mp.log((alpha + T) / (alpha + T + t))
                + n * mp.log(t / (alpha + T + t)) + s * mp.log((beta + T) / (beta + T + t)))
    return 60 + int(max(0, -ln_first / mp.log(10)))


for c in CASES:
    digits = digits_needed(*c)
    mp.mp.dps = digits
    v = pmf(*c)
    mp.mp.dps = digits + 100  # the same value with 100 more digits: nothing cancelled away
    again = pmf(*c)
    assert v > 0 and abs(mp.log(again) - mp.log(v)) < mp.mpf(10) ** -20, c
    print(f"    ({', '.join(repr(float(x)) for x in c[:8])}, {c[8]}, {mp.nstr(mp.log(v), 17)}),", flush=True)
