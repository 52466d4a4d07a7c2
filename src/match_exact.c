/*
 * The exact matcher, kept as the test oracle of the engine in match.c: an
 * optimal capacitated assignment of seniors to junior mentors, solved as a
 * min-cost flow over every eligible pair. It is small and exact rather than
 * fast at every scale.
 *
 * The network: source -> junior (capacity = the junior's capacity, cost 0),
 * junior -> senior for every eligible pair (capacity 1, cost -(BIG + score)),
 * senior -> sink (capacity 1, cost 0). BIG is one more than the sum of every
 * senior's best score, so a minimum-cost flow matches the most seniors first
 * and then has the highest total score. Costs are int64: exact while the
 * number of seniors times the highest score stays below about 2^60.
 *
 * Successive shortest paths on reduced costs. Each phase runs Dijkstra from
 * the source, stopped as soon as the sink is settled; the settled nodes'
 * potentials move by dist - dist(sink), which keeps every residual reduced
 * cost non-negative and gives every shortest path cost 0. One unit goes along
 * the path found, then along every further zero-cost path a depth-first
 * search finds (Dinic-style, dead ends remembered for the phase): each is a
 * shortest path too, so this is still successive shortest paths, with one
 * Dijkstra per distinct path length instead of one per unit. It stops when
 * the sink is unreachable or the next path would not lower the cost.
 *
 * Two facts keep a phase small. The initial potentials are the exact
 * distances in the layered network (0 on the source and juniors, the
 * cheapest incoming pair on each senior, the least of those on the sink), so
 * search radii are on the scale of the scores, not of BIG. And a junior with
 * room left is always at distance 0 and keeps the source's potential, so
 * instead of scanning all its pairs every phase, each senior keeps its best
 * offer from such a junior (its row is sorted best first, and juniors only
 * ever fill up).
 *
 * Cost: building the pairs is O(J x S) eligibility checks. Then at most
 * min(S, total capacity) units, each phase O(E log V) at worst (E eligible
 * pairs, V = J + S); the number of phases is at most the number of distinct
 * marginal gains, small when scores are small integers (the usual model:
 * levels 0..8, modest weights) and up to one per unit when nearly every
 * score differs.
 *
 * Several mentors per senior (rules->mentors_per_senior > 1) take a
 * separate, plainer path (see the section at the end): the same network
 * with a senior's first unit and its other units as two arcs to the sink,
 * and costs that are tuples compared lexicographically, so that no scale
 * has to be chosen.
 *
 * Determinism: juniors and seniors are sorted by id (then by index), pairs
 * and offers are kept in that order, and the heap breaks equal distances by
 * node number, so the same people always give the same pairs whatever order
 * the input arrays list them in. Which of several equally good solutions is
 * returned is otherwise unspecified.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "match_exact.h"
#include "match_internal.h"
#include "model.h"
#include "util.h"

#define NO_NODE SIZE_MAX

/* An eligible pair, stored in its junior's row and in its senior's row. */
struct edge {
	size_t other;               /* senior or junior number */
	int score;
};

/*
 * Solver state. Nodes: 0 is the source, 1 the sink, then the juniors, then
 * the seniors. Every junior with room left sits at distance 0 from the
 * source in every search and shares the source's potential, so it is not
 * searched node by node: each senior instead keeps its best offer from such
 * a junior.
 */
struct solver {
	const struct match_input *in;
	size_t n_jun, n_sen, n_nodes;
	size_t *jun, *sen;          /* people indices, sorted by id */
	size_t *jfirst, *sfirst;    /* per junior / senior + 1: its range below */
	struct edge *jedges, *sedges;
	size_t n_edges;
	int64_t big;
	int tie_scale;              /* weights are score * tie_scale (+1 for a current pair) */

	size_t *load, *cap;         /* per junior */
	size_t *mate;               /* per senior: junior number or NO_NODE */
	int *mate_score;
	size_t *next_offer;         /* per senior: its row's first junior that may have room */
	size_t *offer;              /* per senior: best junior with room, not its mate */
	int *offer_score;
	int64_t *pot;               /* per node; a junior with room uses pot[SOURCE] */

	/* Dijkstra */
	int64_t *dist;
	size_t *parent;
	int *parent_score;
	unsigned *seen, *settled;   /* search number that set dist / settled the node */
	unsigned search;
	size_t *heap, *heap_pos, heap_len;

