/*
 * Min-cost flow on the engine's candidate graph, with exact duals.
 *
 * Successive shortest paths on reduced costs, the same scheme as the oracle
 * in match_exact.c, over an explicit candidate graph with int64 weights:
 * each phase runs Dijkstra from the source, stopped once the sink is settled;
 * the settled nodes' potentials move by dist - dist(sink); one unit goes
 * along the path found, then along every further zero-cost path a
 * depth-first search finds (Dinic-style, dead ends remembered for the phase).
 * A junior with room left sits at distance 0 and shares the source's
 * potential, so each senior keeps its best offer from such a junior instead.
 * It stops when the sink is unreachable or the next path would not lower the
 * cost.
 *
 * Then one more full Dijkstra turns the potentials into duals of the
 * matching LP: the flow value is free, so the potentials must also price the
 * sink -> source return arc, which the phases leave negative; shifting every
 * node by min(0, dist - delta) fixes it without breaking any other arc.
 *
 * Determinism: rows are in senior order, offers best weight first then
 * junior order, and the heap breaks equal distances by node number.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match_flow.h"
#include "util.h"

#define NO_NODE SIZE_MAX
#define SOURCE 0
#define SINK 1

/* An arc seen from the senior's side. */
struct offer_arc {
	size_t junior;
	int64_t weight;
};

struct solver {
	const struct flow_graph *g;
	size_t n_jun, n_sen, n_nodes;
	size_t *sfirst;             /* per senior + 1: its range in sarcs */
	struct offer_arc *sarcs;    /* rows by senior, best weight first */

	size_t *load;               /* per junior */
	size_t *mate;               /* per senior: junior or NO_NODE (the caller's array) */
	int64_t *mate_weight;
	size_t *next_offer;         /* per senior: first row entry that may have room */
	size_t *offer;              /* per senior: best junior with room, not its mate */
	int64_t *offer_weight;
	int64_t *pot;               /* per node; a junior with room uses pot[SOURCE] */

	int64_t *dist;
	size_t *parent;
	int64_t *parent_weight;
	unsigned *seen, *settled;
	unsigned search;
	size_t *heap, *heap_pos, heap_len, n_settled;

	size_t *path;
	int64_t *path_weight;
	size_t *cursor;             /* per junior: next arc to try */
	unsigned *dead, *on_path;
	unsigned phase;
};

/* Node numbers of junior j and senior s. */
static size_t junior_node(size_t j)
{
	return 2 + j;
}

static size_t senior_node(const struct solver *sv, size_t s)
{
	return 2 + sv->n_jun + s;
}

static int is_junior_node(const struct solver *sv, size_t v)
{
	return v >= 2 && v < 2 + sv->n_jun;
}

/* Whether junior j may take another senior. */
static int has_room(const struct solver *sv, size_t j)
{
	return sv->load[j] < sv->g->cap[j];
}

/* Junior j's potential: its own once full, the source's while it has room. */
static int64_t junior_pot(const struct solver *sv, size_t j)
{
	return has_room(sv, j) ? sv->pot[SOURCE] : sv->pot[junior_node(j)];
}

/* Reduced cost of the arc junior j -> senior s. */
static int64_t rc_pair(const struct solver *sv, size_t j, size_t s, int64_t w)
{
	return -w + junior_pot(sv, j) - sv->pot[senior_node(sv, s)];
}

/* Reduced cost of senior s's one residual arc: back to its mentor, or on to the sink. */
static int64_t rc_senior_out(const struct solver *sv, size_t s)
{
	int64_t ps = sv->pot[senior_node(sv, s)];
	if (sv->mate[s] == NO_NODE)
		return ps - sv->pot[SINK];
	return sv->mate_weight[s] + ps - junior_pot(sv, sv->mate[s]);
}

/* Best weight first, equal weights in junior order. */
static int cmp_offer(const void *a, const void *b)
{
	const struct offer_arc *x = a, *y = b;
	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->junior < y->junior ? -1 : x->junior > y->junior;
}

