"""Unit tests of notebooks/clustersim_results.py on hand-written fixtures.

Run by tests/cli/test_notebooks.sh with Debian's python3:
    /usr/bin/python3 -m unittest discover -s tests/notebooks -v

Every expected value below is read off the fixture files in
tests/notebooks/fixtures/ (written by hand in the formats of README.md,
"Results") or worked out by hand from them; none comes from a clustersim run. The figure checks build
small matplotlib figures (Agg) in the tests themselves.
"""

import math
import os
import sys
import tempfile
import unittest
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "notebooks"))

import clustersim_results as cr  # noqa: E402

FIX = HERE / "fixtures"


class Summary(unittest.TestCase):
    def setUp(self):
        self.s = cr.load_summary(FIX / "r1")

    def test_flatten(self):
        flat = cr.flatten({"a": {"b": 1, "c": [{"d": 2}, 3]}, "e": None})
        self.assertEqual(flat["a.b"], 1)
        self.assertEqual(flat["a.c.0.d"], 2)
        self.assertEqual(flat["a.c.1"], 3)
        self.assertTrue(math.isnan(flat["e"]))
        self.assertEqual(len(flat), 4)

    def test_header_and_flat(self):
        self.assertEqual(self.s.raw["scenario"], "fixture-one")
        self.assertEqual(self.s.replications, 1)
        self.assertEqual(self.s.get("latency_ms.p99"), 80)
        self.assertEqual(self.s.get("services.api.v2.replicas.final"), 1)
        self.assertTrue(math.isnan(self.s.get("no.such.path")))
        # slo[] is a frame of its own, not in flat
        self.assertFalse(any(k.startswith("slo") for k in self.s.flat.index))

    def test_services_frame(self):
        sv = self.s.services
        self.assertEqual(list(sv.index), ["web", "api.v2"])       # summary.json's order
        self.assertEqual(sv.loc["web", "latency_ms.p99"], 45)
        self.assertEqual(sv.loc["web", "replicas.mean"], 2.5)
        self.assertEqual(sv.loc["api.v2", "cost_usd"], 0.008)
        self.assertTrue(math.isnan(sv.loc["web", "scale_up_response_s"]))   # null
        self.assertTrue(math.isnan(sv.loc["api.v2", "scale_up_response_s"]))  # absent

    def test_regions_and_caches(self):
        self.assertEqual(list(self.s.regions.index), ["london", "sydney"])
        self.assertEqual(self.s.regions.loc["sydney", "latency_ms.p95"], 70)
        self.assertTrue(math.isnan(self.s.regions.loc["sydney", "latency_ms.p99"]))
        c = self.s.caches
        self.assertEqual(list(c.index), ["browser", "cdn"])
        self.assertEqual(list(c.columns), ["hit_ratio", "hits", "misses"])   # edges, bypass dropped
        self.assertEqual(c.loc["cdn", "hit_ratio"], 0.75)

    def test_slo(self):
        slo = self.s.slo
        self.assertEqual(list(slo["name"]), ["p99", "errors", "sydney p99"])
        self.assertEqual(list(slo["pass"]), [True, False, False])
        self.assertTrue(math.isnan(slo["value"].iloc[2]))

    def test_value_ci(self):
        v, ci = self.s.value_ci("latency_ms.p99")
        self.assertEqual(v, 80)
        self.assertTrue(math.isnan(ci))          # one replication: no interval
        s2 = cr.load_summary(FIX / "r2" / "summary.json")
        self.assertEqual(s2.replications, 3)
        self.assertEqual(s2.value_ci("latency_ms.p99"), (80, 4.5))
        self.assertEqual(s2.services.loc["web", "latency_ms.p99_ci95"], 2.25)
        self.assertEqual(s2.caches.loc["redis", "hit_ratio_ci95"], 0.05)
        self.assertNotIn("memory_bytes", s2.caches.columns)
        self.assertEqual(len(s2.slo), 0)
        self.assertEqual(len(s2.regions), 0)

    def test_wrong_schema(self):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "summary.json").write_text('{"schema": "something/v9"}')
            with self.assertRaises(ValueError):
                cr.load_summary(d)


