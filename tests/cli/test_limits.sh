#!/usr/bin/env bash
# test_limits.sh: clustersim's own bounds on what a run creates (sim/limits.h).
#
#   CLUSTERSIM=bin/clustersim bash tests/cli/test_limits.sh     (from the repository root)
#
# Kubernetes accepts an HPA with maxReplicas 2^31-1 and a Deployment of any
# size; clustersim refuses them when the scenario is loaded, with exit 2 and
# `file:line:col:` at the key that exceeds its limit, and a message naming the
# limit as clustersim's (not the API's). Each bound is checked just above it
# (refused) and at it (accepted), through `validate`, so nothing runs. Before
# these limits, each refused input here was accepted: a run of up to 2^31
# pods, of 2^20 service visits per request, of 1001 services, of 126 million
# time-series rows.

set -u

. "$(dirname "$0")/lib.sh"
cli_init limits

if [ ! -x "$CLUSTERSIM" ]; then
    not_ok "$CLUSTERSIM is not an executable (build it with make)"
    # --- rows of timeseries.csv -------------------------------------------------------
# 900 h at 1 s is 3,240,000 samples; 2 + 13 series a service: 3 services
# make 41 series, 132,840,000 rows; 2 services 28 series, 90,720,000 rows
rows() {
    printf 'duration: 900h\nsample_interval: 1s\ntraffic: {rate: 1/s}\nservices:\n'
    for ((i = 0; i < $1; i++)); do printf '  s%d: {}\n' "$i"; done
}
rows 3 >s-rows.yaml
refused "132,840,000 rows of timeseries.csv" s-rows.yaml \
    "s-rows.yaml:2:18: sample_interval: 3240000 samples of 41 series make 132840000 rows of timeseries.csv, above clustersim's limit of 100000000 rows per replication"
rows 2 >s-rows-ok.yaml
accepted "90,720,000 rows of timeseries.csv" s-rows-ok.yaml

finish
fi
cd "$TMP" || exit 3

# refused NAME FILE EXPECTED: validate FILE gives exit 2 and a stderr line
# ending with EXPECTED (which starts with the file's line:col).
refused() {
    run validate "$2"
    if [ "$rc" -eq 2 ] && grep -qF -- "$3" "$ERR"; then
        ok "$1: exit 2, $(grep -F -- "$3" "$ERR" | head -n 1)"
    else
        not_ok "$1: expected exit 2 and '$3'" "exit $rc, stderr: $(one_line "$ERR")"
    fi
}

accepted() {
    run validate "$2"
    if [ "$rc" -eq 0 ]; then
        ok "$1: accepted"
    else
        not_ok "$1: expected exit 0" "exit $rc, stderr: $(one_line "$ERR")"
    fi
}

# hpa MAX [MIN]: an HPA manifest; maxReplicas is at 7:16, minReplicas at 6:16
hpa() {
    cat <<EOF
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: ${2:-1}
  maxReplicas: $1
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 50}
EOF
}

scenario_with_hpa() {
    cat <<EOF
duration: 10m
traffic: {rate: 10/s}
services:
  web:
    resources: {requests: {cpu: 100m}}
    autoscaler: {kind: hpa, manifest: $1}
EOF
}

# --- HPA maxReplicas / minReplicas (the example of issue 6) -----------------
hpa 2147483647 >hpa-max.yaml
scenario_with_hpa hpa-max.yaml >s-hpa-max.yaml
refused "HPA maxReplicas 2147483647" s-hpa-max.yaml \
    "hpa-max.yaml:7:16: spec.maxReplicas: 2147483647 is above clustersim's limit of 10000 pods per service"
hpa 10001 10001 >hpa-min.yaml
scenario_with_hpa hpa-min.yaml >s-hpa-min.yaml
refused "HPA minReplicas 10001" s-hpa-min.yaml \
    "hpa-min.yaml:6:16: spec.minReplicas: 10001 is above clustersim's limit of 10000 pods per service"
hpa 10000 >hpa-ok.yaml
scenario_with_hpa hpa-ok.yaml >s-hpa-ok.yaml
accepted "HPA maxReplicas 10000" s-hpa-ok.yaml
# the API's own validation is unchanged: minReplicas above maxReplicas
hpa 3 5 >hpa-api.yaml
scenario_with_hpa hpa-api.yaml >s-hpa-api.yaml
refused "HPA minReplicas > maxReplicas (an API error, as before)" s-hpa-api.yaml \
    "hpa-api.yaml:7:16: spec.maxReplicas: Invalid value: 3: must be greater than or equal to \`minReplicas\`"