	/* depth-first search for more zero-cost paths */
	size_t *path;               /* source, junior, senior, junior, ... */
	int *path_score;            /* score of the pair entering path[i] */
	size_t *cursor;             /* per junior: next edge to try */
	unsigned *dead, *on_path;   /* phase number */
	unsigned phase;
};

#define SOURCE 0
#define SINK 1

/* Node numbers of junior j and senior s. */
static size_t junior_node(size_t j)
{
	return 2 + j;
}

static size_t senior_node(const struct solver *sv, size_t s)
{
	return 2 + sv->n_jun + s;
}

/* Whether node v is a junior. */
static int is_junior_node(const struct solver *sv, size_t v)
{
	return v >= 2 && v < 2 + sv->n_jun;
}

/* Whether junior j may take another senior. */
static int has_room(const struct solver *sv, size_t j)
{
	return sv->load[j] < sv->cap[j];
}

/* Junior j's potential: its own once full, the source's while it has room. */
static int64_t junior_pot(const struct solver *sv, size_t j)
{
	return has_room(sv, j) ? sv->pot[SOURCE] : sv->pot[junior_node(j)];
}

/* Reduced cost of the arc junior j -> senior s, against the current potentials. */
static int64_t rc_pair(const struct solver *sv, size_t j, size_t s, int score)
{
	return -(sv->big + score) + junior_pot(sv, j) - sv->pot[senior_node(sv, s)];
}

/* Reduced cost of senior s's one arc: back to its mentor (giving it up), or on to the sink. */
static int64_t rc_senior_out(const struct solver *sv, size_t s)
{
	int64_t ps = sv->pot[senior_node(sv, s)];
	if (sv->mate[s] == NO_NODE)
		return ps - sv->pot[SINK];
	return sv->big + sv->mate_score[s] + ps - junior_pot(sv, sv->mate[s]);
}

/* Whether (j, s) is a current pair: current_mentor or current (sorted by senior, junior) names it. */
static int pair_is_current(const struct match_input *in, size_t j, size_t s)
{
	if (in->current_mentor && in->current_mentor[s] == j)
		return 1;
	for (size_t i = 0; i < in->n_current; i++)
		if (in->current[i].junior == j && in->current[i].senior == s)
			return 1;
	return 0;
}

/*
 * Turn scores into weights score * (seniors + 1) + 1 for a current pair: the
 * extra units sum to less than one score point, so they only break ties in
 * favour of keeping pairs. Skipped if the weights would not fit in an int.
 */
static void prefer_current_pairs(struct solver *sv, const int *best)
{
	int64_t scale = (int64_t)sv->n_sen + 1;
	int max = 0;
	for (size_t s = 0; s < sv->n_sen; s++)
		max = best[s] > max ? best[s] : max;
	if ((int64_t)max * scale + 1 > INT_MAX / 2)
		return;
	sv->tie_scale = (int)scale;
	for (size_t j = 0; j < sv->n_jun; j++)
		for (size_t e = sv->jfirst[j]; e < sv->jfirst[j + 1]; e++) {
			size_t s = sv->jedges[e].other;
			sv->jedges[e].score = sv->jedges[e].score * sv->tie_scale +
					      pair_is_current(sv->in, sv->jun[j], sv->sen[s]);
		}
}

/* Fill the junior rows of eligible pairs, in senior order, and BIG. */
static void build_junior_rows(struct solver *sv)
{
	size_t cap_edges = 0;
	int64_t sum_best = 0;
	int *best = xcalloc(sv->n_sen + 1, sizeof(*best));
	sv->jfirst = xmalloc((sv->n_jun + 1) * sizeof(*sv->jfirst));
	for (size_t j = 0; j < sv->n_jun; j++) {
		int score;
		sv->jfirst[j] = sv->n_edges;
		for (size_t s = 0; s < sv->n_sen; s++) {
			if (!match_eligible(sv->in, sv->jun[j], sv->sen[s], &score))
				continue;
			sv->jedges = xgrow(sv->jedges, &cap_edges, sv->n_edges + 1, sizeof(*sv->jedges));
			sv->jedges[sv->n_edges].other = s;
			sv->jedges[sv->n_edges++].score = score;
			if (score > best[s])
				best[s] = score;
		}
	}
	sv->jfirst[sv->n_jun] = sv->n_edges;
	for (size_t s = 0; s < sv->n_sen; s++)
		sum_best += best[s];
	sv->tie_scale = 1;
	if (sv->in->current_mentor || sv->in->n_current)
		prefer_current_pairs(sv, best);
	sv->big = sum_best * sv->tie_scale + (int64_t)sv->n_sen + 1;
	free(best);
}