class Timeseries(unittest.TestCase):
    def test_split_series(self):
        self.assertEqual(cr.split_series("offered_rate"), ("global", "", "offered_rate"))
        self.assertEqual(cr.split_series("web.replicas"), ("service", "web", "replicas"))
        self.assertEqual(cr.split_series("api.v2.latency_p99_ms"), ("service", "api.v2", "latency_p99_ms"))
        self.assertEqual(cr.split_series("region.new-york.latency_p95_ms"),
                         ("region", "new-york", "latency_p95_ms"))
        self.assertEqual(cr.split_series("edge.london.up"), ("edge", "london", "up"))
        self.assertEqual(cr.split_series("browser.hit_ratio"), ("browser", "browser", "hit_ratio"))

    def test_load(self):
        ts = cr.load_timeseries(FIX / "r1")
        self.assertEqual(len(ts), 15)
        self.assertEqual(list(ts.columns),
                         ["replication", "time_s", "series", "value", "scope", "name", "metric"])
        counts = ts["scope"].value_counts().to_dict()
        # 4 offered_rate rows; web x7 + api.v2 x1; one region, one edge, one browser row
        self.assertEqual(counts, {"service": 8, "global": 4, "region": 1, "edge": 1, "browser": 1})

    def test_wide_mean_and_one_replication(self):
        ts = cr.load_timeseries(FIX / "r1")
        rep = cr.wide(ts, "replicas", "service")
        self.assertEqual(list(rep.columns), ["web"])
        self.assertEqual(rep.loc[5.0, "web"], 3.0)      # (2 + 4) / 2
        self.assertEqual(rep.loc[10.0, "web"], 4.0)     # (3 + 5) / 2
        one = cr.wide(ts, "replicas", "service", replication=1)
        self.assertEqual(list(one["web"]), [4.0, 5.0])
        lat = cr.wide(ts, "latency_p99_ms", "service", replication=0)
        self.assertEqual(sorted(lat.columns), ["api.v2", "web"])
        self.assertTrue(math.isnan(lat.loc[10.0, "api.v2"]))   # no row: nothing completed
        glob = cr.wide(ts, "offered_rate")
        self.assertEqual(list(glob.columns), ["offered_rate"])
        self.assertEqual(list(glob["offered_rate"]), [100.0, 200.0])

    def test_header_only(self):
        ts = cr.load_timeseries(FIX / "r2")
        self.assertEqual(len(ts), 0)

    def test_bad_header(self):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "timeseries.csv").write_text("time,series,value\n1,a,2\n")
            with self.assertRaises(ValueError):
                cr.load_timeseries(d)

    def test_truncated(self):
        # a file cut mid-row reads as a row short of fields, not as NaN
        # cells under a shortened series name
        with tempfile.TemporaryDirectory() as d:
            Path(d, "timeseries.csv").write_text(
                "replication,time_s,series,value\n0,1,web.utilization,0.5\n0,2,web.utilizati")
            with self.assertRaisesRegex(ValueError, r"timeseries.csv:3: 3 fields where the header has 4"):
                cr.load_timeseries(d)
            Path(d, "events.csv").write_text("replication,time_s,object,from,to,reason\n0,10,web/h")
            with self.assertRaisesRegex(ValueError, r"events.csv:2: 3 fields where the header has 6"):
                cr.load_events(d)
            # a blank line is no row (pandas skips it too)
            Path(d, "events.csv").write_text("replication,time_s,object,from,to,reason\n0,10,web/hpa,3,4,x\n\n")
            self.assertEqual(len(cr.load_events(d)), 1)