# --- Deployment spec.replicas, maxSurge, maxUnavailable -----------------------
# deployment REPLICAS SURGE UNAVAILABLE: replicas at 5:13, maxSurge at 7:31
deployment() {
    cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: $1
  strategy:
    rollingUpdate: {maxSurge: $2, maxUnavailable: $3}
  template:
    spec:
      containers: [{name: c}]
EOF
}
scenario_with_deployment() {
    printf 'duration: 10m\ntraffic: {rate: 10/s}\nservices:\n  web:\n    deployment: %s\n' "$1"
}
deployment 10001 1 0 >dep-replicas.yaml
scenario_with_deployment dep-replicas.yaml >s-dep-replicas.yaml
refused "Deployment spec.replicas 10001" s-dep-replicas.yaml \
    "dep-replicas.yaml:5:13: spec.replicas: 10001 is above clustersim's limit of 10000 pods per service"
deployment 10 10001 0 >dep-surge.yaml
scenario_with_deployment dep-surge.yaml >s-dep-surge.yaml
refused "Deployment maxSurge 10001" s-dep-surge.yaml \
    "dep-surge.yaml:7:31: spec.strategy.rollingUpdate.maxSurge: 10001 is above clustersim's limit of 10000 extra pods during a rollout"
deployment 10 '"101%"' 0 >dep-surge-pct.yaml
scenario_with_deployment dep-surge-pct.yaml >s-dep-surge-pct.yaml
refused "Deployment maxSurge 101%" s-dep-surge-pct.yaml \
    "dep-surge-pct.yaml:7:31: spec.strategy.rollingUpdate.maxSurge: 101% is above clustersim's limit of 100%"
deployment 10 '2147483648%' 0 >dep-surge-huge.yaml
scenario_with_deployment dep-surge-huge.yaml >s-dep-surge-huge.yaml
run validate s-dep-surge-huge.yaml
if [ "$rc" -eq 2 ] && grep -qF "dep-surge-huge.yaml:7:31: spec.strategy.rollingUpdate.maxSurge:" "$ERR"; then
    ok "Deployment maxSurge 2147483648% (beyond int32): exit 2 at the key"
else
    not_ok "Deployment maxSurge 2147483648%: expected exit 2 at 7:31" "exit $rc, stderr: $(one_line "$ERR")"
fi
deployment 10 25% '"101%"' >dep-unavail.yaml
scenario_with_deployment dep-unavail.yaml >s-dep-unavail.yaml
refused "Deployment maxUnavailable 101% (the API's rule)" s-dep-unavail.yaml \
    "dep-unavail.yaml:7:52: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"101%\": must not be greater than 100%"
deployment 10 -5% 0 >dep-negative.yaml
scenario_with_deployment dep-negative.yaml >s-dep-negative.yaml
refused "Deployment maxSurge -5% (was read as -5%)" s-dep-negative.yaml \
    "dep-negative.yaml:7:31: spec.strategy.rollingUpdate.maxSurge: expected a count (0, 1, ...) or a percentage such as 25%, got '-5%'"
deployment 10000 10000 0 >dep-ok.yaml
scenario_with_deployment dep-ok.yaml >s-dep-ok.yaml
accepted "Deployment replicas 10000, maxSurge 10000" s-dep-ok.yaml

# --- the scenario's own strategy --------------------------------------------
printf 'duration: 10m\ntraffic: {rate: 10/s}\nservices:\n  web:\n    rollouts: [1m]\n    strategy: {max_surge: 10001}\n' >s-surge.yaml
refused "strategy.max_surge 10001" s-surge.yaml \
    "s-surge.yaml:6:27: services.web.strategy.max_surge: 10001 is above clustersim's limit of 10000 extra pods during a rollout"

# --- pods per run --------------------------------------------------------------
# services N REPLICAS: N services of REPLICAS pods each; service i's key is at
# line 4 + 2i, column 3
services() {
    printf 'duration: 10m\ntraffic: {rate: 10/s}\nservices:\n'
    for ((i = 0; i < $1; i++)); do printf '  s%d:\n    replicas: %d\n' "$i" "$2"; done
}
services 11 10000 >s-pods.yaml
refused "11 services of 10000 replicas" s-pods.yaml \
    "s-pods.yaml:24:3: services.s10: up to 10000 pods at once bring the run to 110000, above clustersim's limit of 100000 pods per run"