/* Best score first, equal scores in junior order. */
static int cmp_offer(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->other < y->other ? -1 : x->other > y->other;
}

/* The same pairs by senior, each row best score first. */
static void build_senior_rows(struct solver *sv)
{
	size_t *fill = xcalloc(sv->n_sen + 1, sizeof(*fill));
	sv->sfirst = xcalloc(sv->n_sen + 1, sizeof(*sv->sfirst));
	sv->sedges = xmalloc((sv->n_edges + 1) * sizeof(*sv->sedges));
	for (size_t e = 0; e < sv->n_edges; e++)
		sv->sfirst[sv->jedges[e].other + 1]++;
	for (size_t s = 0; s < sv->n_sen; s++)
		sv->sfirst[s + 1] += sv->sfirst[s];
	for (size_t j = 0; j < sv->n_jun; j++)
		for (size_t e = sv->jfirst[j]; e < sv->jfirst[j + 1]; e++) {
			size_t s = sv->jedges[e].other, at = sv->sfirst[s] + fill[s]++;
			sv->sedges[at].other = j;
			sv->sedges[at].score = sv->jedges[e].score;
		}
	for (size_t s = 0; s < sv->n_sen; s++)
		qsort(sv->sedges + sv->sfirst[s], sv->sfirst[s + 1] - sv->sfirst[s],
		      sizeof(*sv->sedges), cmp_offer);
	sv->next_offer = xmalloc((sv->n_sen + 1) * sizeof(*sv->next_offer));
	memcpy(sv->next_offer, sv->sfirst, sv->n_sen * sizeof(*sv->next_offer));
	free(fill);
}

/*
 * Senior s's best offer from a junior with room other than its mentor. A
 * junior never regains room, so the row's full prefix is skipped for good.
 */
static void refresh_offer(struct solver *sv, size_t s)
{
	size_t end = sv->sfirst[s + 1];
	while (sv->next_offer[s] < end && !has_room(sv, sv->sedges[sv->next_offer[s]].other))
		sv->next_offer[s]++;
	sv->offer[s] = NO_NODE;
	sv->offer_score[s] = 0;
	for (size_t e = sv->next_offer[s]; e < end; e++) {
		size_t j = sv->sedges[e].other;
		if (j != sv->mate[s] && has_room(sv, j)) {
			sv->offer[s] = j;
			sv->offer_score[s] = sv->sedges[e].score;
			return;
		}
	}
}

/*
 * Capacities, an empty matching, the offers and the initial potentials: the
 * shortest distances from the source in the layered network (0 on juniors,
 * the cheapest incoming pair on each senior, the cheapest of those on the
 * sink).
 */
static void init_state(struct solver *sv)
{
	int64_t lowest = 0;
	sv->n_nodes = 2 + sv->n_jun + sv->n_sen;
	sv->cap = xmalloc((sv->n_jun + 1) * sizeof(*sv->cap));
	sv->load = xcalloc(sv->n_jun + 1, sizeof(*sv->load));
	for (size_t j = 0; j < sv->n_jun; j++) {
		int c = sv->in->people[sv->jun[j]].capacity;
		sv->cap[j] = c < 0 ? 0 : (size_t)c;
	}
	sv->mate = xmalloc((sv->n_sen + 1) * sizeof(*sv->mate));
	sv->mate_score = xcalloc(sv->n_sen + 1, sizeof(*sv->mate_score));
	sv->offer = xmalloc((sv->n_sen + 1) * sizeof(*sv->offer));
	sv->offer_score = xmalloc((sv->n_sen + 1) * sizeof(*sv->offer_score));
	sv->pot = xcalloc(sv->n_nodes, sizeof(*sv->pot));
	for (size_t s = 0; s < sv->n_sen; s++) {
		sv->mate[s] = NO_NODE;
		refresh_offer(sv, s);
		if (sv->offer[s] == NO_NODE)
			continue;
		sv->pot[senior_node(sv, s)] = -(sv->big + sv->offer_score[s]);
		if (sv->pot[senior_node(sv, s)] < lowest)
			lowest = sv->pot[senior_node(sv, s)];
	}
	sv->pot[SINK] = lowest;
}

