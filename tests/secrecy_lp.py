"""The interval a linear form can take over {A x = b, lo ≤ x ≤ hi}: the attacker's linear
program of the secrecy audit (tests/test_secrecy_audit.py).

scipy.optimize.linprog (HiGHS) when scipy is installed; otherwise a small dense two-phase
simplex with Bland's rule (exact enough for the audit's integer data, a few hundred
variables), whose phase 1 is solved once for all the objectives.
"""

from __future__ import annotations

import numpy as np

TOL = 1e-9

try:  # pragma: no cover - depends on the environment
    from scipy.optimize import linprog
except ImportError:  # scipy is not in the project's environment
    linprog = None


def intervals(
    a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray, objectives: list[np.ndarray]
) -> list[tuple[float, float]]:
    """(min, max) of c·x for each c of `objectives`, x ≥ lo, x ≤ hi (inf: none), A x = b."""
    assert np.isfinite(a).all() and np.isfinite(b).all() and np.isfinite(lo).all()
    if linprog is not None:  # pragma: no cover
        out = []
        bounds = [(lo[i], None if np.isinf(hi[i]) else hi[i]) for i in range(len(lo))]
        for c in objectives:
            low = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            high = linprog(-c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
            assert low.status == 0 and high.status in (0, 3), (low.message, high.message)
            out.append((low.fun, np.inf if high.status == 3 else -high.fun))
        return out
    feasible = _Feasible(a, b, lo, hi)
    return [(feasible.minimum(c), -feasible.minimum(-c)) for c in objectives]


class _Feasible:
    """A feasible basic tableau of the standard form of the problem, found once."""

    def __init__(self, a, b, lo, hi):
        m, n = a.shape
        self.n, self.lo = n, lo
        finite = np.flatnonzero(np.isfinite(hi))
        # y = x − lo ≥ 0; y_i + s_i = hi_i − lo_i for the finite upper bounds.
        rows = np.zeros((m + len(finite), n + len(finite)))
        rows[:m, :n] = a
        rows[m + np.arange(len(finite)), finite] = 1.0
        rows[m + np.arange(len(finite)), n + np.arange(len(finite))] = 1.0
        rhs = np.concatenate([b - a @ lo, hi[finite] - lo[finite]])
        negative = rhs < 0
        rows[negative] *= -1
        rhs[negative] *= -1
        total_rows, columns = rows.shape
        # Phase 1: an artificial variable per row, minimise their sum.
        tableau = np.zeros((total_rows + 1, columns + total_rows + 1))
        tableau[:total_rows, :columns] = rows
        tableau[:total_rows, columns : columns + total_rows] = np.eye(total_rows)
        tableau[:total_rows, -1] = rhs
        tableau[-1, :columns] = -rows.sum(0)
        tableau[-1, -1] = -rhs.sum()
        basis = columns + np.arange(total_rows)
        status = _simplex(tableau, basis, columns + total_rows)
        assert status == "optimal"
        if -tableau[-1, -1] > 1e-7:
            raise ValueError("infeasible: the published figures contradict each other")
        # Pivot the artificial variables out of the basis; drop the redundant rows.
        keep = []
        for i in range(total_rows):
            if basis[i] < columns:
                keep.append(i)
                continue
            nonzero = np.flatnonzero(np.abs(tableau[i, :columns]) > 1e-7)
            if nonzero.size:
                _pivot(tableau, i, nonzero[0])
                basis[i] = nonzero[0]
                keep.append(i)
        self.tableau = np.hstack([tableau[keep][:, :columns], tableau[keep][:, -1:]])
        self.basis = basis[keep]
        self.columns = columns

    def minimum(self, c: np.ndarray) -> float:
        cost = np.zeros(self.columns)
        cost[: self.n] = c
        tableau = np.vstack([self.tableau, np.zeros(self.columns + 1)])
        tableau[-1, :-1] = cost - cost[self.basis] @ self.tableau[:, :-1]
        tableau[-1, -1] = -cost[self.basis] @ self.tableau[:, -1]
        basis = self.basis.copy()
        if _simplex(tableau, basis, self.columns) == "unbounded":
            return -np.inf
        return -tableau[-1, -1] + float(c @ self.lo)


def _pivot(tableau: np.ndarray, row: int, col: int) -> None:
    tableau[row] /= tableau[row, col]
    factors = tableau[:, col].copy()
    factors[row] = 0.0
    tableau -= np.outer(factors, tableau[row])


def _simplex(tableau: np.ndarray, basis: np.ndarray, allowed: int) -> str:
    """Minimise in place (objective row last, rhs column last); Bland's rule, no cycling."""
    while True:
        reduced = tableau[-1, :allowed]
        entering = np.flatnonzero(reduced < -TOL)
        if entering.size == 0:
            return "optimal"
        col = entering[0]
        column = tableau[:-1, col]
        positive = column > TOL
        if not positive.any():
            return "unbounded"
        ratios = np.full(column.shape, np.inf)
        ratios[positive] = tableau[:-1, -1][positive] / column[positive]
        ties = np.flatnonzero(ratios <= ratios.min() + TOL)
        row = ties[np.argmin(basis[ties])]
        _pivot(tableau, row, col)
        basis[row] = col
