"""Reference values for the statistics tests, computed independently with SciPy.

Usage: python3 reference.py fisher|chi2|hwe < input > output, one case per line:
  fisher, chi2: "a b c d", the 2x2 table [[a, b], [c, d]]
  hwe:          "het hom1 hom2"
Output: one line per case, floats printed with repr (17 significant digits).
"""
import sys

import numpy as np
from scipy import stats
from scipy.special import gammaln, logsumexp


def fisher(a, b, c, d):
    res = stats.fisher_exact([[a, b], [c, d]])
    return [res.statistic, res.pvalue]


def chi2(a, b, c, d):
    t = np.array([[a, b], [c, d]], dtype=np.float64)
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return ["none", "none"]
    statistic, p, dof, expected = stats.chi2_contingency(t, correction=False)
    assert dof == 1
    return [statistic, p] + list(expected.ravel())


def hwe(het, hom1, hom2):
    """Brute force: every heterozygote count of the same parity, its exact
    probability from log-factorials (Levene 1949), summed over those no more likely
    than the observed one (relative tolerance 1e-7 for ties)."""
    n = het + hom1 + hom2
    n1 = 2 * hom1 + het
    n2 = 2 * hom2 + het
    if n1 == 0 or n2 == 0:
        return [1.0]
    rare = min(n1, n2)

    def logp(h):
        r = (rare - h) // 2
        c = n - h - r
        return (gammaln(n + 1) - gammaln(r + 1) - gammaln(h + 1) - gammaln(c + 1)
                + h * np.log(2.0) + gammaln(n1 + 1) + gammaln(n2 + 1) - gammaln(2 * n + 1))

    hs = [h for h in range(rare % 2, rare + 1, 2)]
    lps = np.array([logp(h) for h in hs])
    observed = logp(het)
    keep = lps <= observed + 1e-7
    return [min(1.0, float(np.exp(logsumexp(lps[keep]) - logsumexp(lps))))]


def main():
    kind = sys.argv[1]
    f = {"fisher": fisher, "chi2": chi2, "hwe": hwe}[kind]
    out = []
    for line in sys.stdin:
        if not line.strip():
            continue
        values = [int(v) for v in line.split()]
        out.append(" ".join(repr(float(v)) if v != "none" else "none" for v in f(*values)))
    sys.stdout.write("\n".join(out) + "\n")


main()