class Events(unittest.TestCase):
    def test_load(self):
        ev = cr.load_events(FIX / "r1")
        self.assertEqual(list(ev["name"]), ["web", "cdn.london", "web"])
        self.assertEqual(list(ev["kind"]), ["hpa", "edge", "threshold"])
        self.assertEqual(ev["to_n"].iloc[0], 4)
        self.assertTrue(math.isnan(ev["to_n"].iloc[1]))       # "down" is not a number
        self.assertEqual(ev["to"].iloc[1], "down")
        self.assertEqual(ev["reason"].iloc[2], "cpu 85% > 70%")

    def test_object_split_at_the_last_slash(self):
        # clustersim writes NAME/KIND (world_event, sim/world.c), KIND one word
        # without a slash: a name with a slash in it stays whole
        ev = cr.load_events(FIX / "events-slash")
        self.assertEqual(list(ev["name"]), ["team/web", "cdn"])
        self.assertEqual(list(ev["kind"]), ["hpa", "purge"])
        self.assertEqual(ev["from"].iloc[1], "/img/*")           # from is not split
        self.assertEqual(ev["to_n"].iloc[0], 5)

    def test_empty(self):
        ev = cr.load_events(FIX / "r2")
        self.assertEqual(len(ev), 0)
        self.assertIn("kind", ev.columns)


class Sweep(unittest.TestCase):
    def test_axes_without_json(self):
        sw = cr.load_sweep(FIX / "sweep-nojson" / "sweep.csv")
        self.assertEqual(cr.sweep_axes(sw), ["services.web.replicas", "traffic.rate"])
        self.assertEqual(sw.attrs["scenario"], "sweep-nojson")
        self.assertEqual(list(sw["traffic.rate"]), ["40/s", "60/s", "40/s", "60/s"])
        self.assertTrue(math.isnan(sw.loc[1, "latency_ms.p99"]))    # empty cell: no sample
        self.assertEqual(list(sw["slo.p99.pass"].astype(object)), [True, False, True, True])
        self.assertTrue(pd.isna(sw.loc[3, "slo.errors.pass"]))

    def test_axes_from_json(self):
        sw = cr.load_sweep(FIX / "sweep-grid")
        self.assertEqual(cr.sweep_axes(sw), ["services.web.replicas"])
        self.assertEqual(sw.attrs["scenario"], "fixture")
        self.assertEqual(sw.loc[1, "latency_ms.p99_ci95"], 5)

    def test_meets_slos(self):
        sw = cr.load_sweep(FIX / "sweep-nojson")
        # row 1 fails both gates; row 3 has no errors verdict, which is not a pass
        self.assertEqual(list(cr.meets_slos(sw)), [True, False, True, False])
        no_gates = cr.load_sweep(FIX / "sweep-grid")
        self.assertEqual(list(cr.meets_slos(no_gates)), [True, True])

    def test_not_a_sweep(self):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "sweep.csv").write_text("a,b\n1,2\n")
            with self.assertRaises(ValueError):
                cr.load_sweep(d)


