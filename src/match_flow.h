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
 * the caller's (n_sen, n_jun and n_sen long).
 */
void flow_solve(const struct flow_graph *g, size_t *mate, int64_t *jdual, int64_t *sdual);

#endif