/* Scratch space for both searches. */
static void init_scratch(struct solver *sv)
{
	size_t n = sv->n_nodes;
	sv->dist = xmalloc(n * sizeof(*sv->dist));
	sv->parent = xmalloc(n * sizeof(*sv->parent));
	sv->parent_score = xmalloc(n * sizeof(*sv->parent_score));
	sv->seen = xcalloc(n, sizeof(*sv->seen));
	sv->settled = xcalloc(n, sizeof(*sv->settled));
	sv->heap = xmalloc(n * sizeof(*sv->heap));
	sv->heap_pos = xmalloc(n * sizeof(*sv->heap_pos));
	sv->path = xmalloc(n * sizeof(*sv->path));
	sv->path_score = xmalloc(n * sizeof(*sv->path_score));
	sv->cursor = xmalloc((sv->n_jun + 1) * sizeof(*sv->cursor));
	sv->dead = xcalloc(n, sizeof(*sv->dead));
	sv->on_path = xcalloc(n, sizeof(*sv->on_path));
}

/* Free everything the solver allocated. */
static void solver_free(struct solver *sv)
{
	void *owned[] = {
		sv->jun, sv->sen, sv->jfirst, sv->sfirst, sv->jedges, sv->sedges, sv->load,
		sv->cap, sv->mate, sv->mate_score, sv->next_offer, sv->offer, sv->offer_score, sv->pot,
		sv->dist, sv->parent, sv->parent_score, sv->seen, sv->settled, sv->heap,
		sv->heap_pos, sv->path, sv->path_score, sv->cursor, sv->dead, sv->on_path,
	};
	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		free(owned[i]);
}

/* Heap order: smaller distance first, equal distances by node number. */
static int heap_less(const struct solver *sv, size_t a, size_t b)
{
	if (sv->dist[a] != sv->dist[b])
		return sv->dist[a] < sv->dist[b];
	return a < b;
}

/* Put node at heap slot i. */
static void heap_place(struct solver *sv, size_t i, size_t node)
{
	sv->heap[i] = node;
	sv->heap_pos[node] = i;
}

/* Move the node at slot i up to its place. */
static void heap_up(struct solver *sv, size_t i)
{
	size_t node = sv->heap[i];
	while (i > 0 && heap_less(sv, node, sv->heap[(i - 1) / 2])) {
		heap_place(sv, i, sv->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(sv, i, node);
}

/* Remove and return the nearest node. */
static size_t heap_pop(struct solver *sv)
{
	size_t top = sv->heap[0], node = sv->heap[--sv->heap_len], i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= sv->heap_len)
			break;
		if (c + 1 < sv->heap_len && heap_less(sv, sv->heap[c + 1], sv->heap[c]))
			c++;
		if (!heap_less(sv, sv->heap[c], node))
			break;
		heap_place(sv, i, sv->heap[c]);
		i = c;
	}
	if (sv->heap_len)
		heap_place(sv, i, node);
	return top;
}

/* Offer node v the distance d via parent u (pair score sc); keeps the first of equals. */
static void relax(struct solver *sv, size_t u, size_t v, int64_t d, int sc)
{
	if (sv->settled[v] == sv->search)
		return;
	if (sv->seen[v] != sv->search) {
		sv->seen[v] = sv->search;
		sv->dist[v] = d;
		heap_place(sv, sv->heap_len++, v);
	} else if (d < sv->dist[v]) {
		sv->dist[v] = d;
	} else {
		return;
	}
	sv->parent[v] = u;
	sv->parent_score[v] = sc;
	heap_up(sv, sv->heap_pos[v]);
}

/*
 * Relax the residual arcs out of settled node u: a full junior's pairs, or
 * a senior's one arc. Juniors with room are at distance 0 already.
 */
