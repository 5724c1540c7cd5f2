"""Lesson 05 exercises: bincount group sums, an O(N) rolling mean, spotting O(N·K) loops, a NaN-correct kernel.

Each question's classic mistake is in ``wrong_answers``. Learners may decorate their answers with
``numba.njit``; a stub that raises ``NotImplementedError`` (plain or jitted) is reported "not attempted".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pharma_kit import fast
from pharma_kit.exercises.core import Question

# ---------------------------------------------------------------------------------------------- q1
def _group_sum_cases(rng: np.random.Generator) -> list[dict]:
    def draw(n: int, n_keys: int, nan_share: float, sparse: bool) -> dict:
        pool = np.sort(rng.choice(10**6 if sparse else n_keys * 2, size=n_keys, replace=False))
        keys = pool[rng.integers(0, n_keys, n)]
        values = np.round(rng.gamma(2.0, 10.0, n), 2)
        values[rng.random(n) < nan_share] = np.nan
        return {"keys": keys.astype("int64"), "values": values}

    edge_keys = np.array([900_000, 3, 900_000, 41, 41, 3], dtype="int64")
    edge_values = np.array([1.5, np.nan, 2.0, np.nan, np.nan, 4.25])  # key 41 has only NaN amounts
    return [
        {"keys": edge_keys, "values": edge_values},
        {"keys": np.array([5], dtype="int64"), "values": np.array([-2.0])},
        draw(300, 40, 0.1, sparse=False),
        draw(2_000, 150, 0.3, sparse=True),
    ]


def _wrong_group_sum_nan(keys, values):
    uniques, codes = np.unique(keys, return_inverse=True)
    return pd.Series(np.bincount(codes, weights=values, minlength=len(uniques)),
                     index=pd.Index(uniques, name="key"), name="total")  # NaN weights make the whole group NaN


def _wrong_group_sum_raw_ids(keys, values):
    sums = np.bincount(keys, weights=np.nan_to_num(values))  # one bin per possible id ...
    ids = np.flatnonzero(sums)  # ... then "non-empty" = non-zero: drops groups whose total is 0
    return pd.Series(sums[ids], index=pd.Index(ids, name="key"), name="total")


def _group_sum_unique_inverse(keys, values):
    uniques, codes = np.unique(keys, return_inverse=True)
    values = np.asarray(values, dtype=float)
    sums = np.bincount(codes, weights=np.nan_to_num(values, nan=0.0), minlength=len(uniques))
    return pd.Series(sums, index=pd.Index(uniques, name="key"), name="total")


def _group_sum_searchsorted(keys, values):
    uniques = np.unique(keys)
    codes = np.searchsorted(uniques, keys)  # position of each key among the sorted distinct keys
    present = ~np.isnan(values)
    sums = np.bincount(codes[present], weights=values[present], minlength=len(uniques)).astype(float)
    out = pd.Series(sums, index=uniques, name="total")
    out.index.name = "key"
    return out


q1 = Question(
    name="l05_bincount_group_sum",
    prompt=("Given integer `keys` (customer ids: sparse, not 0..K-1) and float `values` (amounts, may be NaN), "
            "return the sum of values per distinct key as a float Series named 'total', indexed by the sorted "
            "distinct keys (index name 'key'). Skip NaN like pandas: a key whose values are all NaN totals 0.0. "
            "Use np.bincount, not groupby."),
    reference=fast.group_sum,
    cases=_group_sum_cases,
    hints=["np.bincount wants small non-negative integers: turn the keys into codes 0..K-1 first "
           "(pd.factorize(keys, sort=True) or fast.dense_codes).",
           "NaN weights poison their bin: pass np.where(np.isnan(values), 0.0, values). And pass minlength=K.",
           "pd.factorize(keys, sort=True) gives (codes, uniques): the codes are bincount's bins, the uniques "
           "label them in the result."],
    wrong_answers={"NaN weights poison the group": _wrong_group_sum_nan,
                   "bincount on raw ids, non-zero bins taken as the groups": _wrong_group_sum_raw_ids},
    right_answers={"np.unique(return_inverse=True) codes": _group_sum_unique_inverse,
                   "searchsorted codes, NaN rows left out": _group_sum_searchsorted},
    explanation=("bincount is a single O(N) pass with no hashing, but only over dense codes; with raw ids you "
                 "allocate max(id) bins and cannot tell an empty bin from a group that sums to zero."),
)


# ---------------------------------------------------------------------------------------------- q2
def _rolling_cases(rng: np.random.Generator) -> list[dict]:
    spiky = rng.uniform(0.0, 25.0, 3_000)
    spiky[int(rng.integers(100, 400))] = 1e12 + 0.37  # one absurd amount; later windows must not remember it
    return [
        {"values": np.array([1.0, 2.0, 3.0, 4.0, 5.0]), "window": 2},
        {"values": np.array([4.0, 1.0]), "window": 3},  # window longer than the data
        {"values": np.array([0.1] * 8), "window": 1},
        {"values": rng.normal(50.0, 10.0, 500), "window": int(rng.integers(2, 40))},
        {"values": spiky, "window": 30},
    ]


def _wrong_partial_windows(values, window):
    out = np.empty(len(values))
    for i in range(len(values)):  # the source notes' kernel: partial windows at the start, O(N·W)
        out[i] = np.mean(values[max(0, i - window + 1):i + 1])
    return out


def _wrong_plain_running_sum(values, window):
    c = np.concatenate([[0.0], np.cumsum(values)])  # O(N), but rounding error never leaves the sum
    out = np.full(len(values), np.nan)
    if len(values) >= window:
        out[window - 1:] = (c[window:] - c[:-window]) / window
    return out


def _kahan_add(total, comp, v):
    y = v - comp
    t = total + y
    return t, (t - total) - y


def _wrong_one_compensation(values, window):
    out = np.full(len(values), np.nan)
    total, comp = 0.0, 0.0
    for i, v in enumerate(values):  # ONE Kahan term shared by adds and removes: removing 1e12 wipes it out
        total, comp = _kahan_add(total, comp, v)
        if i >= window:
            total, comp = _kahan_add(total, comp, -values[i - window])
        if i >= window - 1:
            out[i] = total / window
    return out


_ROLLING_SOLUTION = '''\
def rolling_mean_fixed(values, window):
    out = np.full(len(values), np.nan)
    total = 0.0
    comp_in = comp_out = 0.0      # Kahan terms: the low bits each addition rounded away
    for i in range(len(values)):
        if i >= window:           # the value leaving the window (its own compensation term)
            y = -values[i - window] - comp_out
            t = total + y
            comp_out = (t - total) - y
            total = t
        y = values[i] - comp_in   # the value entering the window
        t = total + y
        comp_in = (t - total) - y
        total = t
        if i >= window - 1:
            out[i] = total / window
    return out'''

def _rolling_two_sum(values, window):
    out = np.full(len(values), np.nan)
    hi, lo = 0.0, 0.0  # the running sum is hi + lo; lo collects the exact rounding error of every update

    def add(hi, lo, v):
        s = hi + v
        bv = s - hi
        return s, lo + ((hi - (s - bv)) + (v - bv))  # TwoSum: what hi + v rounded away

    for i, v in enumerate(values):
        hi, lo = add(hi, lo, v)
        if i >= window:
            hi, lo = add(hi, lo, -values[i - window])
        if i >= window - 1:
            out[i] = (hi + lo) / window
    return out


def _rolling_pandas(values, window):
    return pd.Series(values).rolling(window).mean().to_numpy()  # pandas' own O(N) compensated kernel


q2 = Question(
    name="l05_rolling_mean_o_n",
    prompt=("Return the trailing mean over `window` values as a float array the same length as `values` "
            "(no NaN in the input): NaN until a full window is available, like pd.Series(values).rolling(window)"
            ".mean(). Do it in O(N): keep a running sum, add the value entering the window and subtract the one "
            "leaving it, and make sure one huge value (1e12) leaves no trace once it has left the window."),
    reference=fast.rolling_mean,
    cases=_rolling_cases,
    hints=["Re-summing every window is O(N·W). Keep one running total instead.",
           "A plain running total drifts: adding then removing 1e12 loses the cents. Carry a Kahan compensation "
           "term (the low-order bits each addition rounded away).",
           "Keep TWO compensation terms, one for values entering and one for values leaving (pandas does the same): "
           "with a single shared term, removing the 1e12 throws the saved bits away."],
    wrong_answers={"partial windows at the start (the source notes' kernel)": _wrong_partial_windows,
                   "plain running sum drifts after the spike": _wrong_plain_running_sum,
                   "one Kahan term shared by adds and removes": _wrong_one_compensation},
    right_answers={"error-free TwoSum running total": _rolling_two_sum, "pandas rolling": _rolling_pandas},
    solution_text=_ROLLING_SOLUTION,
    explanation=("O(N) comes from updating the window sum, not recomputing it; compensated summation keeps "
                 "the update exact enough that a 1e12 spike is gone once it leaves the window."),
)


# ---------------------------------------------------------------------------------------------- q3
#: Code fragments for "spot the O(N·K) loop". N rows in ``df``/``ids``, K distinct customers.
SNIPPETS: dict[str, str] = {
    "A": "totals = {c: amounts[ids == c].sum() for c in np.unique(ids)}",
    "B": "totals = df.groupby('customer_id')['amount'].sum()",
    "C": "codes, uniq = pd.factorize(ids); totals = np.bincount(codes, weights=amounts)",
    "D": "last = customers['customer_id'].apply(lambda c: df.loc[df['customer_id'] == c, 'order_date'].max())",
    "E": "sorted_ids = np.sort(ids)\nfirst_row = [np.searchsorted(sorted_ids, c) for c in uniq]",
    "F": "spend = [df.query('customer_id == @c')['amount'].sum() for c in uniq]",
    "G": "order = np.argsort(ids, kind='stable'); starts = np.flatnonzero(np.diff(ids[order], prepend=-1))",
}
_QUADRATIC = ["A", "D", "F"]


def show_snippets() -> None:
    """Print the q3 fragments, labelled."""
    for label, code in SNIPPETS.items():
        print(f"--- {label} ---\n{code}")


def quadratic_snippets() -> list[str]:
    """The reference for q3: the fragments that scan all N rows once per customer (a mask per customer)."""
    return list(_QUADRATIC)


def _sorted_labels(fn, case):
    """The prompt fixes no order: a list or tuple is compared sorted; anything else is compared as it is."""
    got = fn(**case)
    return sorted(got) if isinstance(got, (list, tuple)) else got


def _quadratic_by_reading_the_code():
    return [label for label, code in SNIPPETS.items() if "== c" in code or "== @c" in code]


q3 = Question(
    name="l05_spot_the_quadratic_loop",
    prompt=("Run ex.show_snippets(). Which fragments are O(N·K) — they do a full pass over all N rows once "
            "per customer? Return their labels as a list, e.g. ['A', 'X']."),
    reference=quadratic_snippets,
    cases=lambda rng: [{}],
    runner=_sorted_labels,
    hints=["Look for a comparison against the whole column (`== c`, a query, a mask) inside something that runs "
           "once per customer: a for loop, a comprehension, or .apply.",
           "A loop over customers is fine when each step is cheap: a binary search is O(log N), not O(N)."],
    wrong_answers={"only the explicit loop": lambda: ["A"],
                   "a binary search per customer is not a scan": lambda: ["A", "D", "E", "F"],
                   "groupby is not a loop in disguise": lambda: ["A", "B", "D", "F"],
                   "a string, not a list": lambda: "ADF"},
    right_answers={"another order": lambda: ["F", "D", "A"], "a tuple": lambda: ("A", "D", "F"),
                   "picked by the mask inside": _quadratic_by_reading_the_code},
    explanation=("A, D and F build a boolean mask over all N rows per customer (D hides the loop in .apply, F in "
                 "query); E loops over customers too but each step is a log N binary search; B, C, G are O(N) or "
                 "O(N log N) once."),
)


# ---------------------------------------------------------------------------------------------- q4
def _nan_cases(rng: np.random.Generator) -> list[dict]:
    def draw(n: int, nan_share: float) -> np.ndarray:
        x = rng.normal(20.0, 8.0, n)
        x[rng.random(n) < nan_share] = np.nan
        return x

    gap = draw(400, 0.05)
    gap[100:160] = np.nan  # a gap longer than the window: those windows hold no value at all
    return [
        {"values": np.array([1.0, np.nan, 3.0, 4.0, np.nan, np.nan, 7.0]), "window": 3, "min_periods": 1},
        {"values": np.array([np.nan, np.nan, 2.0, 6.0]), "window": 2, "min_periods": 2},
        {"values": np.array([np.nan, 5.0, np.nan]), "window": 5, "min_periods": 0},  # window longer than the data
        {"values": gap, "window": 20, "min_periods": 15},
        {"values": draw(1_500, 0.2), "window": int(rng.integers(2, 50)), "min_periods": 1},
    ]


def _wrong_nan_poisons(values, window, min_periods):
    out = np.full(len(values), np.nan)
    total, count = 0.0, 0
    for i, v in enumerate(values):  # NaN goes into the running sum: every later window is NaN
        total += v
        count += 1
        if i >= window:
            total -= values[i - window]
            count -= 1
        if count >= max(min_periods, 1):
            out[i] = total / count
    return out


def _wrong_nan_as_zero(values, window, min_periods):
    return pd.Series(np.nan_to_num(values, nan=0.0)).rolling(window, min_periods=min_periods).mean().to_numpy()


_NAN_SOLUTION = '''\
@numba.njit
def rolling_mean_nan(values, window, min_periods):
    out = np.empty(len(values))
    total, comp_in, comp_out, nobs = 0.0, 0.0, 0.0, 0
    for i in range(len(values)):
        v = values[i]
        if v == v:                      # NaN != NaN: count values, never sum a NaN
            nobs += 1
            y = v - comp_in; t = total + y; comp_in = (t - total) - y; total = t
        if i >= window:
            u = values[i - window]
            if u == u:
                nobs -= 1
                y = -u - comp_out; t = total + y; comp_out = (t - total) - y; total = t
        out[i] = total / nobs if nobs >= max(min_periods, 1) else np.nan
    return out'''

def _nan_mean_cumsum(values, window, min_periods):
    present = ~np.isnan(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(present, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(present)])
    end = np.arange(1, len(values) + 1)
    start = np.maximum(end - window, 0)
    total, nobs = sums[end] - sums[start], counts[end] - counts[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(nobs >= max(min_periods, 1), total / nobs, np.nan)


def _nan_mean_window_loop(values, window, min_periods):
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        w = values[max(0, i - window + 1):i + 1]
        w = w[~np.isnan(w)]
        if len(w) >= max(min_periods, 1):
            out[i] = w.mean()
    return out


q4 = Question(
    name="l05_nan_correct_kernel",
    prompt=("Write a rolling mean kernel (Numba welcome) that skips NaN like pandas: the mean of the non-NaN "
            "values in each window of `window` positions, or NaN when fewer than `min_periods` (and at least 1) "
            "values are present. Must equal pd.Series(values).rolling(window, min_periods=min_periods).mean(). "
            "A NaN may only affect the windows that contain it."),
    reference=fast.rolling_mean,
    cases=_nan_cases,
    hints=["Count the non-NaN values in the window (`nobs`) instead of assuming there are `window` of them.",
           "`v == v` is False only for NaN (and works inside @njit): add to the sum and nobs only then; do the "
           "same test for the value leaving the window.",
           "Each output depends only on nobs and min_periods: how many values must be present, at the least?"],
    wrong_answers={"NaN poisons the running sum": _wrong_nan_poisons,
                   "NaN treated as zero": _wrong_nan_as_zero},
    right_answers={"cumulative sums and counts": _nan_mean_cumsum, "re-reads each window": _nan_mean_window_loop,
                   "pandas rolling": lambda values, window, min_periods: pd.Series(values).rolling(
                       window, min_periods=min_periods).mean().to_numpy()},
    solution_text=_NAN_SOLUTION,
    explanation="Counting the values present (nobs) keeps a NaN local to its windows and divides by the right n.",
)

QUESTIONS = [q1, q2, q3, q4]

__all__ = ["QUESTIONS", "SNIPPETS", "q1", "q2", "q3", "q4", "quadratic_snippets", "show_snippets"]

# `ex.progress()` in a notebook: what you solved, attempted and what is next (same as `pharma-kit progress`)
from pharma_kit.exercises.progress import progress  # noqa: E402,F401