class Pareto(unittest.TestCase):
    def test_on_sweep_with_slos(self):
        sw = cr.load_sweep(FIX / "sweep-nojson")
        front = cr.pareto_front(sw, {"cost.total_usd": "min", "latency_ms.p99": "min"})
        # feasible: 0 (cost 1, p99 900) and 2 (2, 300); neither dominates the other
        self.assertEqual(list(front["point"]), [0, 2])

    def test_without_constraints(self):
        sw = cr.load_sweep(FIX / "sweep-nojson")
        front = cr.pareto_front(sw, ["cost.total_usd", "latency_ms.p99"], constraints=[])
        # row 1 has no p99 (dropped); row 3 (2, 500) is dominated by row 2 (2, 300)
        self.assertEqual(list(front["point"]), [0, 2])

    def test_hand_made(self):
        df = pd.DataFrame({
            "cost": [1, 2, 3, 2, 1, 4],
            "p99":  [9, 5, 1, 6, 9, 1],
            "tput": [10, 10, 10, 10, 10, 20],
            "ok":   [True, True, True, True, True, False],
        })
        # (1,9) twice (a tie: both kept), (2,5), (3,1); (2,6) dominated by (2,5);
        # (4,1) dominated by (3,1)
        front = cr.pareto_front(df, ["cost", "p99"], constraints=[])
        self.assertEqual(list(front.index), [0, 4, 1, 2])
        # maximising throughput too: row 5 (4, 1, 20) is no longer dominated...
        front = cr.pareto_front(df, {"cost": "min", "p99": "min", "tput": "max"}, constraints=[])
        self.assertEqual(sorted(front.index), [0, 1, 2, 4, 5])
        # ...unless the constraint column excludes it
        front = cr.pareto_front(df, {"cost": "min", "p99": "min", "tput": "max"}, constraints=["ok"])
        self.assertEqual(sorted(front.index), [0, 1, 2, 4])
        # a boolean Series as the constraint
        front = cr.pareto_front(df, ["cost", "p99"], constraints=df["cost"] >= 2)
        self.assertEqual(list(front.index), [1, 2])

    def test_indistinguishable(self):
        # a: cost 1 +- 0.1, p99 100 +- 10; b: 1.15 +- 0.1, 105 +- 5 (overlaps a in both);
        # c: 1.05 +- 0.1, 200 +- 10 (overlaps a and b in cost only); d: 3, 300, no ci95 (NaN)
        df = pd.DataFrame({"cost": [1.0, 1.15, 1.05, 3.0], "cost_ci95": [0.1, 0.1, 0.1, math.nan],
                           "p99": [100.0, 105.0, 200.0, 300.0], "p99_ci95": [10.0, 5.0, 10.0, math.nan]},
                          index=["a", "b", "c", "d"])
        same = cr.indistinguishable(df, ["cost", "p99"])
        self.assertEqual(same.to_dict(), {"a": ["b"], "b": ["a"], "c": [], "d": []})
        self.assertEqual(cr.indistinguishable(df, ["cost"])["c"], ["a", "b"])
        # touching ends overlap; without a _ci95 column the value alone
        self.assertEqual(cr.indistinguishable(pd.DataFrame({"x": [1.0, 1.0, 2.0]}), ["x"]).tolist(),
                         [[1], [0], []])

    def test_bad_objective(self):
        df = pd.DataFrame({"a": [1]})
        with self.assertRaises(ValueError):
            cr.pareto_front(df, {"a": "smallest"}, constraints=[])
        with self.assertRaises(KeyError):
            cr.pareto_front(df, ["b"], constraints=[])


class CompareAndAutoscaler(unittest.TestCase):
    def test_compare(self):
        c = cr.load_compare(FIX / "compare")
        self.assertEqual(c.attrs["replications"], 4)
        self.assertEqual(c.loc["latency_ms.p99", "diff_lo"], 7.5)     # 10 - 2.5
        self.assertEqual(c.loc["latency_ms.p99", "diff_hi"], 12.5)
        self.assertTrue(math.isnan(c.loc["requests.failed", "diff_pct"]))   # base 0

    def test_autoscaler_optional(self):
        self.assertIsNone(cr.load_autoscaler(FIX / "r1"))
        a = cr.load_autoscaler(FIX / "autoscaler")
        self.assertEqual(list(a["final"]), [3, 4])
        self.assertTrue(pd.isna(a["reason"].iloc[0]))
        self.assertEqual(a["reason"].iloc[1], "ScaleUpLimit")


