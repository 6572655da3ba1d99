#!/usr/bin/env bash
# test_whatifs.sh: every what-if beside scenarios/azora-baseline.yaml moves
# the results the way it should, against the same scenario without its
# fault or surge (the same seed: common random numbers, so until the fault
# the two runs are the same requests).
#
# To stay short the runs keep each file's timing (its faults at 18:00 UTC,
# the evening peak) but cut the traffic (traffic.rate) and end half an hour
# after the fault starts; the directions hold at any rate: a failure of an
# edge, a replica or a Redis primary, or a purge, never helps.
set -u
. "$(dirname "$0")/lib.sh"
cli_init whatifs
check() { if "$@"; then ok "$desc"; else not_ok "$desc" "$(first_err)"; fi; }

# runs SCENARIO into $TMP/NAME with extra --set arguments
go() {
    local name=$1 file=$2
    shift 2
    run run "scenarios/$file.yaml" -q -o "$TMP/$name" "$@"
    [ "$rc" = 0 ] || not_ok "$file runs ($name)" "$(first_err)"
}

# val DIR PATH: the value at a dotted path of DIR/summary.json
val() {
    python3 - "$1/summary.json" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'):
    d = d[k]
print(repr(float(d)))
EOF
}

# cmp A OP B: a numeric comparison; A and B are numbers or arithmetic on them
cmp() { python3 -c "import sys; sys.exit(0 if eval(sys.argv[1] + sys.argv[2] + sys.argv[3], {}) else 1)" "$1" "$2" "$3"; }

SHORT=(--set traffic.rate=20/s --set duration=150m)

# ---- johannesburg-outage: its users fail until DNS moves them, then go further
go jo johannesburg-outage "${SHORT[@]}"
go jo0 johannesburg-outage "${SHORT[@]}" --set 'faults=[]'
desc="johannesburg-outage: the region's edge goes down at 2 h (events.csv)"
check grep -q '^0,7200,cdn.johannesburg/edge,up,down,' "$TMP/jo/events.csv"
a=$(val "$TMP/jo" cache.cdn.dead_edge_failures); b=$(val "$TMP/jo0" cache.cdn.dead_edge_failures)
desc="johannesburg-outage: requests to the dead edge fail ($a against $b)"
check cmp "$a" '>' 0 && cmp "$b" '==' 0
a=$(val "$TMP/jo" regions.johannesburg.latency_ms.mean); b=$(val "$TMP/jo0" regions.johannesburg.latency_ms.mean)
desc="johannesburg-outage: Johannesburg's latency rises ($a ms against $b ms)"
check cmp "$a" '>' "$b"
a=$(val "$TMP/jo" requests.failed); b=$(val "$TMP/jo0" requests.failed)
desc="johannesburg-outage: more requests fail ($a against $b)"
check cmp "$a" '>' "$b"

# ---- replica-failure: the survivor carries the reads
go rf replica-failure "${SHORT[@]}"
go rf0 replica-failure "${SHORT[@]}" --set 'faults=[]'
desc="replica-failure: replica 1 goes down at 2 h (events.csv)"
check grep -q '^0,7200,database' "$TMP/rf/events.csv"
a=$(val "$TMP/rf" database.replicas.2.utilization); b=$(val "$TMP/rf0" database.replicas.2.utilization)
desc="replica-failure: the surviving replica works harder ($a against $b)"
check cmp "$a" '>' "$b"
a=$(val "$TMP/rf" database.replicas.1.utilization); b=$(val "$TMP/rf0" database.replicas.1.utilization)
desc="replica-failure: the failed replica works less ($a against $b)"
check cmp "$a" '<' "$b"

# ---- redis-failover: lookups fail while no primary is promoted
go rd redis-failover "${SHORT[@]}"
go rd0 redis-failover "${SHORT[@]}" --set 'faults=[]'
a=$(val "$TMP/rd" cache.redis.failed); b=$(val "$TMP/rd0" cache.redis.failed)
desc="redis-failover: lookups fail during the detection window ($a against $b)"
check cmp "$a" '>' 0 && cmp "$b" '==' 0
a=$(val "$TMP/rd" requests.failed); b=$(val "$TMP/rd0" requests.failed)
desc="redis-failover: more requests fail ($a against $b)"
check cmp "$a" '>' "$b"
go rdd redis-failover "${SHORT[@]}" --set redis.on_failover=database
a=$(val "$TMP/rdd" database.reads); b=$(val "$TMP/rd0" database.reads)
desc="redis-failover with on_failover: database: PostgreSQL takes the lookups ($a reads against $b)"
check cmp "$a" '>' "$b"

# ---- cache-purge: the edges go to the origin
go cp cache-purge "${SHORT[@]}"
go cp0 cache-purge "${SHORT[@]}" --set 'faults=[]'
a=$(val "$TMP/cp" cache.cdn.hit_ratio); b=$(val "$TMP/cp0" cache.cdn.hit_ratio)
desc="cache-purge: the CDN hit ratio falls ($a against $b)"
check cmp "$a" '<' "$b"
a=$(val "$TMP/cp" cache.cdn.origin_requests); b=$(val "$TMP/cp0" cache.cdn.origin_requests)
desc="cache-purge: more requests reach the origin ($a against $b)"
check cmp "$a" '>' "$b"
a=$(val "$TMP/cp" services.lms-service.throughput_rps); b=$(val "$TMP/cp0" services.lms-service.throughput_rps)
desc="cache-purge: the lms-service behind the course pages does more work ($a/s against $b/s)"
check cmp "$a" '>' "$b"

# ---- flash-crowd: five times the traffic for most of an hour
go fc flash-crowd --set traffic.rate=20/s --set duration=2h
go fc0 flash-crowd --set traffic.rate=20/s --set duration=2h --set 'traffic.flash_crowds=[]'
a=$(val "$TMP/fc" requests.total); b=$(val "$TMP/fc0" requests.total)
desc="flash-crowd: more requests ($a against $b)"
check cmp "$a" '>' "1.5 * $b"
a=$(val "$TMP/fc" services.api-gateway.throughput_rps); b=$(val "$TMP/fc0" services.api-gateway.throughput_rps)
desc="flash-crowd: more load on the api-gateway ($a/s against $b/s)"
check cmp "$a" '>' "$b"

# ---- black-friday: the day's traffic ramps from 1x to 3x. The mean
# factor over the day's requests lies between 1 and 3, above 2 since the
# daily curve peaks late in the UTC day (18:00): the ramp's upper half.
go bf black-friday --set traffic.rate=2/s
go bf0 black-friday --set traffic.rate=2/s --set 'traffic.profile=[{at: 0s, factor: 1}]'
a=$(val "$TMP/bf" requests.total); b=$(val "$TMP/bf0" requests.total)
desc="black-friday: the day's requests grow by between 2 and 3 times ($a against $b)"
check cmp "$a" '>' "2 * $b" && cmp "$a" '<' "3 * $b"
a=$(val "$TMP/bf" cost.total_usd); b=$(val "$TMP/bf0" cost.total_usd)
desc="black-friday: the day costs more ($a USD against $b USD)"
check cmp "$a" '>' "$b"

finish
