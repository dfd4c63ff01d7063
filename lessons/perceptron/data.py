"""Tables for the single-layer perceptron: scikit-learn's embedded sets or a user's CSV (Qt-free).

Yoon, *Python raw-coding deep learning*, ch. 1-3 trains on abalone (regression), pulsar stars
(binary) and steel plates (multiclass), which the app cannot download; scikit-learn's bundled
diabetes (regression, Efron et al. 2004), breast cancer (binary, Wisconsin diagnostic) and wine
(three cultivars) play the same roles without a download.

A CSV needs a header line.  Numeric columns are used as they are; text columns are one-hot encoded
("colour=red", "colour=blue", ...).  The target is one column, or several one-hot columns (one
class each, exactly one 1 per row) for a multiclass target.  The task is inferred from the target
unless it is forced: text, or integers with at most ``MAX_INT_CLASSES`` distinct values, is
classification (two classes: binary); anything else numeric is regression.  The CSV is parsed with
the standard library's ``csv`` module.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from visualizer.data.text_file import read_csv_rows
from visualizer.core.lesson import LessonConfigError

DATASETS = ("diabetes", "breast_cancer", "wine", "csv")
TASKS = ("auto", "regression", "binary", "multiclass")
MAX_INT_CLASSES = 10            # an integer target with at most this many values is a class label
MAX_CATEGORIES = 30             # distinct values a text feature column may have (one-hot columns)
MAX_CLASSES = 20
MAX_ROWS = 100_000
MAX_BYTES = 32 * 2**20          # 100,000 rows of about 30 numbers
MIN_ROWS = 10


@dataclass
class Table:
    """A data set before splitting.

    x: (N, D) float64 features (text columns already one-hot encoded); feature_names: (D,) str.
    task: "regression", "binary" or "multiclass".  y: (N,) float64 targets for regression, (N,)
    int64 class ids in [0, K) otherwise.  class_names: (K,) for classification (() for regression);
    in a binary task class 1 is the *positive* class of precision and recall.  target_name: what y is.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    task: str
    target_name: str
    class_names: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Output neurons: 1 for regression and binary, K for multiclass."""
        return self.n_classes if self.task == "multiclass" else 1


@dataclass
class Split:
    """A table split into training and validation rows, features standardized (or not).

    x_train: (N_train, D), x_val: (N_val, D) in the model's dtype; y_*: targets as in :class:`Table`;
    mean, scale: (D,) float64, the training statistics (mean 0 and scale 1 when standardization is
    off); train_idx, val_idx: rows of the table."""

    table: Table
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    train_idx: np.ndarray
    val_idx: np.ndarray

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Raw features (M, D) -> model inputs (M, D) (standardized with the training statistics)."""
        return ((raw - self.mean) / self.scale).astype(self.x_train.dtype)


# ---- embedded sets ---------------------------------------------------------------------------------
def load_embedded(name: str) -> Table:
    """One of scikit-learn's bundled sets (no download).  Raises LessonConfigError for another name.

    diabetes: 442 × 10 raw clinical features (age, sex, BMI, blood pressure, six blood serum
    measurements), target a disease-progression score 25-346.  breast_cancer: 569 × 30 cell-nucleus
    measurements; class 1 (positive) = malignant, 212 of 569.  wine: 178 × 13 chemical
    measurements, three cultivars."""
    from sklearn import datasets as skd

    if name == "diabetes":
        d = skd.load_diabetes(scaled=False)
        names = ("age", "sex", "bmi", "bp", "tc", "ldl", "hdl", "tch", "ltg", "glu")   # s1..s6 named
        return Table("diabetes", d.data.astype(np.float64), d.target.astype(np.float64), names, "regression",
                     "disease progression")
    if name == "breast_cancer":
        d = skd.load_breast_cancer()
        y = (d.target == 0).astype(np.int64)        # scikit-learn: 0 = malignant; here malignant is positive
        return Table("breast_cancer", d.data.astype(np.float64), y, tuple(d.feature_names), "binary",
                     "diagnosis", ("benign", "malignant"))
    if name == "wine":
        d = skd.load_wine()
        return Table("wine", d.data.astype(np.float64), d.target.astype(np.int64), tuple(d.feature_names),
                     "multiclass", "cultivar", ("cultivar 0", "cultivar 1", "cultivar 2"))
    raise LessonConfigError(f"Unknown data set {name!r}: choose one of {', '.join(DATASETS)}.")