static void expand(struct solver *sv, size_t u)
{
	if (is_junior_node(sv, u)) {
		size_t j = u - 2;
		for (size_t e = sv->jfirst[j]; e < sv->jfirst[j + 1]; e++) {
			size_t s = sv->jedges[e].other;
			if (sv->mate[s] != j)
				relax(sv, u, senior_node(sv, s),
				      sv->dist[u] + rc_pair(sv, j, s, sv->jedges[e].score),
				      sv->jedges[e].score);
		}
	} else {
		size_t s = u - 2 - sv->n_jun;
		if (sv->mate[s] == NO_NODE)
			relax(sv, u, SINK, sv->dist[u] + rc_senior_out(sv, s), 0);
		else if (!has_room(sv, sv->mate[s]))
			relax(sv, u, junior_node(sv->mate[s]), sv->dist[u] + rc_senior_out(sv, s), 0);
	}
}

/*
 * Dijkstra from the source until the sink is settled, then the potential
 * update, which makes every shortest path's arcs cost 0. The source and the
 * juniors with room settle at 0 first; their arcs enter as the seniors'
 * offers. Returns 0 if the shortest path lowers the total cost, else -1
 * (the flow is optimal).
 */
static int shortest_path(struct solver *sv)
{
	size_t n_settled = 0;
	int64_t d_sink;
	sv->search++;
	sv->heap_len = 0;
	for (size_t s = 0; s < sv->n_sen; s++)
		if (sv->offer[s] != NO_NODE)
			relax(sv, junior_node(sv->offer[s]), senior_node(sv, s),
			      rc_pair(sv, sv->offer[s], s, sv->offer_score[s]), sv->offer_score[s]);
	for (;;) {
		size_t u;
		if (sv->heap_len == 0)
			return -1;
		u = heap_pop(sv);
		if (u == SINK)
			break;
		sv->settled[u] = sv->search;
		/* The heap array's tail is free: keep the settled nodes there. */
		sv->heap[sv->n_nodes - 1 - n_settled++] = u;
		expand(sv, u);
	}
	d_sink = sv->dist[SINK];
	/* A path's true cost is its reduced length corrected by the end potentials. */
	if (d_sink - sv->pot[SOURCE] + sv->pot[SINK] >= 0)
		return -1;
	for (size_t i = sv->n_nodes - n_settled; i < sv->n_nodes; i++)
		sv->pot[sv->heap[i]] += sv->dist[sv->heap[i]] - d_sink;
	sv->pot[SOURCE] -= d_sink;
	return 0;
}

/*
 * Push one unit along path[0..len) (source, junior, senior, ..., senior):
 * each senior on it takes the junior before it, leaving its old mentor.
 * Then the offers that may have changed are brought up to date.
 */
static void push_path(struct solver *sv, size_t len)
{
	size_t first = sv->path[1] - 2;
	for (size_t i = 2; i < len; i += 2) {
		size_t j = sv->path[i - 1] - 2, s = sv->path[i] - 2 - sv->n_jun;
		if (sv->mate[s] != NO_NODE)
			sv->load[sv->mate[s]]--;
		sv->mate[s] = j;
		sv->mate_score[s] = sv->path_score[i];
		sv->load[j]++;
	}
	if (!has_room(sv, first)) {
		/* it leaves the source's potential for a potential of its own */
		sv->pot[junior_node(first)] = sv->pot[SOURCE];
		for (size_t e = sv->jfirst[first]; e < sv->jfirst[first + 1]; e++)
			if (sv->offer[sv->jedges[e].other] == first)
				refresh_offer(sv, sv->jedges[e].other);
	}
	for (size_t i = 2; i < len; i += 2)
		refresh_offer(sv, sv->path[i] - 2 - sv->n_jun);
}

/* Push one unit along the path Dijkstra found. */
static void push_shortest(struct solver *sv)
{
	size_t len = 0, v = sv->parent[SINK];
	for (;;) {
		sv->path[len] = v;
		sv->path_score[len++] = sv->parent_score[v];
		if (is_junior_node(sv, v) && has_room(sv, v - 2))
			break;
		v = sv->parent[v];
	}
	sv->path[len++] = SOURCE;
	for (size_t i = 0; i < len / 2; i++) {
		size_t node = sv->path[i];
		int sc = sv->path_score[i];
		sv->path[i] = sv->path[len - 1 - i];
		sv->path_score[i] = sv->path_score[len - 1 - i];
		sv->path[len - 1 - i] = node;
		sv->path_score[len - 1 - i] = sc;
	}
	push_path(sv, len);
}

