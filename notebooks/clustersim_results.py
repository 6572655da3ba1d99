"""clustersim_results: read clustersim's result files into pandas.

The notebooks beside this file plot what clustersim wrote; nothing here
simulates. Every function reads one of the public result formats (README.md,
"Results"; DESIGN.md, "Contracts"):

  load_summary(dir)      summary.json        -> Summary (the dict, a flat Series,
                                                frames per service, region, cache, gate)
  load_timeseries(dir)   timeseries.csv      -> tidy frame (+ scope, name, metric)
  wide(ts, metric, ...)  one metric per service/region/edge, one column each
  load_events(dir)       events.csv          -> frame (+ name, kind of the object)
  load_sweep(path)       sweep.csv           -> frame; sweep_axes(), meets_slos()
  load_compare(dir)      compare.json        -> frame of paired differences
  load_autoscaler(dir)   autoscaler.csv      -> frame, or None when the run has none
  pareto_front(df, objectives, constraints)  the non-dominated feasible rows
  indistinguishable(df, columns)             rows whose 95% intervals overlap in every column
  check_figure(fig), save_figure(fig, path)  a plot has titles, labelled axes with
                                             units and legends, or an error says what lacks

and a few helpers the notebooks share: where the binary and the results are
(environment variables CLUSTERSIM, CLUSTERSIM_RESULTS, CLUSTERSIM_NB_QUICK;
env_path() for CLUSTERSIM_RUN_DIR and CLUSTERSIM_SWEEP_CSV, every relative
path from the repository root), axis_unit() and axis_label() for a varied
scenario key, and run_clustersim(), which runs the command line and raises with its
message when it fails.

Only pandas and the standard library are needed (Debian's python3-pandas).
"""

import csv
import json
import math
import os
import subprocess
from pathlib import Path

import pandas as pd

__all__ = [
    "REPO", "binary", "results_root", "env_path", "quick", "run_clustersim",
    "Summary", "load_summary", "flatten",
    "load_timeseries", "split_series", "wide",
    "load_events", "load_sweep", "sweep_axes", "meets_slos", "axis_unit", "axis_label",
    "load_compare", "load_autoscaler", "pareto_front", "indistinguishable",
    "check_figure", "save_figure",
]

# The repository: this file lives in REPO/notebooks/.
REPO = Path(__file__).resolve().parent.parent

SUMMARY_SCHEMA = "clustersim.summary/v1"
COMPARE_SCHEMA = "clustersim.compare/v1"


# ---- where things are ---------------------------------------------------------------------

def binary():
    """The clustersim binary: $CLUSTERSIM (relative to the repository when
    relative), else bin/clustersim of the repository."""
    p = Path(os.environ.get("CLUSTERSIM", "bin/clustersim"))
    return p if p.is_absolute() else REPO / p


def results_root(notebook):
    """Where a notebook writes the runs it starts: $CLUSTERSIM_RESULTS/NOTEBOOK
    (relative to the repository when relative), else results/notebooks/NOTEBOOK
    (results/ is ignored by git)."""
    base = Path(os.environ.get("CLUSTERSIM_RESULTS", "results/notebooks"))
    if not base.is_absolute():
        base = REPO / base
    d = base / notebook
    d.mkdir(parents=True, exist_ok=True)
    return d


def env_path(name):
    """The path in the environment variable NAME (CLUSTERSIM_RUN_DIR,
    CLUSTERSIM_SWEEP_CSV), relative to the repository when relative, as
    CLUSTERSIM and CLUSTERSIM_RESULTS are; None when it is unset or empty."""
    value = os.environ.get(name, "")
    if not value:
        return None
    p = Path(value).expanduser()
    return p if p.is_absolute() else REPO / p


def quick():
    """True when CLUSTERSIM_NB_QUICK is set to something other than 0 or empty:
    the notebooks then shrink their runs to seconds (make test does this)."""
    return os.environ.get("CLUSTERSIM_NB_QUICK", "0") not in ("", "0")


def run_clustersim(*args, ok=(0,)):
    """Run `clustersim ARGS...` from the repository root (scenario paths are
    relative to it). Returns the CompletedProcess; raises RuntimeError with
    the command and its stderr when the exit code is not in `ok` (compare and
    check exit 1 when a gate fails, which a caller may accept)."""
    exe = binary()
    if not exe.exists():
        raise FileNotFoundError(f"{exe}: no clustersim binary (run `make`, or set CLUSTERSIM)")
    cmd = [str(exe)] + [str(a) for a in args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stderr.strip()}")
    return proc