/* The candidate pairs by senior, each row best weight first. */
static void build_senior_rows(struct solver *sv)
{
	const struct flow_graph *g = sv->g;
	size_t n_arcs = g->first[g->n_jun];
	size_t *fill = xcalloc(sv->n_sen + 1, sizeof(*fill));
	sv->sfirst = xcalloc(sv->n_sen + 1, sizeof(*sv->sfirst));
	sv->sarcs = xmalloc((n_arcs + 1) * sizeof(*sv->sarcs));
	for (size_t e = 0; e < n_arcs; e++)
		sv->sfirst[g->arcs[e].senior + 1]++;
	for (size_t s = 0; s < sv->n_sen; s++)
		sv->sfirst[s + 1] += sv->sfirst[s];
	for (size_t j = 0; j < sv->n_jun; j++)
		for (size_t e = g->first[j]; e < g->first[j + 1]; e++) {
			size_t s = g->arcs[e].senior, at = sv->sfirst[s] + fill[s]++;
			sv->sarcs[at].junior = j;
			sv->sarcs[at].weight = g->arcs[e].weight;
		}
	for (size_t s = 0; s < sv->n_sen; s++)
		qsort(sv->sarcs + sv->sfirst[s], sv->sfirst[s + 1] - sv->sfirst[s],
		      sizeof(*sv->sarcs), cmp_offer);
	sv->next_offer = xmalloc((sv->n_sen + 1) * sizeof(*sv->next_offer));
	memcpy(sv->next_offer, sv->sfirst, sv->n_sen * sizeof(*sv->next_offer));
	free(fill);
}

/* Senior s's best offer from a junior with room other than its mentor. */
static void refresh_offer(struct solver *sv, size_t s)
{
	size_t end = sv->sfirst[s + 1];
	while (sv->next_offer[s] < end && !has_room(sv, sv->sarcs[sv->next_offer[s]].junior))
		sv->next_offer[s]++;
	sv->offer[s] = NO_NODE;
	sv->offer_weight[s] = 0;
	for (size_t e = sv->next_offer[s]; e < end; e++) {
		size_t j = sv->sarcs[e].junior;
		if (j != sv->mate[s] && has_room(sv, j)) {
			sv->offer[s] = j;
			sv->offer_weight[s] = sv->sarcs[e].weight;
			return;
		}
	}
}