/* Whether node v may be added to the depth-first path. */
static int usable(const struct solver *sv, size_t v)
{
	return sv->dead[v] != sv->phase && sv->on_path[v] != sv->phase;
}

/*
 * The next node to extend the depth-first path with from node u (a senior
 * or a full junior), or NO_NODE (u is then dead for this phase); SINK when u
 * ends a path. Only arcs of reduced cost 0 qualify: they lie on shortest
 * paths.
 */
static size_t next_step(struct solver *sv, size_t u, int *sc)
{
	if (is_junior_node(sv, u)) {
		size_t j = u - 2;
		for (; sv->cursor[j] < sv->jfirst[j + 1]; sv->cursor[j]++) {
			const struct edge *e = &sv->jedges[sv->cursor[j]];
			size_t v = senior_node(sv, e->other);
			if (sv->mate[e->other] != j && usable(sv, v) &&
			    rc_pair(sv, j, e->other, e->score) == 0) {
				*sc = e->score;
				return v;
			}
		}
	} else {
		size_t s = u - 2 - sv->n_jun, v;
		if (sv->mate[s] == NO_NODE)
			v = SINK;
		else if (!has_room(sv, sv->mate[s]))
			v = junior_node(sv->mate[s]);
		else
			return NO_NODE;
		if (usable(sv, v) && rc_senior_out(sv, s) == 0)
			return v;
	}
	return NO_NODE;
}

/* Start a depth-first path at the next senior whose offer costs 0; 0 when none is left. */
static int start_path(struct solver *sv, size_t *next_senior)
{
	for (; *next_senior < sv->n_sen; (*next_senior)++) {
		size_t s = *next_senior, v = senior_node(sv, s);
		if (sv->offer[s] == NO_NODE || !usable(sv, v) ||
		    rc_pair(sv, sv->offer[s], s, sv->offer_score[s]) != 0)
			continue;
		sv->path[1] = junior_node(sv->offer[s]);
		sv->path[2] = v;
		sv->path_score[2] = sv->offer_score[s];
		sv->on_path[v] = sv->phase;
		return 1;
	}
	return 0;
}

/*
 * After a Dijkstra phase, push flow along further paths made of zero-cost
 * arcs, as long as a depth-first search (Dinic-style, with dead ends
 * remembered for the phase) finds them. Each is a shortest path, so this is
 * still successive shortest paths, with far fewer Dijkstra runs.
 */
static void push_more(struct solver *sv)
{
	size_t len = 0, next_senior = 0;
	sv->phase++;
	sv->path[0] = SOURCE;
	for (size_t j = 0; j < sv->n_jun; j++)
		sv->cursor[j] = sv->jfirst[j];
	for (;;) {
		size_t u, v;
		int sc = 0;
		if (len < 3) {
			if (!start_path(sv, &next_senior))
				return;
			len = 3;
		}
		u = sv->path[len - 1];
		v = next_step(sv, u, &sc);
		if (v == SINK) {
			push_path(sv, len);
			for (size_t i = 2; i < len; i++)
				sv->on_path[sv->path[i]] = 0;
			len = 0;
		} else if (v == NO_NODE) {
			sv->dead[u] = sv->phase;
			sv->on_path[u] = 0;
			len--;
		} else {
			sv->on_path[v] = sv->phase;
			sv->path_score[len] = sc;
			sv->path[len++] = v;
		}
	}
}

/* The pairs in senior order, which is senior id order. */
static void collect(const struct solver *sv, struct match_pair **pairs, size_t *n_pairs)
{
	size_t n = 0;
	*pairs = xmalloc((sv->n_sen + 1) * sizeof(**pairs));
	for (size_t s = 0; s < sv->n_sen; s++) {
		if (sv->mate[s] == NO_NODE)
			continue;
		(*pairs)[n].junior = sv->jun[sv->mate[s]];
		(*pairs)[n].senior = sv->sen[s];
		(*pairs)[n++].score = sv->mate_score[s] / sv->tie_scale;
	}
	*n_pairs = n;
}

/* --- several mentors per senior ------------------------------------------- */

