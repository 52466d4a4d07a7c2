/*
 * The engine's min-cost flow on a candidate graph (internal to src/match*):
 * source -> junior (its capacity), junior -> senior for every candidate pair
 * (capacity 1, cost -weight), senior -> sink (capacity 1), flow value free.
 * Besides the optimal pairs it returns exact dual prices, which is what lets
 * match.c prove the result optimal over pairs that were never candidates.
 */
#ifndef MENTORD_MATCH_FLOW_H
#define MENTORD_MATCH_FLOW_H

#include <stddef.h>
#include <stdint.h>

#define FLOW_NONE SIZE_MAX

/* One candidate pair in its junior's row. */
struct flow_arc {
	size_t senior;
	int64_t weight;   /* > 0; what matching this pair is worth */
};

struct flow_graph {
	size_t n_jun, n_sen;
	const size_t *cap;            /* per junior: seniors it may take */
	const size_t *first;          /* n_jun + 1 offsets into arcs */
	const struct flow_arc *arcs;  /* each junior's row, sorted by senior */
};

/*
 * Maximise the total weight of a b-matching of the graph. On return mate[s]
 * is senior s's junior or FLOW_NONE, and the duals jdual[j] >= 0 and
 * sdual[s] >= 0 satisfy jdual[j] + sdual[s] >= weight for every candidate
 * pair, with equality on matched pairs, sdual = 0 on unmatched seniors and
 * jdual = 0 on juniors with room: so a pair outside the graph with
 * jdual + sdual >= its weight could not improve the result. The arrays are
 * the caller's (n_sen, n_jun and n_sen long). The same graph always gives
 * the same mate[].
 *
 * flow_solve starts cold; it is flow_solve_warm with a fresh state and no
 * hint.
 */
void flow_solve(const struct flow_graph *g, size_t *mate, int64_t *jdual, int64_t *sdual);

/*
 * What a solve leaves for the next one: the last solve's exact duals (and
 * the solver's scratch). Owned by the caller; flow_state_free(NULL) is a
 * no-op.
 */
struct flow_state;
struct flow_state *flow_state_new(void);
void flow_state_free(struct flow_state *st);

/* How flow_solve_warm got its answer. */
enum flow_method {
	FLOW_SCALED,      /* cost scaling */
	FLOW_FALLBACK,    /* successive shortest paths: a weight above
			   * 2^59 / (n_jun + n_sen + 2), too large to scale */
};

/*
 * flow_solve, started from prices instead of from zero. The answer is the
 * same optimum whatever the start; a good start only makes it faster.
 *
 * If st holds a solve of a graph with the same n_jun and n_sen, that solve's
 * duals are the start: meant for a graph that has grown by a few arcs since
 * (the previous optimum then only has to be repaired where new arcs pay
 * more than their two prices). Otherwise, if jprice_hint is non-NULL, it
 * gives each junior's price (jdual scale, junior number order, e.g. from an
 * earlier cycle over the same juniors; negative or absurd values are
 * clamped). Else the solve starts cold. st may be NULL (no memory kept);
 * when it is not, it keeps this solve's duals for the next call.
 */
enum flow_method flow_solve_warm(struct flow_state *st, const struct flow_graph *g, size_t *mate,
				 int64_t *jdual, int64_t *sdual, const int64_t *jprice_hint);

/*
 * A rough solve, for growing a candidate graph before exact solves: one
 * refine at eps = one unit of weight, started like flow_solve_warm (from
 * st, else the hint, else cold). mate[] is a b-matching of the graph whose
 * weight is within n_jun + n_sen + 1 of the optimum (a unit per node of the
 * network, the sink included); jdual[] comes from its prices and sdual[s]
 * is the most any of s's arcs leaves above its junior's price (at least 0),
 * so jdual + sdual >= weight on every arc, but the duals prove nothing. st,
 * if not NULL, keeps the result for the next solve, rough or exact, which
 * then starts from it.
 */
enum flow_method flow_solve_rough(struct flow_state *st, const struct flow_graph *g, size_t *mate,
				  int64_t *jdual, int64_t *sdual, const int64_t *jprice_hint);

/*
 * The reference solver: successive shortest paths from scratch, slow but
 * simple; the fallback for weights too large to scale, and what the tests
 * compare the fast solver with. Same contract as flow_solve.
 */
void flow_solve_ssp(const struct flow_graph *g, size_t *mate, int64_t *jdual, int64_t *sdual);

/*
 * Several mentors per senior. The network: source -> junior (its
 * capacity), junior -> senior for every arc (capacity 1, so a pair is made
 * at most once, cost -weight), and per senior two arcs to the sink: its
 * first unit (capacity 1, value first[s]) and the rest (capacity units[s] -
 * 1, value 0), so the first mentor of a senior is worth more than the next
 * ones. The flow value is free. Seniors with units 0 take nothing.
 */
struct flow_multi_graph {
	size_t n_jun, n_sen;
	const size_t *cap;            /* per junior: seniors it may take */
	const size_t *units;          /* per senior: juniors it may take */
	const int64_t *first_value;   /* per senior: what its first unit adds, >= 0 */
	const size_t *first;          /* n_jun + 1 offsets into arcs */
	const struct flow_arc *arcs;  /* each junior's row, sorted by senior, no pair twice */
};

/*
 * Maximise sum(weight of the arcs used) + sum(first_value[s] over seniors
 * with at least one arc used). On return used[i] is 1 for the arcs used,
 * else 0, and the duals jdual[j] >= 0 (per junior) and sdual[s] (per senior,
 * of any sign) prove it optimal through the dual objective
 *   sum cap[j] * jdual[j]
 *   + sum over seniors of max(0, first_value[s] + sdual[s])
 *                        + (units[s] - 1) * max(0, sdual[s])
 *   + sum over arcs of max(0, weight - jdual[j] - sdual[s])
 * which equals the total on return. An arc outside the graph with
 * jdual[j] + sdual[s] >= its weight could not improve it. The arrays are
 * the caller's (arcs, n_jun and n_sen long).
 *
 * Cost scaling push-relabel (Goldberg's epsilon-scaling) on the explicit
 * network. Warm start: if start_j and start_s are non-NULL they are an
 * earlier solve's duals (on a graph with the same people, e.g. before a few
 * arcs were added) and used[] on entry marks the arcs that solve used; any
 * values are safe, good ones only make it faster. With start_j alone it is
 * a junior price hint. Returns FLOW_FALLBACK when it used successive
 * shortest paths (weights too large to scale), else FLOW_SCALED.
 */
enum flow_method flow_solve_multi(const struct flow_multi_graph *g, unsigned char *used, int64_t *jdual,
				  int64_t *sdual, const int64_t *start_j, const int64_t *start_s);

#endif