/* An empty matching, the offers and the exact initial distances as potentials. */
static void init_state(struct solver *sv)
{
	int64_t lowest = 0;
	sv->n_nodes = 2 + sv->n_jun + sv->n_sen;
	sv->load = xcalloc(sv->n_jun + 1, sizeof(*sv->load));
	sv->mate_weight = xcalloc(sv->n_sen + 1, sizeof(*sv->mate_weight));
	sv->offer = xmalloc((sv->n_sen + 1) * sizeof(*sv->offer));
	sv->offer_weight = xmalloc((sv->n_sen + 1) * sizeof(*sv->offer_weight));
	sv->pot = xcalloc(sv->n_nodes, sizeof(*sv->pot));
	for (size_t s = 0; s < sv->n_sen; s++) {
		sv->mate[s] = NO_NODE;
		refresh_offer(sv, s);
		if (sv->offer[s] == NO_NODE)
			continue;
		sv->pot[senior_node(sv, s)] = -sv->offer_weight[s];
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
	sv->parent_weight = xmalloc(n * sizeof(*sv->parent_weight));
	sv->seen = xcalloc(n, sizeof(*sv->seen));
	sv->settled = xcalloc(n, sizeof(*sv->settled));
	sv->heap = xmalloc(n * sizeof(*sv->heap));
	sv->heap_pos = xmalloc(n * sizeof(*sv->heap_pos));
	sv->path = xmalloc(n * sizeof(*sv->path));
	sv->path_weight = xmalloc(n * sizeof(*sv->path_weight));
	sv->cursor = xmalloc((sv->n_jun + 1) * sizeof(*sv->cursor));
	sv->dead = xcalloc(n, sizeof(*sv->dead));
	sv->on_path = xcalloc(n, sizeof(*sv->on_path));
}

static void solver_free(struct solver *sv)
{
	void *owned[] = {
		sv->sfirst, sv->sarcs, sv->load, sv->mate_weight, sv->next_offer, sv->offer,
		sv->offer_weight, sv->pot, sv->dist, sv->parent, sv->parent_weight, sv->seen,
		sv->settled, sv->heap, sv->heap_pos, sv->path, sv->path_weight, sv->cursor,
		sv->dead, sv->on_path,
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

static void heap_place(struct solver *sv, size_t i, size_t node)
{
	sv->heap[i] = node;
	sv->heap_pos[node] = i;
}

static void heap_up(struct solver *sv, size_t i)
{
	size_t node = sv->heap[i];
	while (i > 0 && heap_less(sv, node, sv->heap[(i - 1) / 2])) {
		heap_place(sv, i, sv->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(sv, i, node);
}

/* Move node down from slot i to its place. */
static void heap_down(struct solver *sv, size_t i, size_t node)
{
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
	heap_place(sv, i, node);
}

/* Remove and return the nearest node. */
static size_t heap_pop(struct solver *sv)
{
	size_t top = sv->heap[0], node = sv->heap[--sv->heap_len];
	if (sv->heap_len)
		heap_down(sv, 0, node);
	return top;
}

/* Offer node v the distance d via parent u (pair weight w); keeps the first of equals. */
static void relax(struct solver *sv, size_t u, size_t v, int64_t d, int64_t w)
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
	sv->parent_weight[v] = w;
	heap_up(sv, sv->heap_pos[v]);
}

/* Relax the residual arcs out of settled node u: a full junior's pairs, or a senior's one arc. */
static void expand(struct solver *sv, size_t u)
{
	const struct flow_graph *g = sv->g;
	if (is_junior_node(sv, u)) {
		size_t j = u - 2;
		for (size_t e = g->first[j]; e < g->first[j + 1]; e++) {
			size_t s = g->arcs[e].senior;
			if (sv->mate[s] != j)
				relax(sv, u, senior_node(sv, s),
				      sv->dist[u] + rc_pair(sv, j, s, g->arcs[e].weight),
				      g->arcs[e].weight);
		}
	} else if (u != SINK) {
		size_t s = u - 2 - sv->n_jun;
		if (sv->mate[s] == NO_NODE)
			relax(sv, u, SINK, sv->dist[u] + rc_senior_out(sv, s), 0);
		else if (!has_room(sv, sv->mate[s]))
			relax(sv, u, junior_node(sv->mate[s]), sv->dist[u] + rc_senior_out(sv, s), 0);
	}
}

/*
 * Dijkstra from the source (the juniors with room enter through the
 * seniors' offers); until the sink is settled, or until the heap is empty
 * when whole. Settled nodes are kept at the heap array's free tail.
 */
static void dijkstra(struct solver *sv, int whole)
{
	sv->search++;
	sv->heap_len = 0;
	sv->n_settled = 0;
	/* every offer enters at once, then one bottom-up heapify */
	for (size_t s = 0; s < sv->n_sen; s++) {
		size_t v = senior_node(sv, s);
		if (sv->offer[s] == NO_NODE)
			continue;
		sv->seen[v] = sv->search;
		sv->dist[v] = rc_pair(sv, sv->offer[s], s, sv->offer_weight[s]);
		sv->parent[v] = junior_node(sv->offer[s]);
		sv->parent_weight[v] = sv->offer_weight[s];
		heap_place(sv, sv->heap_len++, v);
	}
	for (size_t i = sv->heap_len / 2; i-- > 0;)
		heap_down(sv, i, sv->heap[i]);
	while (sv->heap_len) {
		size_t u = heap_pop(sv);
		sv->settled[u] = sv->search;
		sv->heap[sv->n_nodes - 1 - sv->n_settled++] = u;
		if (u == SINK && !whole)
			return;
		expand(sv, u);
	}
}

/*
 * One phase's search and potential update. Returns 0 if the shortest path
 * lowers the total cost, else -1 (the flow is optimal).
 */
static int shortest_path(struct solver *sv)
{
	int64_t d_sink;
	dijkstra(sv, 0);
	if (sv->settled[SINK] != sv->search)
		return -1;
	d_sink = sv->dist[SINK];
	if (d_sink - sv->pot[SOURCE] + sv->pot[SINK] >= 0)
		return -1;
	for (size_t i = sv->n_nodes - sv->n_settled; i < sv->n_nodes; i++)
		sv->pot[sv->heap[i]] += sv->dist[sv->heap[i]] - d_sink;
	sv->pot[SOURCE] -= d_sink;
	return 0;
}

/* Push one unit along path[0..len) (source, junior, senior, ..., senior). */
static void push_path(struct solver *sv, size_t len)
{
	const struct flow_graph *g = sv->g;
	size_t first = sv->path[1] - 2;
	for (size_t i = 2; i < len; i += 2) {
		size_t j = sv->path[i - 1] - 2, s = sv->path[i] - 2 - sv->n_jun;
		if (sv->mate[s] != NO_NODE)
			sv->load[sv->mate[s]]--;
		sv->mate[s] = j;
		sv->mate_weight[s] = sv->path_weight[i];
		sv->load[j]++;
	}
	if (!has_room(sv, first)) {
		sv->pot[junior_node(first)] = sv->pot[SOURCE];
		for (size_t e = g->first[first]; e < g->first[first + 1]; e++)
			if (sv->offer[g->arcs[e].senior] == first)
				refresh_offer(sv, g->arcs[e].senior);
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
		sv->path_weight[len++] = sv->parent_weight[v];
		if (is_junior_node(sv, v) && has_room(sv, v - 2))
			break;
		v = sv->parent[v];
	}
	sv->path[len++] = SOURCE;
	for (size_t i = 0; i < len / 2; i++) {
		size_t node = sv->path[i];
		int64_t w = sv->path_weight[i];
		sv->path[i] = sv->path[len - 1 - i];
		sv->path_weight[i] = sv->path_weight[len - 1 - i];
		sv->path[len - 1 - i] = node;
		sv->path_weight[len - 1 - i] = w;
	}
	push_path(sv, len);
}

static int usable(const struct solver *sv, size_t v)
{
	return sv->dead[v] != sv->phase && sv->on_path[v] != sv->phase;
}

/* The next zero-cost step of the depth-first path from u, SINK at its end, or NO_NODE. */
static size_t next_step(struct solver *sv, size_t u, int64_t *w)
{
	const struct flow_graph *g = sv->g;
	if (is_junior_node(sv, u)) {
		size_t j = u - 2;
		for (; sv->cursor[j] < g->first[j + 1]; sv->cursor[j]++) {
			const struct flow_arc *a = &g->arcs[sv->cursor[j]];
			size_t v = senior_node(sv, a->senior);
			if (sv->mate[a->senior] != j && usable(sv, v) &&
			    rc_pair(sv, j, a->senior, a->weight) == 0) {
				*w = a->weight;
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
		    rc_pair(sv, sv->offer[s], s, sv->offer_weight[s]) != 0)
			continue;
		sv->path[1] = junior_node(sv->offer[s]);
		sv->path[2] = v;
		sv->path_weight[2] = sv->offer_weight[s];
		sv->on_path[v] = sv->phase;
		return 1;
	}
	return 0;
}

/* Push flow along further zero-cost paths, Dinic-style, until none is left. */
static void push_more(struct solver *sv)
{
	size_t len = 0, next_senior = 0;
	sv->phase++;
	sv->path[0] = SOURCE;
	memcpy(sv->cursor, sv->g->first, sv->n_jun * sizeof(*sv->cursor));
	for (;;) {
		size_t u, v;
		int64_t w = 0;
		if (len < 3) {
			if (!start_path(sv, &next_senior))
				return;
			len = 3;
		}
		u = sv->path[len - 1];
		v = next_step(sv, u, &w);
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
			sv->path_weight[len] = w;
			sv->path[len++] = v;
		}
	}
}

/*
 * Shift the potentials so that the return arc sink -> source is priced too:
 * with delta = pot[SOURCE] - pot[SINK] (the return arc's reduced cost is
 * -delta), node v moves by min(0, dist(v) - delta), dist from a whole
 * Dijkstra; unreached nodes stay. Then read the duals off: a junior's is
 * how far its potential sits above the source's (0 with room left), a
 * matched senior's what its pair leaves (complementary slackness), an
 * unmatched senior's 0. match.c checks them before relying on them.
 */
static void make_duals(struct solver *sv, int64_t *jdual, int64_t *sdual)
{
	int64_t delta = sv->pot[SOURCE] - sv->pot[SINK];
	dijkstra(sv, 1);
	for (size_t i = sv->n_nodes - sv->n_settled; i < sv->n_nodes; i++) {
		size_t v = sv->heap[i];
		if (sv->dist[v] - delta < 0)
			sv->pot[v] += sv->dist[v] - delta;
	}
	if (delta > 0)
		sv->pot[SOURCE] -= delta;
	for (size_t j = 0; j < sv->n_jun; j++)
		jdual[j] = junior_pot(sv, j) - sv->pot[SOURCE];
	for (size_t s = 0; s < sv->n_sen; s++)
		sdual[s] = sv->mate[s] == NO_NODE ? 0 : sv->mate_weight[s] - jdual[sv->mate[s]];
}

void flow_solve(const struct flow_graph *g, size_t *mate, int64_t *jdual, int64_t *sdual)
{
	struct solver sv;
	memset(&sv, 0, sizeof(sv));
	sv.g = g;
	sv.n_jun = g->n_jun;
	sv.n_sen = g->n_sen;
	sv.mate = mate;
	build_senior_rows(&sv);
	init_state(&sv);
	init_scratch(&sv);
	while (shortest_path(&sv) == 0) {
		push_shortest(&sv);
		push_more(&sv);
	}
	make_duals(&sv, jdual, sdual);
	sv.mate = NULL;
	solver_free(&sv);
}