# ---- summary.json -------------------------------------------------------------------------

def flatten(tree, prefix=""):
    """A nested dict as {dotted.path: value}; lists are indexed by position
    (`slo.0.name`). None (a statistic with no sample) becomes NaN."""
    out = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out.update(flatten(v, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix] = math.nan if tree is None else tree
    return out


def _section(tree, skip=()):
    """One row per entry of a {NAME: {metrics}} mapping, columns its
    flattened metric paths (with their _ci95 siblings when present)."""
    rows = {name: flatten({k: v for k, v in sub.items() if k not in skip})
            for name, sub in (tree or {}).items() if isinstance(sub, dict)}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "name"
    return frame


class Summary:
    """summary.json, as read.

    raw       the dict
    flat      a Series indexed by dotted path (`services.web.latency_ms.p99`,
              `services.web.latency_ms.p99_ci95` with replications > 1)
    services  one row per service, columns `latency_ms.p99`, `replicas.mean`, ...
    regions   one row per user region (empty without regions)
    caches    one row per cache layer (browser, cdn, redis, db_query) with
              hit_ratio, hits, misses (and _ci95)
    slo       one row per gate: name, metric, op, threshold, value, pass
    """

    def __init__(self, raw):
        if raw.get("schema") != SUMMARY_SCHEMA:
            raise ValueError(f"not a clustersim summary: schema {raw.get('schema')!r}")
        self.raw = raw
        self.flat = pd.Series(flatten({k: v for k, v in raw.items() if k != "slo"}), dtype=object)
        self.replications = int(raw.get("replications", 1))
        self.services = _section(raw.get("services"))
        self.regions = _section(raw.get("regions"))
        caches = {}
        for layer, sub in (raw.get("cache") or {}).items():
            caches[layer] = {k: v for k, v in sub.items()
                             if k.split("_ci95")[0] in ("hit_ratio", "hits", "misses")}
        self.caches = _section(caches)
        slo = pd.DataFrame(raw.get("slo") or [],
                           columns=None if raw.get("slo") else
                           ["name", "metric", "op", "threshold", "value", "pass"])
        if "value" in slo:
            slo["value"] = pd.to_numeric(slo["value"], errors="coerce")
        self.slo = slo

    def get(self, path, default=math.nan):
        """The value at a dotted path (`latency_ms.p99`), or default."""
        v = self.flat.get(path, default)
        return default if v is None else v

    def value_ci(self, path):
        """(value, half-width of its 95% interval); the half-width is NaN with
        one replication (summary.json then has no _ci95)."""
        return float(self.get(path)), float(self.get(path + "_ci95"))

    def __repr__(self):
        return (f"Summary({self.raw.get('scenario')!r}, {self.replications} replication(s), "
                f"{len(self.services)} service(s))")


def load_summary(directory):
    """Read DIR/summary.json (or the file itself when given one)."""
    p = Path(directory)
    if p.is_dir():
        p = p / "summary.json"
    with open(p, encoding="utf-8") as f:
        return Summary(json.load(f))


# ---- timeseries.csv -----------------------------------------------------------------------

_SCOPED = {"region": "region", "edge": "edge"}


def split_series(series):
    """Split a series name into (scope, name, metric).

    `offered_rate` -> ("global", "", "offered_rate"); `browser.hit_ratio` ->
    ("browser", "browser", "hit_ratio"); `region.london.latency_p95_ms` ->
    ("region", "london", ...); `edge.london.up` -> ("edge", "london", "up");
    anything else `NAME.metric` -> ("service", NAME, metric). The metric is
    the part after the last dot (metric names have none), so a service name
    may contain dots. A service named `region`, `edge` or `browser` would be
    read as that scope (none of the shipped scenarios has one)."""
    if "." not in series:
        return "global", "", series
    head, metric = series.rsplit(".", 1)
    if head == "browser":
        return "browser", "browser", metric
    first, _, rest = head.partition(".")
    if first in _SCOPED and rest:
        return _SCOPED[first], rest, metric
    return "service", head, metric


def _check_rows(p):
    """Every row of the CSV file p has as many fields as its header (a row
    cut short, a truncated file, would otherwise read as NaN cells): a
    ValueError naming the file and the line otherwise."""
    with open(p, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None:
            raise ValueError(f"{p}: empty (no header)")
        for row in rows:
            if not row:  # a blank line (pandas skips them too)
                continue
            if len(row) != len(header):
                raise ValueError(f"{p}:{rows.line_num}: {len(row)} fields where the header has {len(header)}")


def load_timeseries(directory):
    """Read DIR/timeseries.csv (`replication,time_s,series,value`) into a tidy
    frame with three more columns from the series name: scope (global,
    service, region, edge, browser), name and metric (see split_series)."""
    p = Path(directory)
    if p.is_dir():
        p = p / "timeseries.csv"
    _check_rows(p)
    ts = pd.read_csv(p, dtype={"replication": "int64", "time_s": "float64",
                               "series": "string", "value": "float64"})
    expected = ["replication", "time_s", "series", "value"]
    if list(ts.columns) != expected:
        raise ValueError(f"{p}: header {list(ts.columns)}, expected {expected}")
    parts = pd.DataFrame([split_series(s) for s in ts["series"].unique()],
                         columns=["scope", "name", "metric"])
    parts["series"] = ts["series"].unique()
    return ts.merge(parts.astype({"series": "string"}), on="series", how="left")


def wide(ts, metric, scope=None, replication=None):
    """One metric as a wide frame: index time_s, one column per name (service,
    region, edge; the series itself for the global scope).

    replication None: the mean over replications at each time (the
    replications sample at the same times); an int: that replication only."""
    sel = ts[ts["metric"] == metric]
    if scope is not None:
        sel = sel[sel["scope"] == scope]
    if replication is not None:
        sel = sel[sel["replication"] == replication]
    col = sel["name"].where(sel["name"] != "", sel["series"])
    out = (sel.assign(column=col)
              .pivot_table(index="time_s", columns="column", values="value", aggfunc="mean"))
    out.columns.name = None
    return out


# ---- events.csv ---------------------------------------------------------------------------

def load_events(directory):
    """Read DIR/events.csv (`replication,time_s,object,from,to,reason`), plus
    name and kind: `web/hpa` -> web, hpa. clustersim writes the object as
    NAME/KIND (world_event in sim/world.c), KIND a fixed word without a slash
    (hpa, threshold, pod, edge, purge, ...), so the split is at the last
    slash: a name holding one (`a/b/hpa`) stays whole (a/b, hpa). from and to are kept as text (a
    replica count for scaling rows, a state such as `up`/`down` for others);
    from_n and to_n are their numbers where they are numbers."""
    p = Path(directory)
    if p.is_dir():
        p = p / "events.csv"
    _check_rows(p)
    ev = pd.read_csv(p, dtype={"replication": "int64", "time_s": "float64", "object": "string",
                               "from": "string", "to": "string", "reason": "string"},
                     keep_default_na=False)
    expected = ["replication", "time_s", "object", "from", "to", "reason"]
    if list(ev.columns) != expected:
        raise ValueError(f"{p}: header {list(ev.columns)}, expected {expected}")
    parts = ev["object"].str.rsplit("/", n=1, expand=True)
    ev["name"] = parts[0] if len(ev) else pd.Series(dtype="string")
    ev["kind"] = (parts[1] if len(ev) and parts.shape[1] > 1 else pd.Series([pd.NA] * len(ev), dtype="string"))
    ev["from_n"] = pd.to_numeric(ev["from"], errors="coerce")
    ev["to_n"] = pd.to_numeric(ev["to"], errors="coerce")
    return ev


# ---- sweep.csv ----------------------------------------------------------------------------

def _bool_column(col):
    m = col.astype("string").str.lower().map({"true": True, "false": False})
    return m.astype("boolean")


def load_sweep(path):
    """Read a sweep's CSV (a file, or a directory holding sweep.csv). The
    varied columns keep their values as written (`40/s`, `2`), as text when
    any is not a number; metric columns are numbers (empty: NaN); the
    `slo.NAME.pass` columns are booleans (pandas' nullable boolean). The
    frame's attrs["axes"] names the varied columns in grid order, attrs["scenario"]
    the scenario (from sweep.json beside the CSV; else the CSV's folder)."""
    p = Path(path)
    if p.is_dir():
        p = p / "sweep.csv"
    df = pd.read_csv(p, keep_default_na=True)
    if not len(df.columns) or df.columns[0] != "point":
        raise ValueError(f"{p}: not a sweep.csv (its first column is not 'point')")
    axes, scenario = _axes_of(df, p)
    for c in df.columns:
        if c.startswith("slo.") and c.endswith(".pass"):
            df[c] = _bool_column(df[c])
        elif c not in axes and c != "point":
            df[c] = pd.to_numeric(df[c], errors="coerce")
    df.attrs["axes"] = axes
    df.attrs["scenario"] = scenario
    return df


def _axes_of(df, p):
    """(the varied columns, the scenario's name): from sweep.json's grid when
    it is beside the CSV, else every column between `point` and the first
    headline metric (`requests.error_rate`, which every summary.json has),
    and the name of the CSV's folder."""
    side = Path(p).with_name("sweep.json")
    if side.exists():
        with open(side, encoding="utf-8") as f:
            meta = json.load(f)
        axes = [g["path"] for g in meta.get("grid", [])]
        if all(a in df.columns for a in axes):
            return axes, meta.get("scenario", Path(p).parent.name)
    cols = list(df.columns)
    if "requests.error_rate" not in cols:
        raise ValueError(f"{p}: no requests.error_rate column: cannot tell the varied columns")
    return cols[1:cols.index("requests.error_rate")], Path(p).resolve().parent.name


# The unit of a scenario key a sweep varies, by its last path component
# (scenarios/README.md, "Reference"). A value written with a unit suffix
# (`30s`, `40/s`, `512Mi`) names its own unit instead (axis_unit).
AXIS_UNITS = {
    "cpu_up": "% of CPU request", "cpu_down": "% of CPU request",
    "memory_up": "% of memory request", "memory_down": "% of memory request",
    "averageUtilization": "% of request", "queue_up": "requests queued",
    "step": "pods", "replicas": "pods", "min_replicas": "pods", "max_replicas": "pods",
    "minReplicas": "pods", "maxReplicas": "pods",
    "concurrency": "workers per pod", "queue_capacity": "requests per pod",
    "tolerance": "fraction", "rate": "requests/s",
    "period": "s", "cooldown": "s", "sync_period": "s", "downscale_stabilization": "s",
    "cpu_initialization_period": "s", "initial_readiness_delay": "s", "termination_grace": "s",
    "stabilizationWindowSeconds": "s", "warmup": "s", "duration": "s", "edge_cache_ttl": "s",
    "cpu": "cores", "memory": "bytes", "capacity": "bytes", "capacity_per_client": "bytes",
    "base": "bytes", "per_request": "bytes",
}
_SUFFIX_UNITS = {"ms": "ms", "s": "s", "m": "min", "h": "h", "d": "d", "/s": "requests/s",
                 "/m": "requests/min", "/h": "requests/h", "Ki": "KiB", "Mi": "MiB", "Gi": "GiB",
                 "Ti": "TiB", "K": "kB", "M": "MB", "G": "GB", "k": "kB", "%": "%"}


def axis_unit(path, values=()):
    """The unit of a varied scenario key: the unit suffix all its values share
    when written with one (`30s`, `45s` -> s; `40/s` -> requests/s; `512Mi`
    -> MiB; `500m` of a cpu key -> millicores), else AXIS_UNITS by the key's
    last component, else "as written"."""
    key = str(path).rsplit(".", 1)[-1]
    suffixes = set()
    for v in values:
        text = str(v).strip()
        i = len(text)
        while i and not (text[i - 1].isdigit() or text[i - 1] == "."):
            i -= 1
        suffixes.add(text[i:])
    if len(suffixes) == 1 and (suffix := suffixes.pop()):
        if suffix == "m" and key == "cpu":
            return "millicores"
        return _SUFFIX_UNITS.get(suffix, suffix)
    return AXIS_UNITS.get(key, "as written")


def axis_label(path, values=()):
    """An axis label for a varied key: its last component and its unit,
    `cpu_up (% of CPU request)`; the full path belongs in a title or note."""
    return f"{str(path).rsplit('.', 1)[-1]} ({axis_unit(path, values)})"


def sweep_axes(df):
    """The varied columns of a frame from load_sweep, in grid order."""
    return list(df.attrs.get("axes", []))


def meets_slos(df):
    """A boolean Series: the rows where every `slo.NAME.pass` column is True
    (a missing verdict counts as a failure). All True when there are no gates."""
    cols = [c for c in df.columns if c.startswith("slo.") and c.endswith(".pass")]
    ok = pd.Series(True, index=df.index)
    for c in cols:
        ok &= df[c].fillna(False).astype(bool)
    return ok


# ---- compare.json -------------------------------------------------------------------------

def load_compare(directory):
    """Read DIR/compare.json into a frame indexed by metric: headline,
    direction, base, candidate, diff, diff_ci95, diff_pct, pairs (and the
    limit's columns when one was given), plus diff_lo and diff_hi (the 95%
    interval of the paired difference; NaN with one replication). attrs
    keeps the header (base, candidate, seed, replications, rule)."""
    p = Path(directory)
    if p.is_dir():
        p = p / "compare.json"
    with open(p, encoding="utf-8") as f:
        raw = json.load(f)
    if raw.get("schema") != COMPARE_SCHEMA:
        raise ValueError(f"not a clustersim comparison: schema {raw.get('schema')!r}")
    df = pd.DataFrame(raw.get("metrics", []))
    if len(df):
        df = df.set_index("metric")
        for c in ("base", "candidate", "diff", "diff_ci95", "diff_pct"):
            if c in df:
                df[c] = pd.to_numeric(df[c], errors="coerce")
        if "diff_ci95" in df:
            df["diff_lo"] = df["diff"] - df["diff_ci95"]
            df["diff_hi"] = df["diff"] + df["diff_ci95"]
    df.attrs.update({k: v for k, v in raw.items() if k != "metrics"})
    return df


# ---- autoscaler.csv (optional) ------------------------------------------------------------

def load_autoscaler(directory):
    """Read DIR/autoscaler.csv, every autoscaler evaluation (replication,
    time_s, service, current, metric, value, target, proposal, raw,
    stabilized, final, reason), or None when the run did not write one
    (older binaries, or no autoscaler)."""
    p = Path(directory)
    if p.is_dir():
        p = p / "autoscaler.csv"
    if not p.exists():
        return None
    _check_rows(p)
    df = pd.read_csv(p, keep_default_na=False, na_values=[""])
    for c in ("time_s", "current", "value", "target", "proposal", "raw", "stabilized", "final"):
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


# ---- Pareto front -------------------------------------------------------------------------

def pareto_front(df, objectives, constraints=None):
    """The rows of df that satisfy the constraints and that no other such row
    dominates, sorted by the first objective.

    objectives   {column: "min" | "max"}, or a list of columns (all minimised).
                 A row dominates another when it is no worse in every objective
                 and better in at least one. Rows with NaN in an objective are
                 left out (nothing was measured).
    constraints  None: every `slo.NAME.pass` column must be True (meets_slos);
                 a list of column names that must be True; or a boolean
                 Series aligned with df. [] means no constraint.

    Ties (equal in every objective) are all kept."""
    if not isinstance(objectives, dict):
        objectives = {c: "min" for c in objectives}
    for c, sense in objectives.items():
        if sense not in ("min", "max"):
            raise ValueError(f"objective {c}: {sense!r}, expected 'min' or 'max'")
        if c not in df.columns:
            raise KeyError(c)
    if constraints is None:
        feasible = meets_slos(df)
    elif isinstance(constraints, pd.Series):
        feasible = constraints.reindex(df.index).fillna(False).astype(bool)
    else:
        feasible = pd.Series(True, index=df.index)
        for c in constraints:
            feasible &= df[c].fillna(False).astype(bool)
    cand = df[feasible]
    cand = cand.dropna(subset=list(objectives))
    # every objective as "smaller is better"
    pts = [[(row[c] if s == "min" else -row[c]) for c, s in objectives.items()]
           for _, row in cand.iterrows()]
    keep = []
    for i, a in enumerate(pts):
        dominated = any(all(bj <= aj for aj, bj in zip(a, b)) and any(bj < aj for aj, bj in zip(a, b))
                        for j, b in enumerate(pts) if j != i)
        if not dominated:
            keep.append(cand.index[i])
    first = next(iter(objectives))
    return df.loc[keep].sort_values(first, ascending=objectives[first] == "min", kind="stable")


def indistinguishable(df, columns):
    """For each row of df, the index labels of the other rows that its 95%
    intervals overlap in every one of `columns`: value ± the `COLUMN_ci95`
    sibling (no sibling, or NaN with one replication: the value alone). A
    conservative screen, not a test: separate intervals that overlap may
    still hide a difference that the paired replications (a sweep's points
    share their seeds) would show; `clustersim compare` makes that test.
    A Series of lists, aligned with df."""
    def bounds(c):
        v = df[c].astype(float)
        ci = df[c + "_ci95"].astype(float).fillna(0) if c + "_ci95" in df else 0 * v
        return v - ci, v + ci
    b = {c: bounds(c) for c in columns}
    out = {}
    for i in df.index:
        out[i] = [j for j in df.index if j != i and all(
            b[c][0][i] <= b[c][1][j] and b[c][0][j] <= b[c][1][i] for c in columns)]
    return pd.Series(out, index=df.index, dtype=object)


# ---- figures ------------------------------------------------------------------------------

def _numeric_ticks(labels):
    """True when the tick labels are numbers (mathtext such as 10^2 included):
    the axis is a quantity, and its label must say which, in which unit."""
    texts = [l.get_text().replace("\u2212", "-") for l in labels if l.get_text()]
    if not texts:
        return True
    for s in texts:
        if s.startswith("$"):
            continue
        try:
            float(s.replace(",", ""))
        except ValueError:
            return False
    return True


def _unit(label):
    """What the last parentheses of a label hold ('' when none)."""
    label = label.rstrip()
    if not label.endswith(")") or "(" not in label:
        return ""
    return label[label.rindex("(") + 1:-1].strip()


def _not_a_unit(unit, columns=()):
    """Why a label's bracketed text is no unit, or '' when it may be one: a
    dotted path (a '.' and no space: `services.web.cpu_up`), an identifier
    with an underscore (`latency_ms`), or one of the frame's column names."""
    if not unit:
        return "is empty"
    if unit in columns:
        return "is a column name"
    if " " not in unit and "." in unit.strip("."):
        return "is a path"
    if " " not in unit and "_" in unit:
        return "is a name"
    return ""


def check_figure(fig, columns=()):
    """The problems of a figure, as a list of sentences (empty: none).

    Every axes that shows data (colour bars aside) needs a title (its own, the
    figure's suptitle, or that of the axes it is twinned with); a label on
    each numeric axis, with its unit in parentheses (`latency (ms)`), unless an
    axes sharing that axis carries it (stacked panels, twins); and a legend
    when it draws more than one labelled line or set of points. An axis whose
    tick labels are names (services, regions) needs no label. What the
    parentheses hold must look like a unit: not a dotted path
    (`(services.web.autoscaler.cpu_up)`), not an identifier (`(cpu_up)`), not
    one of `columns` (a frame's column names, when given)."""
    columns = {str(c) for c in columns}
    fig.canvas.draw()
    problems = []
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    data_axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()
                 and (ax.lines or ax.collections or ax.images or ax.patches or ax.containers)]
    for n, ax in enumerate(data_axes):
        name = ax.get_title() or f"axes {n}"
        twins = [o for o in fig.axes if o is not ax and o.get_position().bounds == ax.get_position().bounds]
        if not (ax.get_title() or suptitle or any(o.get_title() for o in twins)):
            problems.append(f"{name}: no title")
        for axis in ("x", "y"):
            label = ax.get_xlabel() if axis == "x" else ax.get_ylabel()
            ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
            shared = (ax.get_shared_x_axes() if axis == "x" else ax.get_shared_y_axes()).get_siblings(ax)
            if axis == "x":
                shared = list(shared) + twins
            others = [o.get_xlabel() if axis == "x" else o.get_ylabel() for o in shared if o is not ax]
            if not any(l.get_text() for l in ticks):       # hidden by sharing: the siblings' ticks
                ticks = [l for o in shared for l in (o.get_xticklabels() if axis == "x" else o.get_yticklabels())]
            if not _numeric_ticks(ticks):
                continue
            if not label:
                if not any(others):
                    problems.append(f"{name}: no {axis} label")
            elif not ("(" in label and label.rstrip().endswith(")")):
                problems.append(f"{name}: {axis} label {label!r} has no unit in parentheses")
            elif why := _not_a_unit(_unit(label), columns):
                problems.append(f"{name}: {axis} label {label!r}: its unit {why}")
        labelled = [a for a in list(ax.lines) + list(ax.collections) + list(ax.containers)
                    if a.get_label() and not a.get_label().startswith("_")]
        if len(labelled) > 1 and ax.get_legend() is None and not fig.legends:
            problems.append(f"{name}: {len(labelled)} labelled series and no legend")
    return problems


def save_figure(fig, path, columns=(), **kwargs):
    """Check the figure (check_figure, with `columns`) and save it; a figure
    that lacks a title, an axis label, a unit or a legend raises ValueError
    instead."""
    problems = check_figure(fig, columns)
    if problems:
        raise ValueError("figure not saved: " + "; ".join(problems))
    kwargs.setdefault("dpi", 110)
    fig.savefig(path, **kwargs)
    return Path(path)
