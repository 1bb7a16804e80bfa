"""The interval a linear form can take over {A x = b, lo ≤ x ≤ hi}: the attacker's linear
program of the secrecy audit (tests/secrecy_audit.py), solved by HiGHS through scipy."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def intervals(
    a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray, objectives: list[np.ndarray]
) -> list[tuple[float, float]]:
    """(min, max) of c·x for each c of `objectives`, x ≥ lo, x ≤ hi (inf: none), A x = b."""
    assert np.isfinite(a).all() and np.isfinite(b).all() and np.isfinite(lo).all()
    bounds = [(lo[i], None if np.isinf(hi[i]) else hi[i]) for i in range(len(lo))]
    out = []
    for c in objectives:
        low = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        if low.status == 2:
            raise ValueError("infeasible: the published figures contradict each other")
        high = linprog(-c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        assert low.status == 0 and high.status in (0, 3), (low.message, high.message)
        out.append((low.fun, np.inf if high.status == 3 else -high.fun))
    return out