class Figures(unittest.TestCase):
    def tearDown(self):
        plt.close("all")

    def good(self):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 2], label="web")
        ax.plot([0, 1], [2, 3], label="api")
        ax.set_title("latency")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("latency (ms)")
        ax.legend()
        return fig, ax

    def test_a_good_figure(self):
        fig, _ = self.good()
        self.assertEqual(cr.check_figure(fig), [])

    def test_each_missing_piece(self):
        fig, ax = self.good()
        ax.set_title("")
        self.assertEqual(cr.check_figure(fig), ["axes 0: no title"])
        fig.suptitle("a run")                       # the figure's title will do
        self.assertEqual(cr.check_figure(fig), [])
        ax.set_ylabel("")
        self.assertEqual(cr.check_figure(fig), ["axes 0: no y label"])
        ax.set_ylabel("latency")
        self.assertEqual(cr.check_figure(fig), ["axes 0: y label 'latency' has no unit in parentheses"])
        ax.set_ylabel("latency (ms)")
        ax.get_legend().remove()
        self.assertEqual(cr.check_figure(fig), ["axes 0: 2 labelled series and no legend"])

    def test_names_need_no_label(self):
        fig, ax = plt.subplots()
        ax.barh(["web", "api"], [1.0, 2.0])
        ax.set_title("cost")
        ax.set_xlabel("cost (USD)")                 # the y axis holds names
        self.assertEqual(cr.check_figure(fig), [])
        ax.set_xlabel("")
        self.assertEqual(cr.check_figure(fig), ["cost: no x label"])

    def test_shared_and_twinned_axes(self):
        fig, (top, bottom) = plt.subplots(2, 1, sharex=True)
        top.plot([0, 1], [0, 1])
        top.set_title("load")
        top.set_ylabel("load (requests/s)")
        bottom.plot([0, 1], [1, 0])
        bottom.set_title("replicas")
        bottom.set_ylabel("replicas (pods)")
        bottom.set_xlabel("time (min)")             # carries the shared x axis
        twin = bottom.twinx()
        twin.plot([0, 1], [5, 6])
        twin.set_ylabel("cost (USD)")
        self.assertEqual(cr.check_figure(fig), [])
        twin.set_ylabel("")
        self.assertEqual(cr.check_figure(fig), ["axes 2: no y label"])
        fig, (a, b) = plt.subplots(1, 2, sharey=True)   # b's category ticks are hidden
        for ax in (a, b):
            ax.barh(["web", "api"], [1.0, 2.0])
            ax.set_title("t")
            ax.set_xlabel("x (s)")
        self.assertEqual(cr.check_figure(fig), [])

    def test_a_path_or_a_name_is_no_unit(self):
        fig, ax = self.good()
        ax.set_xlabel("cpu_up (services.api-gateway.autoscaler.cpu_up)")
        self.assertEqual(cr.check_figure(fig), [
            "latency: x label 'cpu_up (services.api-gateway.autoscaler.cpu_up)': its unit is a path"])
        ax.set_xlabel("threshold (cpu_up)")
        self.assertEqual(cr.check_figure(fig), ["latency: x label 'threshold (cpu_up)': its unit is a name"])
        ax.set_xlabel("threshold (step)")
        self.assertEqual(cr.check_figure(fig), [])
        self.assertEqual(cr.check_figure(fig, columns=["point", "step"]),
                         ["latency: x label 'threshold (step)': its unit is a column name"])
        for ok in ("cpu_up (% of CPU request)", "pod-hours (pod·h)", "load (requests/s)",
                   "size (MiB)", "share (0.1 %)", "time (s)"):
            ax.set_xlabel(ok)
            self.assertEqual(cr.check_figure(fig, columns=["point", "step"]), [], ok)

    def test_axis_units(self):
        self.assertEqual(cr.axis_unit("services.api-gateway.autoscaler.cpu_up", ["30", "40"]),
                         "% of CPU request")
        self.assertEqual(cr.axis_label("services.api-gateway.autoscaler.step", ["1", "2"]), "step (pods)")
        self.assertEqual(cr.axis_unit("services.web.autoscaler.cooldown", ["30s", "90s"]), "s")
        self.assertEqual(cr.axis_unit("services.web.autoscaler.cooldown", ["30s", "2m"]), "s")   # the table's
        self.assertEqual(cr.axis_unit("traffic.rate", ["40/s", "80/s"]), "requests/s")
        self.assertEqual(cr.axis_unit("services.web.resources.requests.cpu", ["250m", "500m"]), "millicores")
        self.assertEqual(cr.axis_unit("services.web.resources.requests.memory", ["256Mi", "1Gi"]), "bytes")
        self.assertEqual(cr.axis_unit("services.web.memory.base", ["256Mi", "512Mi"]), "MiB")
        self.assertEqual(cr.axis_unit("services.web.no_such_key", ["1"]), "as written")
        for path in cr.AXIS_UNITS:      # every label the table makes passes check_figure
            self.assertEqual(cr._not_a_unit(cr.axis_unit(path)), "", path)

    def test_save_refuses_an_unlabelled_figure(self):
        with tempfile.TemporaryDirectory() as d:
            fig, ax = self.good()
            self.assertEqual(cr.save_figure(fig, Path(d, "ok.png")), Path(d, "ok.png"))
            self.assertTrue(Path(d, "ok.png").stat().st_size > 0)
            ax.set_xlabel("")
            with self.assertRaises(ValueError) as e:
                cr.save_figure(fig, Path(d, "bad.png"))
            self.assertIn("no x label", str(e.exception))
            self.assertFalse(Path(d, "bad.png").exists())