/*
 * A cost in the tiers of the objective, each to be minimised in turn:
 * minus seniors matched, minus pairs, minus score, minus current pairs.
 */
#define TIERS 4
struct lex {
	long long v[TIERS];
};

static int lex_less(const struct lex *a, const struct lex *b)
{
	for (int i = 0; i < TIERS; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i];
	return 0;
}

static struct lex lex_add(const struct lex *a, const struct lex *b)
{
	struct lex r;
	for (int i = 0; i < TIERS; i++)
		r.v[i] = a->v[i] + b->v[i];
	return r;
}

/* An arc of the network; arcs 2k and 2k + 1 are each other's reverse. */
struct lex_arc {
	size_t from, to;
	long long cap;
	struct lex cost;
};

struct lex_net {
	struct lex_arc *arcs;
	size_t n_arcs, cap_arcs, n_nodes;
	size_t *first, *out;        /* per node + 1: its range of out[], arc numbers by tail */
};

/* The arcs grouped by tail node. */
static void lex_index(struct lex_net *net)
{
	size_t *fill;
	net->first = xcalloc(net->n_nodes + 1, sizeof(*net->first));
	net->out = xmalloc((net->n_arcs + 1) * sizeof(*net->out));
	for (size_t a = 0; a < net->n_arcs; a++)
		net->first[net->arcs[a].from + 1]++;
	for (size_t v = 0; v < net->n_nodes; v++)
		net->first[v + 1] += net->first[v];
	fill = xmalloc((net->n_nodes + 1) * sizeof(*fill));
	memcpy(fill, net->first, net->n_nodes * sizeof(*fill));
	for (size_t a = 0; a < net->n_arcs; a++)
		net->out[fill[net->arcs[a].from]++] = a;
	free(fill);
}

static void lex_add_arc(struct lex_net *net, size_t from, size_t to, long long cap, struct lex cost)
{
	struct lex back;
	for (int i = 0; i < TIERS; i++)
		back.v[i] = -cost.v[i];
	net->arcs = xgrow(net->arcs, &net->cap_arcs, net->n_arcs + 2, sizeof(*net->arcs));
	net->arcs[net->n_arcs++] = (struct lex_arc){ from, to, cap, cost };
	net->arcs[net->n_arcs++] = (struct lex_arc){ to, from, 0, back };
}

/*
 * One unit along a cheapest path from the source (0) to the sink (1), found
 * by label correcting over the residual arcs, if that path lowers the cost.
 * Returns 0 when it pushed one, -1 when the flow is optimal.
 */
static int lex_augment(struct lex_net *net, struct lex *dist, char *reached, size_t *via, size_t *queue,
		       char *queued)
{
	size_t head = 0, len = 0, n = net->n_nodes;
	memset(reached, 0, n);
	memset(queued, 0, n);
	memset(&dist[0], 0, sizeof(dist[0]));
	reached[0] = 1;
	queue[len++] = 0;
	queued[0] = 1;
	while (len) {
		size_t u = queue[head];
		head = (head + 1) % n;
		len--;
		queued[u] = 0;
		for (size_t k = net->first[u]; k < net->first[u + 1]; k++) {
			size_t a = net->out[k];
			const struct lex_arc *arc = &net->arcs[a];
			struct lex d;
			if (arc->cap <= 0)
				continue;
			d = lex_add(&dist[u], &arc->cost);
			if (reached[arc->to] && !lex_less(&d, &dist[arc->to]))
				continue;
			reached[arc->to] = 1;
			dist[arc->to] = d;
			via[arc->to] = a;
			if (!queued[arc->to]) {
				queued[arc->to] = 1;
				queue[(head + len++) % n] = arc->to;
			}
		}
	}
	{
		struct lex zero = { { 0, 0, 0, 0 } };
		if (!reached[1] || !lex_less(&dist[1], &zero))
			return -1;
	}
	for (size_t v = 1; v != 0; v = net->arcs[via[v]].from) {
		net->arcs[via[v]].cap--;
		net->arcs[via[v] ^ 1].cap++;
	}
	return 0;
}

/*
 * The network over every eligible pair: source -> junior (capacity),
 * junior -> senior (one unit: one pair, one more pair, its score, whether it
 * is current), senior -> sink (one unit: one more senior matched; up to
 * units - 1 more at no cost). Juniors are nodes 2.., seniors after them.
 */