services 10 10000 >s-pods-ok.yaml
accepted "10 services of 10000 replicas (100000 pods)" s-pods-ok.yaml
# the surge of a rolling update counts: 9 x 10000 + (5001 + 100% of 5001)
{
    services 9 10000
    printf '  last:\n    replicas: 5001\n    rollouts: [1m]\n    strategy: {max_surge: 100%%}\n'
} >s-surge-run.yaml
refused "pods per run, counting a rollout's surge" s-surge-run.yaml \
    "s-surge-run.yaml:22:3: services.last: up to 10002 pods at once (5001 replicas + 5001 surge in a rollout) bring the run to 100002, above clustersim's limit of 100000 pods per run"
# an autoscaler's maximum counts, not only the initial replicas
{
    services 9 10000
    printf '  last:\n    replicas: 1\n    autoscaler: {kind: threshold, max_replicas: 10000}\n'
    printf '  extra:\n    replicas: 1\n'
} >s-as-run.yaml
refused "pods per run, counting an autoscaler's max_replicas" s-as-run.yaml \
    "s-as-run.yaml:25:3: services.extra: up to 1 pod at once brings the run to 100001, above clustersim's limit of 100000 pods per run"
# workers: pods x concurrency
printf 'duration: 10m\ntraffic: {rate: 10/s}\nservices:\n  web:\n    replicas: 10000\n    concurrency: 1001\n' >s-workers.yaml
refused "workers per run (10000 pods x concurrency 1001)" s-workers.yaml \
    "s-workers.yaml:4:3: services.web: up to 10000 pods x concurrency 1001 bring the run to 10010000 workers, above clustersim's limit of 10000000 workers per run"

# --- services ------------------------------------------------------------------
services 1001 1 >s-services.yaml
refused "1001 services" s-services.yaml \
    "s-services.yaml:2004:3: services.s1000: service 1001 of 1001 is above clustersim's limit of 1000 services per run"
services 1000 1 >s-services-ok.yaml
accepted "1000 services" s-services-ok.yaml

# --- visits per request ---------------------------------------------------------
# fan N: service i calls service i+1 twice, N deep: s_i makes 2^(N-i+1) - 1
# visits; with N = 20, s7 is the first above 10000 (2^14 - 1 = 16383), and
# it is reported at its second call (1 + 8191 + 8191), line 19, column 17
fan() {
    printf 'duration: 10m\ntraffic: {rate: 10/s}\nservices:\n'
    for ((i = 0; i < $1; i++)); do printf '  s%d:\n    calls: [s%d, s%d]\n' "$i" $((i + 1)) $((i + 1)); done
    printf '  s%d: {}\n' "$1"
}
fan 20 >s-fan.yaml
refused "2^21 - 1 service visits per request" s-fan.yaml \
    "s-fan.yaml:19:17: services.s7.calls[1]: a request to 's7' would make more than 10000 service visits"
fan 12 >s-fan-ok.yaml
accepted "2^13 - 1 = 8191 service visits per request" s-fan-ok.yaml

# --- rows of timeseries.csv -------------------------------------------------------
# 900 h at 1 s is 3,240,000 samples; 2 + 13 series a service: 3 services
# make 41 series, 132,840,000 rows; 2 services 28 series, 90,720,000 rows
rows() {
    printf 'duration: 900h\nsample_interval: 1s\ntraffic: {rate: 1/s}\nservices:\n'
    for ((i = 0; i < $1; i++)); do printf '  s%d: {}\n' "$i"; done
}
rows 3 >s-rows.yaml
refused "132,840,000 rows of timeseries.csv" s-rows.yaml \
    "s-rows.yaml:2:18: sample_interval: 3240000 samples of 41 series make 132840000 rows of timeseries.csv, above clustersim's limit of 100000000 rows per replication"
rows 2 >s-rows-ok.yaml
accepted "90,720,000 rows of timeseries.csv" s-rows-ok.yaml

# --- arrivals per replication -------------------------------------------------------
# 10^6/s for 10,001 s: 1.0001 x 10^10 expected arrivals (for 10,000 s, 10^10,
# at the limit); a profile from 0 to 10^6/s over 20,000 s, then flat: the
# trapezoid's 10^10 plus 1 s at 10^6/s; a flash crowd of factor 2 doubles
# the bound (the thinning draws candidates at twice the rate), so 5,001 s
# make 1.0002 x 10^10
arrivals() {
    printf 'duration: %s\ntraffic:\n  rate: 1000000/s\n%bservices:\n  web: {}\n' "$1" "$2"
}
arrivals 10001s '' >s-arrivals.yaml
refused "10^6/s for 10,001 s" s-arrivals.yaml \
    "s-arrivals.yaml:3:9: traffic: 10001000000 arrivals expected in a replication of 10001 s"