class Environment(unittest.TestCase):
    def setUp(self):
        self.saved = {k: os.environ.get(k) for k in ("CLUSTERSIM", "CLUSTERSIM_RESULTS", "CLUSTERSIM_NB_QUICK",
                                                     "CLUSTERSIM_RUN_DIR", "CLUSTERSIM_SWEEP_CSV")}

    def tearDown(self):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def test_defaults(self):
        for k in self.saved:
            os.environ.pop(k, None)
        self.assertEqual(cr.binary(), REPO / "bin" / "clustersim")
        self.assertFalse(cr.quick())

    def test_overrides(self):
        with tempfile.TemporaryDirectory() as d:
            os.environ["CLUSTERSIM"] = "bin/address/clustersim"
            os.environ["CLUSTERSIM_RESULTS"] = d
            os.environ["CLUSTERSIM_NB_QUICK"] = "1"
            self.assertEqual(cr.binary(), REPO / "bin" / "address" / "clustersim")
            self.assertEqual(cr.results_root("nb"), Path(d) / "nb")
            self.assertTrue((Path(d) / "nb").is_dir())
            self.assertTrue(cr.quick())
            os.environ["CLUSTERSIM_NB_QUICK"] = "0"
            self.assertFalse(cr.quick())

    def test_run_dir_and_sweep_csv_from_the_repository(self):
        # relative: from the repository root, as CLUSTERSIM and CLUSTERSIM_RESULTS
        # (not from notebooks/, where Jupyter starts the kernel)
        for k in ("CLUSTERSIM_RUN_DIR", "CLUSTERSIM_SWEEP_CSV"):
            os.environ.pop(k, None)
            self.assertIsNone(cr.env_path(k))
            os.environ[k] = ""
            self.assertIsNone(cr.env_path(k))
        os.environ["CLUSTERSIM_RUN_DIR"] = "results/run"
        os.environ["CLUSTERSIM_SWEEP_CSV"] = "tests/notebooks/fixtures/sweep-grid/sweep.csv"
        self.assertEqual(cr.env_path("CLUSTERSIM_RUN_DIR"), REPO / "results" / "run")
        csv = cr.env_path("CLUSTERSIM_SWEEP_CSV")
        self.assertEqual(csv, FIX / "sweep-grid" / "sweep.csv")
        self.assertEqual(len(cr.load_sweep(csv)), 2)
        cwd = os.getcwd()
        try:
            os.chdir(REPO / "notebooks")                     # where a notebook's kernel runs
            self.assertEqual(cr.env_path("CLUSTERSIM_SWEEP_CSV"), FIX / "sweep-grid" / "sweep.csv")
        finally:
            os.chdir(cwd)
        with tempfile.TemporaryDirectory() as d:
            os.environ["CLUSTERSIM_RUN_DIR"] = d             # absolute: as it is
            self.assertEqual(cr.env_path("CLUSTERSIM_RUN_DIR"), Path(d))

    def test_run_failure_names_the_command(self):
        with tempfile.TemporaryDirectory() as d:
            os.environ["CLUSTERSIM"] = str(Path(d) / "missing")
            with self.assertRaises(FileNotFoundError):
                cr.run_clustersim("--version")
            fake = Path(d) / "fake"
            fake.write_text("#!/bin/sh\necho 'x.yaml:1:1: bad' >&2\nexit 2\n")
            fake.chmod(0o755)
            os.environ["CLUSTERSIM"] = str(fake)
            with self.assertRaises(RuntimeError) as e:
                cr.run_clustersim("run", "x.yaml")
            self.assertIn("exit 2", str(e.exception))
            self.assertIn("x.yaml:1:1: bad", str(e.exception))
            self.assertEqual(cr.run_clustersim("run", ok=(0, 2)).returncode, 2)


if __name__ == "__main__":
    unittest.main()