# ---- CSV -------------------------------------------------------------------------------------------
def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _read_rows(path: Path, max_rows: int, max_bytes: int) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) of every non-blank line, read in a stream (at most ``max_rows`` rows
    after the header, ``max_bytes`` bytes).  Raises LessonConfigError."""
    rows = read_csv_rows(path, max_rows, max_bytes, who="this lesson")
    if not rows:
        raise LessonConfigError(f"{path.name} is empty: it needs a header line and rows of values.")
    header = rows[0][1]
    if all(_number(c) is not None for c in header):
        raise LessonConfigError(f"{path.name} has no header line: add a first line naming the columns "
                                "(the target column is chosen by name).")
    if len(set(header)) != len(header) or any(not h for h in header):
        raise LessonConfigError(f"{path.name}: the header line has empty or repeated column names "
                                f"({', '.join(header)}); give every column its own name.")
    return header, rows[1:]


def _numeric_columns(fname: str, header: list[str], lines: list[int], columns: list[tuple[str, ...]]
                     ) -> list[bool]:
    """Which columns are numeric.  A column whose cells are mostly numbers (``float`` reads more than half
    of them, NaN and Inf included) is numeric, and then every cell must be a finite number; a column of
    mostly text is a text column (one-hot encoded, or class names as a target).

    Raises LessonConfigError naming the line and column of a NaN, an Inf or a typo in a numeric column."""
    numeric = []
    for j, col in enumerate(columns):
        values = []
        for c in col:
            try:
                values.append(float(c))
            except ValueError:
                values.append(None)
        readable = sum(v is not None for v in values)
        if 2 * readable <= len(values):
            numeric.append(False)
            continue
        for i, v in enumerate(values):
            if v is None or not math.isfinite(v):
                what = "is not a number" if v is None else "is not a finite number"
                raise LessonConfigError(
                    f"{fname}, line {lines[i]}, column {j + 1} ({header[j]}): {col[i]!r} {what}, but the "
                    f"column's other values are numbers. Fix the value, or empty the cell to drop the row.")
        numeric.append(True)
    return numeric


def one_hot_groups(header: list[str], columns: list[tuple[str, ...]], numeric: list[bool]) -> list[list[int]]:
    """Groups of adjacent columns that look like one-hot labels: at least two columns of 0 and 1, each with
    some 1, that sum to exactly 1 in every row (the longest such run, left to right).  Returns lists of
    column indices."""
    def binary(j: int) -> np.ndarray | None:
        if not numeric[j]:
            return None
        v = np.array([float(c) for c in columns[j]])
        return v if np.isin(v, (0.0, 1.0)).all() and v.any() else None

    cols = [binary(j) for j in range(len(header))]
    groups, a = [], 0
    while a < len(cols):
        best = None
        total = np.zeros(len(columns[0])) if cols[a] is not None else None
        for b in range(a, len(cols)):
            if cols[b] is None:
                break
            total = total + cols[b]
            if b > a and (total == 1).all():
                best = b
        if best is not None:
            groups.append(list(range(a, best + 1)))
            a = best + 1
        else:
            a += 1
    return groups


def load_csv(path: str | Path, target: str = "", task: str = "auto", max_rows: int = MAX_ROWS,
             max_bytes: int = MAX_BYTES) -> Table:
    """Read a user's CSV into a :class:`Table`, in a stream (refused as soon as it exceeds ``max_rows``
    data rows or ``max_bytes`` bytes).

    target: "" for the default, one column name, or several comma-separated names of one-hot
    columns (a multiclass target).  The default is the last column, or, when the last columns are a
    one-hot group (see :func:`one_hot_groups`), that group; a one-hot group among the inputs is noted.
    task: one of ``TASKS``.  Rows with an empty cell are dropped (noted in ``Table.notes``).

    Raises LessonConfigError with the problem and the fix for: a missing or unreadable file, a file
    over the limits, no header, rows of the wrong length, no numeric column, a NaN, Inf or text in a
    numeric column (naming line and column), an unknown target column, a constant target, a single
    class, a non-numeric target forced to regression, a binary task on more than two classes, one-hot
    target columns that are not 0/1 with a single 1, a text column with too many values, and fewer
    than ``MIN_ROWS`` complete rows."""
    path = Path(path)
    fname = path.name
    header, rows = _read_rows(path, max_rows, max_bytes)
    ncol = len(header)
    if ncol < 2:
        raise LessonConfigError(f"{fname} has a single column ({header[0]}); it needs at least one feature "
                                "column and a target column, separated by commas, semicolons or tabs.")
    if len(rows) > max_rows:
        raise LessonConfigError(f"{fname} has {len(rows):,} rows; this lesson takes at most {max_rows:,}. "
                                "Use a sample of the file.")
    for line, row in rows:
        if len(row) != ncol:
            raise LessonConfigError(f"{fname}, line {line}: expected {ncol} values (one per header column), "
                                    f"found {len(row)}.")
    kept = [(line, row) for line, row in rows if all(row)]
    notes = []
    if len(kept) < len(rows):
        notes.append(f"{fname}: dropped {len(rows) - len(kept)} rows with empty cells.")
    if len(kept) < MIN_ROWS:
        raise LessonConfigError(f"{fname} has only {len(kept)} complete rows; a training and a validation "
                                f"split need at least {MIN_ROWS}.")
    lines = [line for line, _ in kept]
    columns = list(zip(*(row for _, row in kept)))                        # ncol tuples of str
    numeric = _numeric_columns(fname, header, lines, columns)
    if not any(numeric):
        raise LessonConfigError(f"{fname} has no numeric columns: every column holds text. A perceptron "
                                "computes with numbers; check the delimiter (comma, semicolon or tab) and "
                                "the decimal point (use 1.5, not 1,5).")

    groups = one_hot_groups(header, columns, numeric)
    if target.strip():
        names = [t.strip() for t in target.split(",")]
    elif groups and groups[-1][-1] == ncol - 1:
        names = [header[j] for j in groups[-1]]
        notes.append(f"{fname}: the last columns {', '.join(names)} hold one 1 per row, so they are taken "
                     "together as the class label (one-hot). To predict a single column, name it as the target.")
    else:
        names = [header[-1]]
    missing = [n for n in names if n not in header]
    if missing:
        raise LessonConfigError(f"Target column {', '.join(repr(m) for m in missing)} not found in {fname}; "
                                f"its columns are: {', '.join(header)}.")
    target_cols = [header.index(n) for n in names]
    if len(set(target_cols)) != len(target_cols):
        raise LessonConfigError("The target names a column twice; list each one-hot column once.")
    for group in groups:
        inputs = [header[j] for j in group if j not in target_cols]
        if len(inputs) >= 2 and len(target_cols) == 1:
            notes.append(f"{fname}: the columns {', '.join(inputs)} look like one-hot class labels (0/1, one 1 "
                         "per row) and are used as inputs. To predict them, enter them as the target, "
                         f"separated by commas: {','.join(header[j] for j in group)}.")
    y, task, class_names = _target(fname, names, [columns[j] for j in target_cols],
                                   [numeric[j] for j in target_cols], task)

    feats, feat_names = [], []
    for j, col in enumerate(columns):
        if j in target_cols:
            continue
        if numeric[j]:
            feats.append(np.array([float(c) for c in col]))
            feat_names.append(header[j])
            continue
        levels = sorted(set(col))
        if len(levels) > MAX_CATEGORIES:
            raise LessonConfigError(f"{fname}: the text column {header[j]!r} has {len(levels)} different values; "
                                    f"one-hot encoding takes at most {MAX_CATEGORIES}. Remove the column (an "
                                    "identifier or free text) or group its values.")
        values = np.array(col)
        for lev in levels:
            feats.append((values == lev).astype(np.float64))
            feat_names.append(f"{header[j]}={lev}")
    if not feats:
        raise LessonConfigError(f"{fname} has no feature columns besides the target {', '.join(names)}.")
    x = np.stack(feats, axis=1)                                            # (N, D)
    return Table(fname, x, y, tuple(feat_names), task, ", ".join(names), class_names, notes)


def _target(fname: str, names: list[str], cols: list[tuple[str, ...]], numeric: list[bool],
            task: str) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """Targets y (N,), the task and the class names from the target column(s)."""
    label = ", ".join(names)
    if len(cols) > 1:                                                     # one-hot columns
        if not all(numeric):
            raise LessonConfigError(f"One-hot target columns must hold 0 and 1; {label} contain text.")
        onehot = np.array(cols, dtype=np.float64).T                        # (N, K)
        if not np.isin(onehot, (0.0, 1.0)).all() or not (onehot.sum(axis=1) == 1).all():
            bad = int(np.flatnonzero(~np.isin(onehot, (0.0, 1.0)).all(axis=1) | (onehot.sum(axis=1) != 1))[0])
            raise LessonConfigError(f"One-hot target columns {label} must hold 0/1 with exactly one 1 per row; "
                                    f"data row {bad + 1} does not.")
        y = onehot.argmax(axis=1).astype(np.int64)
        class_names = tuple(names)
        if task == "regression":
            raise LessonConfigError("Several one-hot target columns make a classification target; choose "
                                    "task auto, binary or multiclass, or name one numeric column for regression.")
        return _classes(fname, label, y, class_names, task)

    col, is_num = cols[0], numeric[0]
    if is_num:
        values = np.array([float(c) for c in col])
        if np.all(values == values[0]):
            raise LessonConfigError(f"The target {label!r} is constant ({values[0]:g} in every row): there is "
                                    "nothing to learn. Choose another target column.")
        integer = np.all(values == np.round(values))
        levels = np.unique(values)
        if task == "regression" or (task == "auto" and not (integer and len(levels) <= MAX_INT_CLASSES)):
            return values, "regression", ()
        y = np.searchsorted(levels, values).astype(np.int64)
        return _classes(fname, label, y, tuple(f"{v:g}" for v in levels), task)
    if task == "regression":
        raise LessonConfigError(f"The target {label!r} holds text, not numbers; regression needs a numeric "
                                "target. Choose task auto, binary or multiclass, or another target column.")
    levels = sorted(set(col))
    index = {c: i for i, c in enumerate(levels)}
    y = np.array([index[c] for c in col], dtype=np.int64)
    return _classes(fname, label, y, tuple(levels), task)


def _classes(fname: str, label: str, y: np.ndarray, class_names: tuple[str, ...],
             task: str) -> tuple[np.ndarray, str, tuple[str, ...]]:
    k = len(class_names)
    if k < 2:
        raise LessonConfigError(f"The target {label!r} has a single class ({class_names[0]}): a classifier "
                                "needs at least two. Choose another target column.")
    counts = np.bincount(y, minlength=k)
    if (counts == 0).any():                                               # an unused one-hot column
        raise LessonConfigError(f"The target class {class_names[int(np.flatnonzero(counts == 0)[0])]!r} never "
                                f"occurs in {fname}; remove that column from the target.")
    if k > MAX_CLASSES:
        raise LessonConfigError(f"The target {label!r} has {k} classes; this lesson takes at most {MAX_CLASSES}. "
                                "For a numeric target choose task regression.")
    if task == "binary" and k != 2:
        raise LessonConfigError(f"Task binary needs exactly two classes, but the target {label!r} has {k} "
                                f"({', '.join(class_names[:6])}{', ...' if k > 6 else ''}). Choose multiclass.")
    chosen = task if task in ("binary", "multiclass") else ("binary" if k == 2 else "multiclass")
    return y, chosen, class_names


# ---- task override, split and standardization --------------------------------------------------------
def apply_task(table: Table, task: str) -> Table:
    """An embedded table with the task forced (``task`` != "auto").  Regression on class ids treats
    them as numbers; binary on K > 2 classes raises LessonConfigError; multiclass on two classes uses
    two softmax outputs."""
    if task in ("auto", table.task):
        return table
    if task == "regression":
        return Table(table.name, table.x, table.y.astype(np.float64), table.feature_names, "regression",
                     f"{table.target_name} (class id as a number)", (), list(table.notes))
    if table.task == "regression":
        raise LessonConfigError(f"The {table.name} target ({table.target_name}) is a continuous number; "
                                f"task {task} needs class labels. Choose task auto or regression.")
    if task == "binary" and table.n_classes != 2:
        raise LessonConfigError(f"Task binary needs two classes; {table.name} has {table.n_classes}. "
                                "Choose multiclass.")
    return Table(table.name, table.x, table.y, table.feature_names, task, table.target_name, table.class_names,
                 list(table.notes))


def split_table(table: Table, val_fraction: float, rng: np.random.Generator, standardize: bool,
                dtype: str) -> Split:
    """Shuffle and split rows (stratified by class for classification), then standardize every
    feature with the training split's mean and standard deviation (constant features keep scale 1).

    Raises LessonConfigError if a split would be empty."""
    n = len(table.y)
    if table.task == "regression":
        perm = rng.permutation(n)
        n_val = round(val_fraction * n)
        val_idx, train_idx = perm[:n_val], perm[n_val:]
    else:
        val_parts, train_parts = [], []
        for c in range(table.n_classes):
            rows = rng.permutation(np.flatnonzero(table.y == c))
            k = round(val_fraction * len(rows))
            val_parts.append(rows[:k])
            train_parts.append(rows[k:])
        val_idx = rng.permutation(np.concatenate(val_parts))
        train_idx = rng.permutation(np.concatenate(train_parts))
    if len(val_idx) < 1 or len(train_idx) < 2:
        raise LessonConfigError(f"{table.name} has too few rows ({n}) for a training and a validation split; "
                                "add rows or change the validation fraction.")
    raw_train = table.x[train_idx]
    if standardize:
        mean = raw_train.mean(axis=0)
        scale = raw_train.std(axis=0)
        scale[scale == 0] = 1.0
    else:
        mean, scale = np.zeros(table.x.shape[1]), np.ones(table.x.shape[1])
    x = ((table.x - mean) / scale).astype(dtype)
    y = table.y if table.task != "regression" else table.y.astype(dtype)
    return Split(table, x[train_idx], y[train_idx], x[val_idx], y[val_idx], mean, scale, train_idx, val_idx)


def most_informative_pair(x: np.ndarray, y: np.ndarray, task: str) -> tuple[int, int]:
    """Indices of the two features most related to the target: the largest |correlation| for
    regression, the largest ANOVA F ratio (between-class over within-class variance) for classes.
    x: (N, D), y: (N,).  Used as the default axes of the decision-boundary plot."""
    d = x.shape[1]
    if d == 1:
        return 0, 0
    xc = x - x.mean(axis=0)
    sd = xc.std(axis=0)
    if task == "regression":
        yc = y - y.mean()
        score = np.abs(xc.T @ yc) / (len(y) * np.where(sd > 0, sd, np.inf) * (yc.std() or 1.0))
    else:
        classes = np.unique(y)
        between = sum((y == c).sum() * (x[y == c].mean(axis=0) - x.mean(axis=0)) ** 2 for c in classes)
        within = sum(((x[y == c] - x[y == c].mean(axis=0)) ** 2).sum(axis=0) for c in classes)
        score = np.where(within > 0, between / np.where(within > 0, within, 1.0), 0.0)
    order = np.argsort(-score, kind="stable")
    return int(order[0]), int(order[1])


def load_table(hp, context) -> Table:
    """The lesson's table: the embedded set ``hp["dataset"]`` with the task ``hp["task"]`` applied, or the
    CSV ``hp["csv_path"]`` with its target column(s) ``hp["target"]``; a loaded CSV is announced through
    ``context.notice``.  Raises LessonConfigError for csv without a file or an unusable file."""
    if hp["dataset"] == "csv":
        path = hp["csv_path"].strip()
        if not path:
            raise LessonConfigError("Data set is csv but no file is chosen: pick a CSV file with 'CSV file', "
                                    "or choose another data set.")
        table = load_csv(path, hp["target"], hp["task"])
        context.notice(f"Loaded {len(table.y)} rows from {table.name}: {table.x.shape[1]} input "
                       f"features, target {table.target_name} ({table.task}).")
        return table
    return apply_task(load_embedded(hp["dataset"]), hp["task"])