grep -q "above clustersim's limit of 10000000000 per replication" "$ERR" ||
    not_ok "the arrivals message names the limit" "$(one_line "$ERR")"
arrivals 10000s '' >s-arrivals-ok.yaml
accepted "10^6/s for 10,000 s (10^10 arrivals)" s-arrivals-ok.yaml
arrivals 20001s '  profile: [{at: 0s, rate: 0/s}, {at: 20000s, rate: 1000000/s}]\n' >s-profile.yaml
refused "a profile rising to 10^6/s over 20,000 s, for 20,001 s" s-profile.yaml \
    "s-profile.yaml:4:12: traffic: 10001000000 arrivals expected in a replication of 20001 s"
arrivals 19999s '  profile: [{at: 0s, rate: 0/s}, {at: 20000s, rate: 1000000/s}]\n' >s-profile-ok.yaml
accepted "the same profile for 19,999 s" s-profile-ok.yaml
arrivals 5001s '  flash_crowds: [{at: 1h, factor: 2, rise: 5m, hold: 1m, fall: 1m}]\n' >s-flash.yaml
refused "10^6/s with a flash crowd of factor 2, for 5,001 s" s-flash.yaml \
    "s-flash.yaml:3:9: traffic: 10002000000 arrivals expected in a replication of 5001 s"
arrivals 4999s '  flash_crowds: [{at: 1h, factor: 2, rise: 5m, hold: 1m, fall: 1m}]\n' >s-flash-ok.yaml
accepted "the same flash crowd for 4,999 s" s-flash-ok.yaml

# --- periodic work --------------------------------------------------------------------
# up to 10,000 pods synced every 3 ms for a day: 28,800,000 syncs, plus
# 2 x 1,440 metrics windows and scrapes (every 60 s) and 720 samples (the
# default interval for a day, 2 min), each visiting every pod:
# 10,000 x 28,803,600 = 288,036,000,000; every 10 ms: 10,000 x 8,643,600
# a day of one service under a threshold autoscaler: RATE REPLICAS MAX PERIOD
threshold_day() {
    printf 'duration: 1d\ntraffic: {rate: %s}\nservices:\n  web:\n    replicas: %s\n' "$1" "$2"
    printf '    autoscaler: {kind: threshold, min_replicas: 1, max_replicas: %s, period: %s}\n' "$3" "$4"
}
periodic() { threshold_day 10/s 2 10000 "$1"; }
periodic 3ms >s-periodic.yaml
refused "10,000 pods synced every 3 ms for a day" s-periodic.yaml \
    "s-periodic.yaml:4:3: services.web: periodic work (metrics scrapes, samples, autoscaler syncs) visits pods 288036000000 times in a replication of 86400 s, above clustersim's limit of 100000000000"
periodic 10ms >s-periodic-ok.yaml
accepted "10,000 pods synced every 10 ms for a day (86,436,000,000 visits)" s-periodic-ok.yaml

# a memory limit lets a pod crash-loop, a restart every 10 s at most: 10,000
# such pods for 4 years (1460 d: 12,614,400 restarts and 4,204,800 scrapes
# and windows a pod) pass 10^11; for 2 years half of that does not
printf 'duration: 1460d\ntraffic: {rate: 1/s}\nservices:\n  web:\n    replicas: 10000\n    resources: {limits: {memory: 1Gi}}\n' >s-crash.yaml
refused "10,000 pods that may crash-loop for 4 years" s-crash.yaml \
    "s-crash.yaml:4:3: services.web: periodic work (metrics scrapes, samples, crash-loop restarts) visits pods"
sed 's/1460d/730d/' s-crash.yaml >s-crash-ok.yaml
accepted "the same for 2 years" s-crash-ok.yaml

# --- rows of autoscaler.csv ----------------------------------------------------------
# the threshold autoscaler writes a row per trigger (3) per sync: every 2 ms
# for a day, 43,200,000 syncs make 129,600,000 rows; every 3 ms, 86,400,000
autoscaler_rows() { threshold_day 1/s 1 2 "$1"; }
autoscaler_rows 2ms >s-asrows.yaml
refused "a sync every 2 ms for a day" s-asrows.yaml \
    "s-asrows.yaml:6:17: services.web.autoscaler: 43200000 syncs of 3 rows each make 129600000 rows of autoscaler.csv, above clustersim's limit of 100000000 rows per replication"
autoscaler_rows 3ms >s-asrows-ok.yaml
accepted "a sync every 3 ms for a day (86,400,000 rows)" s-asrows-ok.yaml

finish