static void lex_build(struct lex_net *net, const struct match_input *in, const size_t *jun, size_t n_jun,
		      const size_t *sen, size_t n_sen, size_t units)
{
	struct lex none = { { 0, 0, 0, 0 } }, senior = { { -1, 0, 0, 0 } };
	net->n_nodes = 2 + n_jun + n_sen;
	for (size_t j = 0; j < n_jun; j++) {
		int c = in->people[jun[j]].capacity;
		lex_add_arc(net, 0, 2 + j, c > 0 ? c : 0, none);
	}
	for (size_t j = 0; j < n_jun; j++)
		for (size_t s = 0; s < n_sen; s++) {
			int score;
			struct lex pair = { { 0, -1, 0, 0 } };
			if (!match_eligible(in, jun[j], sen[s], &score))
				continue;
			pair.v[2] = -score;
			pair.v[3] = -pair_is_current(in, jun[j], sen[s]);
			lex_add_arc(net, 2 + j, 2 + n_jun + s, 1, pair);
		}
	for (size_t s = 0; s < n_sen; s++) {
		lex_add_arc(net, 2 + n_jun + s, 1, 1, senior);
		lex_add_arc(net, 2 + n_jun + s, 1, (long long)units - 1, none);
	}
}

/* The oracle with several mentors per senior: successive cheapest paths in the tiers. */
static int exact_multi(const struct match_input *in, size_t units, struct match_pair **pairs, size_t *n_pairs)
{
	struct lex_net net = { NULL, 0, 0, 0, NULL, NULL };
	size_t n_jun, n_sen, n = 0, *jun, *sen, *via, *queue;
	struct lex *dist;
	char *reached, *queued;
	jun = match_sorted_unique(in->people, in->juniors, in->n_juniors, &n_jun);
	sen = match_sorted_unique(in->people, in->seniors, in->n_seniors, &n_sen);
	lex_build(&net, in, jun, n_jun, sen, n_sen, units);
	lex_index(&net);
	dist = xmalloc(net.n_nodes * sizeof(*dist));
	reached = xmalloc(net.n_nodes);
	queued = xmalloc(net.n_nodes);
	via = xmalloc(net.n_nodes * sizeof(*via));
	queue = xmalloc(net.n_nodes * sizeof(*queue));
	while (lex_augment(&net, dist, reached, via, queue, queued) == 0)
		;
	/* pair arcs follow the source's, in (junior, senior) order; senior order is wanted */
	*pairs = xmalloc((net.n_arcs / 2 + 1) * sizeof(**pairs));
	for (size_t s = 0; s < n_sen; s++)
		for (size_t a = 0; a < net.n_arcs; a += 2) {
			const struct lex_arc *arc = &net.arcs[a];
			if (arc->to != 2 + n_jun + s || arc->from < 2 || arc->cap != 0)
				continue;
			(*pairs)[n++] = (struct match_pair){ jun[arc->from - 2], sen[s], (int)-arc->cost.v[2], 0 };
		}
	*n_pairs = n;
	free(net.arcs);
	free(net.first);
	free(net.out);
	free(dist);
	free(reached);
	free(queued);
	free(via);
	free(queue);
	free(jun);
	free(sen);
	return 0;
}

/* Validate, build the pairs and the network, run the phases, collect. */
int match_exact_solve(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs)
{
	struct solver sv;
	if (!match_input_valid(in))
		return -1;
	if (in->rules && in->rules->mentors_per_senior > 1)
		return exact_multi(in, (size_t)in->rules->mentors_per_senior, pairs, n_pairs);
	memset(&sv, 0, sizeof(sv));
	sv.in = in;
	sv.jun = match_sorted_unique(in->people, in->juniors, in->n_juniors, &sv.n_jun);
	sv.sen = match_sorted_unique(in->people, in->seniors, in->n_seniors, &sv.n_sen);
	build_junior_rows(&sv);
	build_senior_rows(&sv);
	init_state(&sv);
	init_scratch(&sv);
	while (shortest_path(&sv) == 0) {
		push_shortest(&sv);
		push_more(&sv);
	}
	collect(&sv, pairs, n_pairs);
	solver_free(&sv);
	return 0;
}
