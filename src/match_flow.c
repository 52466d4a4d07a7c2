/*
 * Min-cost flow on the engine's candidate graph, with exact duals: cost
 * scaling (flow_solve_warm), and successive shortest paths as the reference
 * and the fallback (flow_solve_ssp).
 *
 * Successive shortest paths, the same scheme as the oracle in
 * match_exact.c, over an explicit candidate graph with int64 weights:
 * each phase runs Dijkstra from the source, stopped once the sink is settled;
 * the settled nodes' potentials move by dist - dist(sink); one unit goes
 * along the path found, then along every further zero-cost path a
 * depth-first search finds (Dinic-style, dead ends remembered for the phase).
 * A junior with room left sits at distance 0 and shares the source's
 * potential, so each senior keeps its best offer from such a junior instead.
 * It stops when the sink is unreachable or the next path would not lower the
 * cost. Then one more full Dijkstra turns the potentials into duals of the
 * matching LP: the flow value is free, so the potentials must also price the
 * sink -> source return arc, which the phases leave negative; shifting every
 * node by min(0, dist - delta) fixes it without breaking any other arc.
 *
 * Cost scaling (Goldberg's push-relabel with epsilon-scaling, in the form
 * Goldberg and Kennedy give for assignment): see the section below.
 *
 * Determinism: rows are in senior order, offers best weight first then
 * junior order, the heap breaks equal distances by node number, and the
 * scaling processes seniors first-in first-out from senior order.
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
 * A junior without capacity is never reached, so its potential says
 * nothing; its price costs nothing in the dual total, so it may simply rise
 * until it covers every one of its arcs.
 */
static void cover_closed_juniors(const struct flow_graph *g, int64_t *jdual, const int64_t *sdual)
{
	for (size_t j = 0; j < g->n_jun; j++)
		if (g->cap[j] == 0)
			for (size_t e = g->first[j]; e < g->first[j + 1]; e++)
				if (g->arcs[e].weight - sdual[g->arcs[e].senior] > jdual[j])
					jdual[j] = g->arcs[e].weight - sdual[g->arcs[e].senior];
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
	cover_closed_juniors(sv->g, jdual, sdual);
}

void flow_solve_ssp(const struct flow_graph *g, size_t *mate, int64_t *jdual, int64_t *sdual)
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

/* --- cost scaling --------------------------------------------------------------
 *
 * The network: every senior supplies one unit, which goes to a junior it is
 * a candidate of (cost -weight) or straight to the sink (cost 0: it stays
 * unmatched); each junior passes at most cap units on to the sink. A
 * potential p per senior, junior and the sink T prices the residual arcs:
 * c_p(u, v) = c(u, v) + p(u) - p(v). A flow is eps-optimal when no residual
 * arc has c_p < -eps; with the weights multiplied by K = nodes + 1, a
 * 1-optimal flow is optimal, since a residual cycle then costs more than -1
 * in the original units and so at least 0.
 *
 * refine(eps) turns the current prices into an eps-optimal flow. Each
 * senior first keeps its place if that is still within 2 eps of its best
 * option; the others are active and bid (relabel, then push) for their
 * best option, the value of a junior being p(j) + weight and of the sink
 * p(T); the new price is the second best value minus eps (the look-ahead of
 * the assignment codes), which keeps every other arc of it eps-optimal. A
 * senior remembers its few best arcs and a bound on the rest, so a bid
 * rarely rescans its row. A junior that now holds more than it can pass on
 * returns its worst senior the same way, at once (double push), so only
 * seniors wait in the queue. A junior priced above the sink (p(j) < p(T))
 * was full at the end of the last refine; it starts full on credit (its arc
 * to the sink saturated, a deficit to fill), which is what lets its price
 * survive. A junior that had room starts at p(T): its price may drop that
 * little without spoiling the scaling bound. Should the sink receive more
 * than there are seniors (credit that nobody wants), it relabels and sends
 * units back like any other node, through a heap of its arcs.
 *
 * Equal offers are the rule here (every junior of a class offers a senior
 * the same score), and bidding alone would fight over them eps by eps. A
 * global price update every few tenths of n bids settles such wars at once
 * (see global_update).
 *
 * After the last refine (eps = 1) the flow is optimal, and the potentials
 * divided by K (rounded down) leave every residual arc at -1 or more; a
 * label-correcting pass moves them to exact integer potentials with no
 * negative arc, from which the duals read off directly. The result is
 * checked against the contract; anything wrong (or weights too large for
 * int64 prices) falls back to successive shortest paths.
 *
 * Starts (scaler_start): cold, warm and hinted solves all start at eps = 1.
 *
 * A rough solve (flow_solve_rough) is a single refine at eps = K, one unit
 * of weight: a K-optimal flow, within a unit per node of the optimum. Ties
 * a unit apart (the current-pair bonus) no longer start price wars, and the
 * global updates count distance in whole units, so it costs a fraction of
 * an exact solve; its duals are read off the potentials without the exact
 * pass and prove nothing.
 */

#define BEST_K 4                 /* best arcs a senior remembers between bids */
#define AT_SINK (SIZE_MAX - 1)   /* mate of a senior sent straight to the sink */
#define ALPHA 8                  /* eps shrinks by this much per refine */
#define UPDATE_TENTHS 3          /* bids between global updates, in tenths of the node count */
#define WEIGHT_LIMIT ((int64_t)1 << 59)  /* scaled weights stay below */
#define PRICE_LIMIT ((int64_t)1 << 62)   /* prices stay above minus this */

struct flow_state {
	size_t n_jun, n_sen;
	int valid;                  /* jdual, sdual and mate hold a solve of that size */
	int64_t *jdual, *sdual;
	size_t *mate;
};

struct gu_entry;

#define GU_BUCKETS 65            /* radix heap buckets: one per bit of a distance, and "equal" */

/* One residual arc out of the sink, by the potential at its head when it was noted. */
struct sink_arc {
	int64_t p;
	size_t node;                /* a senior, or n_sen + a junior */
};

struct scaler {
	const struct flow_graph *g;
	size_t n_jun, n_sen;
	int64_t scale, max_weight, eps;
	size_t *sfirst;             /* per senior + 1: its range in sjun and sw */
	uint32_t *sjun;             /* rows by senior, juniors with capacity only */
	int64_t *sw;                /* scaled weights */
	int64_t *ps, *pj, pt;       /* potentials: seniors, juniors, the sink */
	uint32_t *best_e;           /* per senior: BEST_K row offsets of its best arcs at the last scan */
	int64_t *bound;             /* per senior: no other arc was worth more then */
	unsigned *scanned;          /* per senior: the refine of that scan */
	unsigned refine_no;
	size_t *mate;               /* the caller's array: junior, AT_SINK, or FLOW_NONE while active */
	int64_t *mate_w;            /* scaled weight of a senior's pair */
	size_t *slot_first;         /* per junior + 1: room for the seniors it holds */
	size_t *slots, *pos;        /* seniors held; per senior its place there */
	size_t *load, *to_sink;     /* per junior: seniors held, units passed to the sink */
	char *had_room;             /* per junior: it had room after the last refine */
	int64_t excess_t;           /* units at the sink beyond one per senior */
	struct sink_arc *heap;      /* the sink's arcs, highest potential first; stale ones skipped */
	size_t heap_len, heap_cap;
	size_t *queue, q_head, q_len;
	unsigned long bids_since_update;
	/* global price update scratch: per node (seniors, juniors, sink) */
	int64_t *dist;
	struct gu_entry *gu_bucket[GU_BUCKETS];
	size_t gu_len[GU_BUCKETS], gu_cap[GU_BUCKETS];
	size_t gu_n;                /* entries in all buckets */
	uint64_t gu_last;           /* the last distance taken out */
	char *settled;
	int failed;
	size_t update_every;        /* bids between global price updates */
};

/* Senior rows (junior order) from the junior rows, without juniors of capacity 0. */
static void scaler_rows(struct scaler *c)
{
	const struct flow_graph *g = c->g;
	size_t *fill = xcalloc(c->n_sen + 1, sizeof(*fill)), n = 0;
	c->sfirst = xcalloc(c->n_sen + 1, sizeof(*c->sfirst));
	for (size_t j = 0; j < c->n_jun; j++)
		if (g->cap[j] > 0)
			for (size_t e = g->first[j]; e < g->first[j + 1]; e++, n++)
				c->sfirst[g->arcs[e].senior + 1]++;
	for (size_t s = 0; s < c->n_sen; s++)
		c->sfirst[s + 1] += c->sfirst[s];
	c->sjun = xmalloc((n + 1) * sizeof(*c->sjun));
	c->sw = xmalloc((n + 1) * sizeof(*c->sw));
	for (size_t j = 0; j < c->n_jun; j++) {
		if (g->cap[j] == 0)
			continue;
		for (size_t e = g->first[j]; e < g->first[j + 1]; e++) {
			size_t s = g->arcs[e].senior, at = c->sfirst[s] + fill[s]++;
			c->sjun[at] = (uint32_t)j;
			c->sw[at] = g->arcs[e].weight * c->scale;
		}
	}
	free(fill);
}

/* Whether the weights, scaled by K, keep every price inside int64; sets scale and max_weight. */
static int scaler_fits(struct scaler *c)
{
	const struct flow_graph *g = c->g;
	int64_t w = 1;
	if (c->n_jun >= UINT32_MAX || c->n_jun + c->n_sen + 2 > (size_t)INT32_MAX)
		return 0;
	c->scale = (int64_t)(c->n_jun + c->n_sen + 2);
	for (size_t e = 0; e < g->first[c->n_jun]; e++) {
		int64_t a = g->arcs[e].weight;
		if (a == INT64_MIN)
			return 0;
		a = a < 0 ? -a : a;
		w = a > w ? a : w;
	}
	c->max_weight = w;
	return w <= WEIGHT_LIMIT / c->scale;
}

static void scaler_init(struct scaler *c)
{
	const struct flow_graph *g = c->g;
	size_t slots = 0;
	scaler_rows(c);
	c->update_every = UPDATE_TENTHS * (c->n_sen + c->n_jun) / 10 + 1;
	c->ps = xcalloc(c->n_sen + 1, sizeof(*c->ps));
	c->best_e = xmalloc((c->n_sen + 1) * BEST_K * sizeof(*c->best_e));
	c->bound = xmalloc((c->n_sen + 1) * sizeof(*c->bound));
	c->scanned = xcalloc(c->n_sen + 1, sizeof(*c->scanned));
	c->pj = xcalloc(c->n_jun + 1, sizeof(*c->pj));
	c->mate_w = xcalloc(c->n_sen + 1, sizeof(*c->mate_w));
	c->pos = xcalloc(c->n_sen + 1, sizeof(*c->pos));
	c->queue = xmalloc((c->n_sen + 1) * sizeof(*c->queue));
	c->slot_first = xmalloc((c->n_jun + 1) * sizeof(*c->slot_first));
	c->load = xcalloc(c->n_jun + 1, sizeof(*c->load));
	c->to_sink = xcalloc(c->n_jun + 1, sizeof(*c->to_sink));
	c->had_room = xcalloc(c->n_jun + 1, 1);
	/* a junior never holds more than its capacity plus the one unit it is returning */
	for (size_t j = 0; j < c->n_jun; j++) {
		size_t deg = g->first[j + 1] - g->first[j];
		c->slot_first[j] = slots;
		slots += (g->cap[j] < deg ? g->cap[j] : deg) + 1;
	}
	c->slots = xmalloc((slots + 1) * sizeof(*c->slots));
}

static void scaler_free(struct scaler *c)
{
	void *owned[] = {
		c->sfirst, c->sjun, c->sw, c->ps, c->best_e, c->bound, c->scanned, c->pj, c->mate_w, c->pos, c->queue,
		c->slot_first, c->load, c->to_sink, c->had_room, c->slots, c->heap,
		c->dist, c->settled,
	};
	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		free(owned[i]);
	for (size_t k = 0; k < GU_BUCKETS; k++)
		free(c->gu_bucket[k]);
}

static void enqueue(struct scaler *c, size_t s)
{
	c->queue[(c->q_head + c->q_len++) % c->n_sen] = s;
}

/* Junior j gives back the senior in its slot k; the senior waits to bid again. */
static void give_back(struct scaler *c, size_t j, size_t k)
{
	size_t base = c->slot_first[j], s = c->slots[base + k], last = c->slots[base + --c->load[j]];
	c->slots[base + k] = last;
	c->pos[last] = k;
	c->mate[s] = FLOW_NONE;
	enqueue(c, s);
}

/* A new potential for a junior or the sink: never up, and never out of range. */
static void lower(struct scaler *c, int64_t *p, int64_t to)
{
	if (to < *p)
		*p = to;
	if (*p < -PRICE_LIMIT)
		c->failed = 1;
}

/* Heap order: higher potential first, then lower node number. */
static int sink_above(const struct sink_arc *a, const struct sink_arc *b)
{
	return a->p > b->p || (a->p == b->p && a->node < b->node);
}

static void sink_down(struct scaler *c, size_t i)
{
	struct sink_arc a = c->heap[i];
	for (;;) {
		size_t k = 2 * i + 1;
		if (k >= c->heap_len)
			break;
		if (k + 1 < c->heap_len && sink_above(&c->heap[k + 1], &c->heap[k]))
			k++;
		if (!sink_above(&c->heap[k], &a))
			break;
		c->heap[i] = c->heap[k];
		i = k;
	}
	c->heap[i] = a;
}

/* Whether a noted arc still exists at that potential. */
static int sink_arc_live(const struct scaler *c, const struct sink_arc *a)
{
	if (a->node < c->n_sen)
		return c->mate[a->node] == AT_SINK && c->ps[a->node] == a->p;
	return c->to_sink[a->node - c->n_sen] > 0 && c->pj[a->node - c->n_sen] == a->p;
}

/* Note every residual arc out of the sink afresh (heap reset or too many stale entries). */
static void sink_rebuild(struct scaler *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->heap_len; i++)
		if (sink_arc_live(c, &c->heap[i]))
			c->heap[n++] = c->heap[i];
	c->heap_len = n;
	for (size_t i = n / 2; i-- > 0;)
		sink_down(c, i);
}

/* Note the arc sink -> node at potential p. */
static void sink_note(struct scaler *c, size_t node, int64_t p)
{
	size_t i;
	if (c->heap_len >= 4 * (c->n_sen + c->n_jun) + 64)
		sink_rebuild(c);
	c->heap = xgrow(c->heap, &c->heap_cap, c->heap_len + 1, sizeof(*c->heap));
	i = c->heap_len++;
	while (i > 0 && sink_above(&(struct sink_arc){ p, node }, &c->heap[(i - 1) / 2])) {
		c->heap[i] = c->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	c->heap[i] = (struct sink_arc){ p, node };
}

/* The sink's best live arc, stale ones dropped on the way; NULL if none. */
static const struct sink_arc *sink_top(struct scaler *c)
{
	while (c->heap_len && !sink_arc_live(c, &c->heap[0])) {
		c->heap[0] = c->heap[--c->heap_len];
		if (c->heap_len)
			sink_down(c, 0);
	}
	return c->heap_len ? &c->heap[0] : NULL;
}

static void sink_pop(struct scaler *c)
{
	c->heap[0] = c->heap[--c->heap_len];
	if (c->heap_len)
		sink_down(c, 0);
}

/* Junior j passed one more unit to the sink, or changed price while passing some. */
static void junior_to_sink(struct scaler *c, size_t j, int64_t old_p, size_t old_to_sink)
{
	if (c->to_sink[j] > 0 && (old_to_sink == 0 || c->pj[j] != old_p))
		sink_note(c, c->n_sen + j, c->pj[j]);
}

/*
 * Junior j passes on what it holds beyond what went to the sink: to the
 * sink while it has room and that is admissible, else back to the senior
 * (or the sink) it values most, its price then set from the second best.
 */
static void settle_junior(struct scaler *c, size_t j)
{
	while (c->load[j] > c->to_sink[j] && !c->failed) {
		int room = c->to_sink[j] < c->g->cap[j];
		int64_t best = INT64_MIN, second = INT64_MIN, old_p = c->pj[j];
		size_t base = c->slot_first[j], at = SIZE_MAX, old_to_sink = c->to_sink[j];
		if (room && c->pt > c->pj[j]) {
			c->to_sink[j]++;
			c->excess_t++;
			junior_to_sink(c, j, old_p, old_to_sink);
			continue;
		}
		for (size_t k = 0; k < c->load[j]; k++) {
			size_t s = c->slots[base + k];
			int64_t v = c->ps[s] - c->mate_w[s];
			if (v > best) {
				second = best;
				best = v;
				at = k;
			} else if (v > second) {
				second = v;
			}
		}
		if (room && c->pt > best) {
			/* the sink keeps a residual arc: no look-ahead */
			lower(c, &c->pj[j], c->pt - c->eps);
			c->to_sink[j]++;
			c->excess_t++;
			junior_to_sink(c, j, old_p, old_to_sink);
			continue;
		}
		if (room && c->pt > second)
			second = c->pt;
		lower(c, &c->pj[j], (second == INT64_MIN ? best : second) - c->eps);
		give_back(c, j, at);
		junior_to_sink(c, j, old_p, old_to_sink);
	}
}

static void global_update(struct scaler *c);

/*
 * The sink got more units than there are seniors: it sends them back, one
 * at a time, to the senior or junior that values them most (the heap of
 * its arcs), its price set from the second best.
 */
static void settle_sink(struct scaler *c)
{
	while (c->excess_t > 0 && !c->failed) {
		const struct sink_arc *top, *next;
		int64_t best;
		size_t to;
		/* the sink and a junior with room can pass a unit back and forth, eps by eps */
		if (++c->bids_since_update > c->update_every)
			global_update(c);
		top = sink_top(c);
		if (!top) {
			c->failed = 1;
			return;
		}
		best = top->p;
		to = top->node;
		sink_pop(c);
		c->excess_t--;
		if (to < c->n_sen) {
			c->mate[to] = FLOW_NONE;
			enqueue(c, to);
			next = sink_top(c);
			lower(c, &c->pt, (next ? next->p : best) - c->eps);
			continue;
		}
		to -= c->n_sen;
		c->to_sink[to]--;
		if (c->to_sink[to] > 0) {
			/* the arc stays: no look-ahead */
			sink_note(c, c->n_sen + to, c->pj[to]);
			lower(c, &c->pt, best - c->eps);
		} else {
			next = sink_top(c);
			lower(c, &c->pt, (next ? next->p : best) - c->eps);
		}
		settle_junior(c, to);
	}
}

/*
 * Senior s's whole row: remembers the BEST_K best arcs and a bound on the
 * rest. Within a refine junior prices only fall, so the bound stays an
 * upper bound on every arc not remembered.
 */
static void scan_row(struct scaler *c, size_t s)
{
	int64_t top[BEST_K + 1];
	uint32_t *keep = c->best_e + s * BEST_K;
	size_t n = 0, lo = c->sfirst[s];
	for (size_t e = lo; e < c->sfirst[s + 1]; e++) {
		int64_t v = c->pj[c->sjun[e]] + c->sw[e];
		size_t i;
		if (n == BEST_K + 1 && v <= top[BEST_K])
			continue;
		i = n < BEST_K + 1 ? n++ : BEST_K;
		/* first of equals stays ahead */
		while (i > 0 && top[i - 1] < v) {
			top[i] = top[i - 1];
			if (i < BEST_K)
				keep[i] = keep[i - 1];
			i--;
		}
		top[i] = v;
		if (i < BEST_K)
			keep[i] = (uint32_t)(e - lo);
	}
	for (size_t i = n; i < BEST_K; i++)
		keep[i] = UINT32_MAX;
	c->bound[s] = n == BEST_K + 1 ? top[BEST_K] : INT64_MIN;
	c->scanned[s] = c->refine_no;
}

/*
 * Senior s's best option (*to: junior or AT_SINK, *w its scaled weight) and
 * an upper bound on the second best, from the remembered arcs while the
 * best of them still beats the bound, else from a fresh scan.
 */
static int64_t best_option(struct scaler *c, size_t s, size_t *to, int64_t *w, int64_t *second)
{
	const uint32_t *keep = c->best_e + s * BEST_K;
	size_t lo = c->sfirst[s];
	for (int pass = 0; pass < 2; pass++) {
		int64_t best = c->pt, next = INT64_MIN;
		*to = AT_SINK;
		*w = 0;
		if (pass == 1 || c->scanned[s] != c->refine_no)
			scan_row(c, s);
		for (size_t i = 0; i < BEST_K && keep[i] != UINT32_MAX; i++) {
			size_t e = lo + keep[i];
			int64_t v = c->pj[c->sjun[e]] + c->sw[e];
			/* equal values go to the junior, the earlier arc first */
			if (v > best || (v == best && (*to == AT_SINK || e < lo + *w))) {
				if (*to == AT_SINK || v > best)
					next = best;
				else
					next = v;
				best = v;
				*to = c->sjun[e];
				*w = (int64_t)(e - lo);
			} else if (v > next) {
				next = v;
			}
		}
		if (best >= c->bound[s] || pass == 1) {
			*second = next > c->bound[s] ? next : c->bound[s];
			if (*to != AT_SINK)
				*w = c->sw[lo + (size_t)*w];
			return best;
		}
	}
	return INT64_MIN;  /* not reached */
}

/* Active senior s bids for its best option: relabel to the second best minus eps, push. */
static void bid(struct scaler *c, size_t s)
{
	int64_t second, best_w, best;
	size_t to;
	best = best_option(c, s, &to, &best_w, &second);
	c->ps[s] = (second == INT64_MIN ? best : second) - c->eps;
	c->mate[s] = to;
	if (to == AT_SINK) {
		c->excess_t++;
		sink_note(c, s, c->ps[s]);
		settle_sink(c);
		return;
	}
	c->mate_w[s] = best_w;
	c->pos[s] = c->load[to];
	c->slots[c->slot_first[to] + c->load[to]++] = s;
	settle_junior(c, to);
	settle_sink(c);
}

/*
 * Global price update: every node's distance, in units of eps, to a node
 * short of flow (the sink, a junior on credit) over residual arcs of length
 * floor(c_p / eps) + 1, by a bucket search backwards from those nodes; each
 * potential then drops by eps times its distance (nodes not reached by the
 * largest distance seen plus one). That keeps the flow eps-optimal and makes
 * a path to a deficit admissible for every active senior in one go, where
 * bidding would get there eps by eps (price wars among equal offers).
 */
/*
 * A node's tentative distance in the update's queue (stale entries skipped).
 * The searches take distances out in rising order and only put in ones at
 * least as far as the last taken out, so the queue is a radix heap: bucket
 * k > 0 holds the distances whose highest bit differing from the last one
 * taken out is bit k - 1, bucket 0 those equal to it. Equal distances come
 * out in any order; the searches' results do not depend on it (every
 * distance they keep is exact, and the nodes left over all move by the
 * same amount).
 */
struct gu_entry {
	int64_t d;
	size_t node;
};

/* Which bucket distance d (>= gu_last) belongs in. */
static size_t gu_bucket_of(const struct scaler *c, uint64_t d)
{
	return d == c->gu_last ? 0 : (size_t)(64 - __builtin_clzll(d ^ c->gu_last));
}

static void gu_put(struct scaler *c, struct gu_entry x)
{
	size_t k = gu_bucket_of(c, (uint64_t)x.d);
	/* the room check inline: this is the update's innermost step */
	if (c->gu_len[k] == c->gu_cap[k])
		c->gu_bucket[k] = xgrow(c->gu_bucket[k], &c->gu_cap[k], c->gu_len[k] + 1, sizeof(*c->gu_bucket[k]));
	c->gu_bucket[k][c->gu_len[k]++] = x;
}

/* An empty queue. */
static void gu_reset(struct scaler *c)
{
	memset(c->gu_len, 0, sizeof(c->gu_len));
	c->gu_n = 0;
	c->gu_last = 0;
}

/* Queue node v at distance d (never nearer than the last taken out: such a d is raised to it). */
static void gu_push(struct scaler *c, size_t v, int64_t d)
{
	if (d < 0 || (uint64_t)d < c->gu_last)
		d = (int64_t)c->gu_last;
	gu_put(c, (struct gu_entry){ d, v });
	c->gu_n++;
	c->dist[v] = d;
}

/* Take out a nearest entry (the queue is not empty). */
static struct gu_entry gu_pop(struct scaler *c)
{
	if (c->gu_len[0] == 0) {
		size_t k = 1, n;
		struct gu_entry *from;
		uint64_t lo = UINT64_MAX;
		while (c->gu_len[k] == 0)
			k++;
		from = c->gu_bucket[k];
		n = c->gu_len[k];
		for (size_t i = 0; i < n; i++)
			lo = (uint64_t)from[i].d < lo ? (uint64_t)from[i].d : lo;
		c->gu_last = lo;
		c->gu_len[k] = 0;
		/* every entry moves to a lower bucket, never back into k */
		for (size_t i = 0; i < n; i++)
			gu_put(c, from[i]);
	}
	c->gu_n--;
	return c->gu_bucket[0][--c->gu_len[0]];
}

/* Reach node v from a settled node at distance d over an arc of reduced cost rc. */
static void gu_relax(struct scaler *c, size_t v, int64_t d, int64_t rc, int64_t limit)
{
	int64_t len;
	if (c->settled[v])
		return;
	len = rc < 0 ? 0 : rc / c->eps + 1;
	if (len >= limit - d)
		return;
	if (d + len < c->dist[v])
		gu_push(c, v, d + len);
}

/* The arcs into settled node u, each offering its tail a distance. */
static void gu_scan(struct scaler *c, size_t u, int64_t d, int64_t limit)
{
	const struct flow_graph *g = c->g;
	size_t t = c->n_sen + c->n_jun;
	if (u < c->n_sen) {
		size_t m = c->mate[u];
		if (m == AT_SINK)
			gu_relax(c, t, d, c->pt - c->ps[u], limit);
		else if (m != FLOW_NONE)
			gu_relax(c, c->n_sen + m, d, c->mate_w[u] + c->pj[m] - c->ps[u], limit);
	} else if (u < t) {
		size_t j = u - c->n_sen;
		for (size_t e = g->first[j]; e < g->first[j + 1]; e++) {
			size_t s = g->arcs[e].senior;
			/* most heads are settled by now: that byte first, the senior's state only if not */
			if (!c->settled[s] && c->mate[s] != j)
				gu_relax(c, s, d, -g->arcs[e].weight * c->scale + c->ps[s] - c->pj[j], limit);
		}
		if (c->to_sink[j] > 0)
			gu_relax(c, t, d, c->pt - c->pj[j], limit);
	} else {
		for (size_t s = 0; s < c->n_sen; s++)
			if (c->mate[s] != AT_SINK)
				gu_relax(c, s, d, c->ps[s] - c->pt, limit);
		for (size_t j = 0; j < c->n_jun; j++)
			if (c->g->cap[j] > 0 && c->to_sink[j] < c->g->cap[j])
				gu_relax(c, c->n_sen + j, d, c->pj[j] - c->pt, limit);
	}
}

static void global_update(struct scaler *c)
{
	size_t n = c->n_sen + c->n_jun + 1, t = n - 1;
	/* longer than any path the prices allow, and eps times it far from int64's end */
	int64_t limit = PRICE_LIMIT / 2 / c->eps, top = 0, shift;
	size_t waiting = 0;
	c->bids_since_update = 0;
	if (!c->dist) {
		c->dist = xmalloc(n * sizeof(*c->dist));
		c->settled = xmalloc(n);
	}
	if (limit < 2)
		return;
	for (size_t v = 0; v < n; v++)
		c->dist[v] = INT64_MAX;
	memset(c->settled, 0, n);
	gu_reset(c);
	if (c->excess_t < 0)
		gu_push(c, t, 0);
	for (size_t j = 0; j < c->n_jun; j++)
		if (c->load[j] < c->to_sink[j])
			gu_push(c, c->n_sen + j, 0);
	for (size_t s = 0; s < c->n_sen; s++)
		waiting += c->mate[s] == FLOW_NONE;
	waiting += c->excess_t > 0;
	/* done once every active senior is settled: the rest then shift by the
	 * last distance settled, which no arc into the settled part undercuts */
	while (c->gu_n && waiting) {
		struct gu_entry x = gu_pop(c);
		if (c->settled[x.node] || c->dist[x.node] != x.d)
			continue;
		c->settled[x.node] = 1;
		top = x.d;
		if ((x.node < c->n_sen && c->mate[x.node] == FLOW_NONE) || (x.node == t && c->excess_t > 0))
			waiting--;
		gu_scan(c, x.node, x.d, limit);
	}
	for (size_t s = 0; s < c->n_sen; s++) {
		shift = c->settled[s] ? c->dist[s] : top;
		c->ps[s] -= c->eps * shift;
	}
	for (size_t j = 0; j < c->n_jun; j++) {
		shift = c->settled[c->n_sen + j] ? c->dist[c->n_sen + j] : top;
		lower(c, &c->pj[j], c->pj[j] - c->eps * shift);
	}
	shift = c->settled[t] ? c->dist[t] : top;
	lower(c, &c->pt, c->pt - c->eps * shift);
	/* every noted sink arc is stale now */
	c->heap_len = 0;
	for (size_t s = 0; s < c->n_sen; s++)
		if (c->mate[s] == AT_SINK)
			sink_note(c, s, c->ps[s]);
	for (size_t j = 0; j < c->n_jun; j++)
		if (c->to_sink[j] > 0)
			sink_note(c, c->n_sen + j, c->pj[j]);
}

/* Which junior gives up its credit first: the cheapest (highest potential), then by number. */
static int cmp_credit(const void *a, const void *b, void *ctx)
{
	const int64_t *pj = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (pj[x] != pj[y])
		return pj[x] > pj[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Junior prices at the start of a refine, credit for at most as many units as there are seniors. */
static void reset_juniors(struct scaler *c)
{
	const struct flow_graph *g = c->g;
	size_t credit = 0, n_credit = 0, *credited = xmalloc((c->n_jun + 1) * sizeof(*credited));
	for (size_t j = 0; j < c->n_jun; j++) {
		size_t deg = g->first[j + 1] - g->first[j];
		if (c->had_room[j] || c->pj[j] > c->pt || g->cap[j] > deg || g->cap[j] == 0)
			c->pj[j] = c->pt;
		if (c->pj[j] < c->pt) {
			credited[n_credit++] = j;
			credit += g->cap[j];
		}
	}
	if (credit > c->n_sen) {
		qsort_r(credited, n_credit, sizeof(*credited), cmp_credit, c->pj);
		for (size_t i = 0; i < n_credit && credit > c->n_sen; i++) {
			c->pj[credited[i]] = c->pt;
			credit -= g->cap[credited[i]];
		}
	}
	free(credited);
}

/*
 * Whether senior s may keep its place under the new eps: its own option
 * (its pair, or the sink) is worth at least the best other one minus
 * 2 eps. If so its price goes where every one of its arcs is eps-optimal.
 */
static int keep_senior(struct scaler *c, size_t s)
{
	size_t m = c->mate[s];
	int64_t own = m == AT_SINK ? c->pt : INT64_MIN, other = m == AT_SINK ? INT64_MIN : c->pt;
	if (m == FLOW_NONE)
		return 0;
	for (size_t e = c->sfirst[s]; e < c->sfirst[s + 1]; e++) {
		int64_t v = c->pj[c->sjun[e]] + c->sw[e];
		if (c->sjun[e] == m) {
			own = v;
			c->mate_w[s] = c->sw[e];
		} else if (v > other) {
			other = v;
		}
	}
	if (own == INT64_MIN || (m != AT_SINK && c->load[m] >= c->g->cap[m]) ||
	    (other != INT64_MIN && other - 2 * c->eps > own))
		return 0;
	c->ps[s] = other != INT64_MIN && other - c->eps > own ? other - c->eps : own;
	return 1;
}

/*
 * The start of a refine: junior prices reset, then every senior whose place
 * is still good enough keeps it and the others wait to bid. A junior priced
 * above the sink was full at the end of the last refine; it stays full on
 * credit (at most as many units as there are seniors: start prices from a
 * hint may ask for more, and the cheapest give up their credit).
 */
static void refine_reset(struct scaler *c)
{
	const struct flow_graph *g = c->g;
	reset_juniors(c);
	memset(c->load, 0, c->n_jun * sizeof(*c->load));
	c->q_head = 0;
	c->q_len = 0;
	c->heap_len = 0;
	c->excess_t = -(int64_t)c->n_sen;
	for (size_t s = 0; s < c->n_sen; s++) {
		size_t m = c->mate[s];
		if (!keep_senior(c, s)) {
			c->mate[s] = FLOW_NONE;
			c->queue[c->q_len++] = s;
		} else if (m == AT_SINK) {
			c->excess_t++;
			sink_note(c, s, c->ps[s]);
		} else {
			c->pos[s] = c->load[m];
			c->slots[c->slot_first[m] + c->load[m]++] = s;
		}
	}
	for (size_t j = 0; j < c->n_jun; j++) {
		c->to_sink[j] = c->pj[j] < c->pt ? g->cap[j] : c->load[j];
		c->excess_t += (int64_t)c->to_sink[j];
		if (c->to_sink[j] > 0)
			sink_note(c, c->n_sen + j, c->pj[j]);
	}
	settle_sink(c);
}

/* One eps-optimal flow from the current prices. */
static void refine(struct scaler *c)
{
	c->refine_no++;
	refine_reset(c);
	while (c->q_len && !c->failed) {
		size_t s = c->queue[c->q_head];
		c->q_head = (c->q_head + 1) % c->n_sen;
		c->q_len--;
		if (c->mate[s] == FLOW_NONE) {
			if (++c->bids_since_update > c->update_every)
				global_update(c);
			bid(c, s);
		}
	}
	for (size_t j = 0; j < c->n_jun; j++)
		c->had_room[j] = c->to_sink[j] < c->g->cap[j];
}

/* Floor of a / b for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return q - (a % b < 0);
}

/* Node numbers in the label-correcting pass: seniors, juniors, the sink. */
struct fixer {
	struct scaler *c;
	size_t n;
	int64_t *q, *d;
	size_t *queue, head, len;
	unsigned *count;
	char *queued;
};

/* Offer node v the distance du + (reduced cost of an arc u -> v of cost cost). */
static int fix_relax(struct fixer *f, size_t u, size_t v, int64_t cost)
{
	int64_t nd = f->d[u] + cost + f->q[u] - f->q[v];
	if (nd >= f->d[v])
		return 0;
	f->d[v] = nd;
	if (!f->queued[v]) {
		if (++f->count[v] > f->n + 1)
			return -1;  /* a negative cycle: the flow is not optimal */
		f->queued[v] = 1;
		f->queue[(f->head + f->len++) % f->n] = v;
	}
	return 0;
}

/* Relax the residual arcs out of node u. */
static int fix_node(struct fixer *f, size_t u)
{
	struct scaler *c = f->c;
	size_t t = c->n_sen + c->n_jun;
	int r = 0;
	if (u < c->n_sen) {
		for (size_t e = c->sfirst[u]; e < c->sfirst[u + 1] && !r; e++)
			if (c->mate[u] != c->sjun[e])
				r = fix_relax(f, u, c->n_sen + c->sjun[e], -c->sw[e] / c->scale);
		if (c->mate[u] != AT_SINK && !r)
			r = fix_relax(f, u, t, 0);
	} else if (u < t) {
		size_t j = u - c->n_sen, base = c->slot_first[j];
		for (size_t k = 0; k < c->load[j] && !r; k++) {
			size_t s = c->slots[base + k];
			r = fix_relax(f, u, s, c->mate_w[s] / c->scale);
		}
		if (c->load[j] < c->g->cap[j] && !r)
			r = fix_relax(f, u, t, 0);
	} else {
		for (size_t s = 0; s < c->n_sen && !r; s++)
			if (c->mate[s] == AT_SINK)
				r = fix_relax(f, u, s, 0);
		for (size_t j = 0; j < c->n_jun && !r; j++)
			if (c->load[j] > 0)
				r = fix_relax(f, u, c->n_sen + j, 0);
	}
	return r;
}

/* Offer node u the distance dv + rc (rc >= 0: an arc u -> v of the residual graph). */
static void far_relax(struct scaler *c, size_t u, int64_t dv, int64_t rc)
{
	if (!c->settled[u] && dv + rc < c->dist[u])
		gu_push(c, u, dv + rc);
}

/*
 * Of all optimal duals, those with every junior price as high as it can be
 * (so that pairs outside the graph are least often found to beat their
 * prices, which is what the engine's certification scans test): each
 * potential drops by its exact distance to the sink over residual arcs, a
 * Dijkstra on the reduced costs q allows (all >= 0), backwards from the
 * sink. Nodes that cannot reach it drop by the largest distance found.
 */
static void raise_junior_prices(struct scaler *c, int64_t *q)
{
	const struct flow_graph *g = c->g;
	size_t n = c->n_sen + c->n_jun + 1, t = n - 1;
	int64_t far = 0;
	if (!c->dist) {
		c->dist = xmalloc(n * sizeof(*c->dist));
		c->settled = xmalloc(n);
	}
	for (size_t v = 0; v < n; v++)
		c->dist[v] = INT64_MAX;
	memset(c->settled, 0, n);
	gu_reset(c);
	gu_push(c, t, 0);
	while (c->gu_n) {
		struct gu_entry x = gu_pop(c);
		size_t v = x.node;
		if (c->settled[v] || c->dist[v] != x.d)
			continue;
		c->settled[v] = 1;
		far = x.d;
		if (v == t) {
			for (size_t s = 0; s < c->n_sen; s++)
				if (c->mate[s] != AT_SINK)
					far_relax(c, s, x.d, q[s] - q[t]);
			for (size_t j = 0; j < c->n_jun; j++)
				if (c->load[j] < g->cap[j])
					far_relax(c, c->n_sen + j, x.d, q[c->n_sen + j] - q[t]);
		} else if (v >= c->n_sen) {
			size_t j = v - c->n_sen;
			for (size_t e = g->first[j]; e < g->first[j + 1]; e++) {
				size_t s = g->arcs[e].senior;
				if (c->mate[s] != j)
					far_relax(c, s, x.d, -g->arcs[e].weight + q[s] - q[v]);
			}
			if (c->load[j] > 0)
				far_relax(c, t, x.d, q[t] - q[v]);
		} else if (c->mate[v] == AT_SINK) {
			far_relax(c, t, x.d, q[t] - q[v]);
		} else {
			size_t j = c->mate[v];
			far_relax(c, c->n_sen + j, x.d, c->mate_w[v] / c->scale + q[c->n_sen + j] - q[v]);
		}
	}
	for (size_t v = 0; v < n; v++)
		q[v] -= c->settled[v] ? c->dist[v] : far;
}

/*
 * Exact duals of the optimal flow: the potentials divided by K, then a
 * label-correcting pass (every node starts at distance 0) that lowers them
 * until no residual arc is negative. A junior without capacity has no arc
 * out, so it just takes the price that covers its arcs. -1 if the pass finds
 * a negative cycle.
 */
static int exact_duals(struct scaler *c, int64_t *jdual, int64_t *sdual)
{
	const struct flow_graph *g = c->g;
	struct fixer f = { .c = c, .n = c->n_sen + c->n_jun + 1 };
	size_t t = c->n_sen + c->n_jun;
	int r = 0;
	f.q = xmalloc(f.n * sizeof(*f.q));
	f.d = xcalloc(f.n, sizeof(*f.d));
	f.queue = xmalloc(f.n * sizeof(*f.queue));
	f.count = xcalloc(f.n, sizeof(*f.count));
	f.queued = xmalloc(f.n);
	for (size_t s = 0; s < c->n_sen; s++)
		f.q[s] = floor_div(c->ps[s], c->scale);
	for (size_t j = 0; j < c->n_jun; j++)
		f.q[c->n_sen + j] = floor_div(c->pj[j], c->scale);
	f.q[t] = floor_div(c->pt, c->scale);
	for (size_t v = 0; v < f.n; v++)
		f.queue[v] = v;
	memset(f.queued, 1, f.n);
	f.len = f.n;
	while (f.len && !r) {
		size_t u = f.queue[f.head];
		f.head = (f.head + 1) % f.n;
		f.len--;
		f.queued[u] = 0;
		r = fix_node(&f, u);
	}
	for (size_t v = 0; v < f.n; v++)
		f.q[v] += f.d[v];
	if (!r)
		raise_junior_prices(c, f.q);
	for (size_t j = 0; j < c->n_jun; j++) {
		int64_t v = f.q[t] - f.q[c->n_sen + j];
		jdual[j] = v > 0 ? v : 0;
	}
	/* a matched senior may rise to what its pair leaves: its one arc in is that pair's */
	for (size_t s = 0; s < c->n_sen; s++)
		sdual[s] = c->mate[s] == AT_SINK ? 0 : c->mate_w[s] / c->scale - jdual[c->mate[s]];
	cover_closed_juniors(g, jdual, sdual);
	free(f.q);
	free(f.d);
	free(f.queue);
	free(f.count);
	free(f.queued);
	return r;
}

/* The contract, checked: a b-matching of the graph and duals that prove it optimal. */
static int result_ok(const struct flow_graph *g, const size_t *mate, const int64_t *jdual,
		     const int64_t *sdual)
{
	__int128 primal = 0, dual = 0;
	size_t *load = xcalloc(g->n_jun + 1, sizeof(*load));
	int ok = 1;
	for (size_t s = 0; s < g->n_sen; s++) {
		ok &= sdual[s] >= 0 && (mate[s] != FLOW_NONE || sdual[s] == 0);
		dual += sdual[s];
		if (mate[s] != FLOW_NONE && mate[s] < g->n_jun)
			load[mate[s]]++;
		else
			ok &= mate[s] == FLOW_NONE;
	}
	for (size_t j = 0; j < g->n_jun && ok; j++) {
		ok &= jdual[j] >= 0 && load[j] <= g->cap[j];
		dual += (__int128)g->cap[j] * jdual[j];
		for (size_t e = g->first[j]; e < g->first[j + 1]; e++) {
			const struct flow_arc *a = &g->arcs[e];
			ok &= (__int128)jdual[j] + sdual[a->senior] >= a->weight;
			if (mate[a->senior] == j) {
				primal += a->weight;
				load[j]--;
			}
		}
		ok &= load[j] == 0;  /* every mate is along an arc of the graph */
	}
	free(load);
	return ok && primal == dual;
}

/* Clamp a price from outside to [0, the largest weight]. */
static int64_t clamp_price(const struct scaler *c, int64_t v)
{
	return v < 0 ? 0 : v > c->max_weight ? c->max_weight : v;
}

/*
 * Start prices and the first eps. From st: the last solve's duals and
 * matching, at eps = 1. Cold: zero, at eps = 1 too. With the global
 * updates, skipping the coarse scales measured fastest on the engine's
 * graphs, whose classes make most offers tie: a coarse refine only fixes
 * the ties for the next one to unsettle. Prices from a hint start at eps = 1
 * as well: the next cycle's prices are mostly the last one's, and measured
 * (bench/match --next-cycle) 2.8 times faster than a cold start at 5k x 15k,
 * where scaling down from the largest weight was slower than cold; a wrong
 * hint costs time, never the optimum.
 */
static void scaler_start(struct scaler *c, const struct flow_state *st, const int64_t *hint)
{
	c->eps = 1;
	for (size_t s = 0; s < c->n_sen; s++)
		c->mate[s] = FLOW_NONE;
	if (st && st->valid && st->n_jun == c->n_jun && st->n_sen == c->n_sen) {
		for (size_t s = 0; s < c->n_sen; s++) {
			size_t m = st->mate[s];
			c->mate[s] = m == FLOW_NONE ? AT_SINK : m < c->n_jun ? m : FLOW_NONE;
			c->ps[s] = clamp_price(c, st->sdual[s]) * c->scale;
		}
		for (size_t j = 0; j < c->n_jun; j++)
			c->pj[j] = -clamp_price(c, st->jdual[j]) * c->scale;
	} else if (hint) {
		for (size_t j = 0; j < c->n_jun; j++)
			c->pj[j] = -clamp_price(c, hint[j]) * c->scale;
	}
}

/*
 * A rough solve's duals: each junior's from its potential in whole units
 * of weight (at least 0), each senior's the most one of its arcs leaves
 * above that (at least 0), then juniors without capacity cover their arcs.
 */
static void rough_duals(struct scaler *c, int64_t *jdual, int64_t *sdual)
{
	int64_t qt = floor_div(c->pt, c->scale);
	for (size_t j = 0; j < c->n_jun; j++) {
		int64_t v = qt - floor_div(c->pj[j], c->scale);
		jdual[j] = v > 0 ? v : 0;
	}
	for (size_t s = 0; s < c->n_sen; s++) {
		sdual[s] = 0;
		for (size_t e = c->sfirst[s]; e < c->sfirst[s + 1]; e++) {
			int64_t v = c->sw[e] / c->scale - jdual[c->sjun[e]];
			sdual[s] = v > sdual[s] ? v : sdual[s];
		}
	}
	cover_closed_juniors(c->g, jdual, sdual);
}

/*
 * Cost scaling down to eps = 1, then the exact duals (rough: one refine at
 * eps = K, one unit of weight, and rough duals); 0, or -1 if it had to give up.
 */
static int scale_solve(struct scaler *c, const struct flow_state *st, const int64_t *hint,
		       int64_t *jdual, int64_t *sdual, int rough)
{
	scaler_init(c);
	scaler_start(c, st, hint);
	if (rough)
		c->eps = c->scale;
	for (;;) {
		refine(c);
		if (c->failed || c->eps == 1 || rough)
			break;
		c->eps = c->eps / ALPHA > 1 ? c->eps / ALPHA : 1;
	}
	if (c->failed)
		return -1;
	if (rough)
		rough_duals(c, jdual, sdual);
	else if (exact_duals(c, jdual, sdual) != 0)
		return -1;
	for (size_t s = 0; s < c->n_sen; s++)
		if (c->mate[s] == AT_SINK)
			c->mate[s] = FLOW_NONE;
	return rough || result_ok(c->g, c->mate, jdual, sdual) ? 0 : -1;
}

/* Keep this solve's answer in st for the next one. */
static void state_keep(struct flow_state *st, const struct flow_graph *g, const size_t *mate,
		       const int64_t *jdual, const int64_t *sdual)
{
	if (!st)
		return;
	if (!st->valid || st->n_jun != g->n_jun || st->n_sen != g->n_sen) {
		free(st->jdual);
		free(st->sdual);
		free(st->mate);
		st->jdual = xmalloc((g->n_jun + 1) * sizeof(*st->jdual));
		st->sdual = xmalloc((g->n_sen + 1) * sizeof(*st->sdual));
		st->mate = xmalloc((g->n_sen + 1) * sizeof(*st->mate));
		st->n_jun = g->n_jun;
		st->n_sen = g->n_sen;
	}
	memcpy(st->jdual, jdual, g->n_jun * sizeof(*jdual));
	memcpy(st->sdual, sdual, g->n_sen * sizeof(*sdual));
	memcpy(st->mate, mate, g->n_sen * sizeof(*mate));
	st->valid = 1;
}

struct flow_state *flow_state_new(void)
{
	return xcalloc(1, sizeof(struct flow_state));
}

void flow_state_free(struct flow_state *st)
{
	if (!st)
		return;
	free(st->jdual);
	free(st->sdual);
	free(st->mate);
	free(st);
}

/* flow_solve_warm, or with rough a rough solve. */
static enum flow_method solve_scaled(struct flow_state *st, const struct flow_graph *g, size_t *mate,
				     int64_t *jdual, int64_t *sdual, const int64_t *jprice_hint, int rough)
{
	struct scaler c;
	enum flow_method how = FLOW_SCALED;
	memset(&c, 0, sizeof(c));
	c.g = g;
	c.n_jun = g->n_jun;
	c.n_sen = g->n_sen;
	c.mate = mate;
	if (!scaler_fits(&c) || scale_solve(&c, st, jprice_hint, jdual, sdual, rough) != 0) {
		flow_solve_ssp(g, mate, jdual, sdual);
		how = FLOW_FALLBACK;
	}
	scaler_free(&c);
	state_keep(st, g, mate, jdual, sdual);
	return how;
}

enum flow_method flow_solve_warm(struct flow_state *st, const struct flow_graph *g, size_t *mate,
				 int64_t *jdual, int64_t *sdual, const int64_t *jprice_hint)
{
	return solve_scaled(st, g, mate, jdual, sdual, jprice_hint, 0);
}

enum flow_method flow_solve_rough(struct flow_state *st, const struct flow_graph *g, size_t *mate,
				  int64_t *jdual, int64_t *sdual, const int64_t *jprice_hint)
{
	return solve_scaled(st, g, mate, jdual, sdual, jprice_hint, 1);
}

void flow_solve(const struct flow_graph *g, size_t *mate, int64_t *jdual, int64_t *sdual)
{
	flow_solve_warm(NULL, g, mate, jdual, sdual, NULL);
}

/* --- several mentors per senior: push-relabel on the explicit network ------- */

/*
 * The network of flow_solve_multi as residual arcs grouped by tail node
 * (node 0 the source, 1 the sink, then the juniors, then the seniors); each
 * arc knows its reverse. Junior j's arcs are the reverse of source -> j,
 * then its row in the caller's order, so the caller's arc i is arc
 * first[2 + j] + 1 + (i - g->first[j]). The sink -> source arc (cost 0,
 * more capacity than any flow) makes a min-cost circulation of the
 * max-weight b-matching.
 *
 * Cost scaling as Goldberg gives it: costs times K = nodes + 1; each refine
 * at eps saturates every residual arc of negative reduced cost, then pushes
 * excess first-in first-out along arcs of negative reduced cost, lowering a
 * node's potential to the highest of (head potential - cost) - eps when it
 * has none, and a global price update (distances to the deficits, see
 * multi_global_update) at the start of each refine and after every few
 * relabels: without them the sink and the source, which touch every
 * junior and senior, were relabelled over and over (a hundred times
 * slower). A circulation eps-optimal at eps = 1 is optimal for the integer
 * costs. The exact duals then come from a label-correcting pass from the
 * potentials divided by K, whose residual reduced costs are already >= -1.
 * A cold solve scales down from the largest cost; a warm one, from the
 * earlier duals and pairs, refines once at eps = 1.
 */
#define MULTI_ALPHA 8             /* eps shrinks by this much per refine */
#define MULTI_UPDATE_TENTHS 10    /* relabels between global updates, in tenths of the node count */
#define MULTI_COST_LIMIT ((int64_t)1 << 58)   /* scaled costs stay below */
#define MULTI_PRICE_LIMIT ((int64_t)1 << 61)  /* potentials stay inside +-this */
#define MULTI_SRC 0
#define MULTI_SINK 1

struct multi {
	const struct flow_multi_graph *g;
	size_t n, m;                /* nodes, residual arcs */
	size_t *first;              /* per node + 1: its arcs */
	size_t *fill;
	uint32_t *head, *rev;
	int64_t *res, *cost;        /* residual capacity; cost times K */
	int64_t *p, *excess;
	int64_t scale, eps, cost_max; /* cost_max: the largest scaled cost */
	size_t *cur;                /* per node: the next arc to try */
	size_t *queue, q_head, q_len;
	char *queued;
	int failed;
	size_t relabels;            /* since the last global update */
	/* global update scratch */
	int64_t *dist;
	struct gu_entry *heap;
	size_t heap_len;
	char *settled;
};

static size_t multi_junior(size_t j)
{
	return 2 + j;
}

static size_t multi_senior(const struct multi *x, size_t s)
{
	return 2 + x->g->n_jun + s;
}

/* Place the arc u -> v and its reverse. */
static void multi_arc(struct multi *x, size_t u, size_t v, int64_t cap, int64_t cost)
{
	size_t a = x->fill[u]++, b = x->fill[v]++;
	x->head[a] = (uint32_t)v;
	x->head[b] = (uint32_t)u;
	x->rev[a] = (uint32_t)b;
	x->rev[b] = (uint32_t)a;
	x->res[a] = cap;
	x->res[b] = 0;
	x->cost[a] = cost;
	x->cost[b] = -cost;
}

/* Arc counts per node, then the arcs. */
static void multi_build(struct multi *x)
{
	const struct flow_multi_graph *g = x->g;
	size_t n_arcs = g->first[g->n_jun];
	int64_t total = 1;
	x->n = 2 + g->n_jun + g->n_sen;
	x->m = 2 * (g->n_jun + n_arcs + 2 * g->n_sen + 1);
	x->first = xcalloc(x->n + 1, sizeof(*x->first));
	x->first[MULTI_SRC + 1] += g->n_jun + 1;
	x->first[MULTI_SINK + 1] += 2 * g->n_sen + 1;
	for (size_t j = 0; j < g->n_jun; j++)
		x->first[multi_junior(j) + 1] += 1 + g->first[j + 1] - g->first[j];
	for (size_t i = 0; i < n_arcs; i++)
		x->first[multi_senior(x, g->arcs[i].senior) + 1]++;
	for (size_t s = 0; s < g->n_sen; s++)
		x->first[multi_senior(x, s) + 1] += 2;
	for (size_t v = 0; v < x->n; v++)
		x->first[v + 1] += x->first[v];
	x->fill = xmalloc((x->n + 1) * sizeof(*x->fill));
	memcpy(x->fill, x->first, x->n * sizeof(*x->fill));
	x->head = xmalloc((x->m + 1) * sizeof(*x->head));
	x->rev = xmalloc((x->m + 1) * sizeof(*x->rev));
	x->res = xmalloc((x->m + 1) * sizeof(*x->res));
	x->cost = xmalloc((x->m + 1) * sizeof(*x->cost));
	for (size_t j = 0; j < g->n_jun; j++) {
		size_t deg = g->first[j + 1] - g->first[j], cap = g->cap[j] < deg ? g->cap[j] : deg;
		multi_arc(x, MULTI_SRC, multi_junior(j), (int64_t)cap, 0);
		total += (int64_t)cap;
	}
	for (size_t j = 0; j < g->n_jun; j++)
		for (size_t i = g->first[j]; i < g->first[j + 1]; i++)
			multi_arc(x, multi_junior(j), multi_senior(x, g->arcs[i].senior), 1, -g->arcs[i].weight);
	for (size_t s = 0; s < g->n_sen; s++) {
		int64_t units = (int64_t)g->units[s];
		multi_arc(x, multi_senior(x, s), MULTI_SINK, units > 0, units > 0 ? -g->first_value[s] : 0);
		multi_arc(x, multi_senior(x, s), MULTI_SINK, units > 1 ? units - 1 : 0, 0);
	}
	multi_arc(x, MULTI_SINK, MULTI_SRC, total, 0);
	x->p = xcalloc(x->n, sizeof(*x->p));
	x->excess = xcalloc(x->n, sizeof(*x->excess));
	x->cur = xmalloc(x->n * sizeof(*x->cur));
	x->queue = xmalloc(x->n * sizeof(*x->queue));
	x->queued = xcalloc(x->n, 1);
}

static void multi_free(struct multi *x)
{
	void *owned[] = { x->first, x->fill, x->head, x->rev, x->res, x->cost, x->p, x->excess, x->cur,
			  x->queue, x->queued, x->dist, x->heap, x->settled };
	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		free(owned[i]);
}

/* Whether the costs times K keep every potential inside int64; sets the scale. */
static int multi_fits(struct multi *x)
{
	int64_t most = 1;
	if (x->n >= (size_t)INT32_MAX || x->m >= (size_t)UINT32_MAX)
		return 0;
	x->scale = (int64_t)x->n + 1;
	for (size_t a = 0; a < x->m; a++) {
		int64_t c = x->cost[a];
		if (c == INT64_MIN)
			return 0;
		c = c < 0 ? -c : c;
		most = c > most ? c : most;
	}
	if (most > MULTI_COST_LIMIT / x->scale)
		return 0;
	for (size_t a = 0; a < x->m; a++)
		x->cost[a] *= x->scale;
	x->eps = x->cost_max = most * x->scale;
	return 1;
}

/* The tail of arc a. */
static size_t multi_tail(const struct multi *x, size_t a)
{
	return x->head[x->rev[a]];
}

static int64_t multi_rc(const struct multi *x, size_t u, size_t a)
{
	return x->cost[a] + x->p[u] - x->p[x->head[a]];
}

static void multi_enqueue(struct multi *x, size_t v)
{
	if (x->queued[v])
		return;
	x->queued[v] = 1;
	x->queue[(x->q_head + x->q_len++) % x->n] = v;
}

/* Move delta units along arc a out of u. */
static void multi_push(struct multi *x, size_t u, size_t a, int64_t delta)
{
	size_t v = x->head[a];
	x->res[a] -= delta;
	x->res[x->rev[a]] += delta;
	x->excess[u] -= delta;
	x->excess[v] += delta;
	if (x->excess[v] > 0)
		multi_enqueue(x, v);
}

/* Lower u's potential so that its best residual arc becomes admissible. */
static void multi_relabel(struct multi *x, size_t u)
{
	int64_t best = INT64_MIN;
	for (size_t a = x->first[u]; a < x->first[u + 1]; a++)
		if (x->res[a] > 0) {
			int64_t v = x->p[x->head[a]] - x->cost[a];
			best = v > best ? v : best;
		}
	if (best == INT64_MIN || best - x->eps < -MULTI_PRICE_LIMIT) {
		x->failed = 1;
		return;
	}
	x->p[u] = best - x->eps;
	x->cur[u] = x->first[u];
	x->relabels++;
}

/* Push u's excess away, relabelling as needed. */
static void multi_discharge(struct multi *x, size_t u)
{
	while (x->excess[u] > 0 && !x->failed) {
		size_t a = x->cur[u], end = x->first[u + 1];
		for (; a < end; a++) {
			if (x->res[a] > 0 && multi_rc(x, u, a) < 0) {
				multi_push(x, u, a, x->res[a] < x->excess[u] ? x->res[a] : x->excess[u]);
				if (x->excess[u] == 0)
					break;
			}
		}
		x->cur[u] = a < end ? a : end;
		if (x->excess[u] > 0)
			multi_relabel(x, u);
	}
}

/* A binary heap of (distance, node) for the global update; stale entries are skipped. */
static void mh_push(struct multi *x, size_t v, int64_t d)
{
	size_t i = x->heap_len++;
	while (i > 0 && (x->heap[(i - 1) / 2].d > d ||
			 (x->heap[(i - 1) / 2].d == d && x->heap[(i - 1) / 2].node > v))) {
		x->heap[i] = x->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	x->heap[i] = (struct gu_entry){ d, v };
}

static struct gu_entry mh_pop(struct multi *x)
{
	struct gu_entry top = x->heap[0], last = x->heap[--x->heap_len];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= x->heap_len)
			break;
		if (c + 1 < x->heap_len && (x->heap[c + 1].d < x->heap[c].d ||
					    (x->heap[c + 1].d == x->heap[c].d && x->heap[c + 1].node < x->heap[c].node)))
			c++;
		if (x->heap[c].d > last.d || (x->heap[c].d == last.d && x->heap[c].node > last.node))
			break;
		x->heap[i] = x->heap[c];
		i = c;
	}
	if (x->heap_len)
		x->heap[i] = last;
	return top;
}

/*
 * Global price update (Goldberg): every node's distance, in steps of eps,
 * to a node with a deficit over residual arcs, an arc of reduced cost rc
 * counting max(0, floor(rc / eps) + 1); each potential then drops by eps
 * times its distance; a node with no path to a deficit by one more than
 * the farthest that has one. Distances are capped at a few times the
 * largest cost (a cap keeps every arc eps-optimal too): no optimal
 * potential is further away, and a smaller cap (the node count) left a
 * warm start at a small eps to crawl towards prices a tier away, update
 * after update. Afterwards every node with excess has an admissible path
 * toward a deficit.
 */
static void multi_global_update(struct multi *x)
{
	int64_t cap = 4 * (x->cost_max / x->eps) + 4, far = 0;
	if (!x->dist) {
		x->dist = xmalloc(x->n * sizeof(*x->dist));
		x->heap = xmalloc((x->m + x->n + 1) * sizeof(*x->heap));
		x->settled = xmalloc(x->n);
	}
	x->heap_len = 0;
	memset(x->settled, 0, x->n);
	for (size_t v = 0; v < x->n; v++) {
		x->dist[v] = cap;
		if (x->excess[v] < 0) {
			x->dist[v] = 0;
			mh_push(x, v, 0);
		}
	}
	while (x->heap_len) {
		struct gu_entry e = mh_pop(x);
		size_t v = e.node;
		if (x->settled[v] || e.d != x->dist[v])
			continue;
		x->settled[v] = 1;
		for (size_t a = x->first[v]; a < x->first[v + 1]; a++) {
			size_t w = x->head[a], b = x->rev[a];
			int64_t rc, step, d;
			if (x->settled[w] || x->res[b] <= 0)
				continue;
			rc = x->cost[b] + x->p[w] - x->p[v];
			step = rc < 0 ? 0 : rc / x->eps + 1;
			d = step >= cap ? cap : e.d + step;
			if (d < x->dist[w]) {
				x->dist[w] = d;
				mh_push(x, w, d);
			}
		}
	}
	for (size_t v = 0; v < x->n; v++)
		if (x->settled[v] && x->dist[v] > far)
			far = x->dist[v];
	far = far < cap ? far + 1 : cap;
	for (size_t v = 0; v < x->n; v++) {
		if (!x->settled[v])
			x->dist[v] = far;
		if (x->p[v] - x->dist[v] * x->eps < -MULTI_PRICE_LIMIT)
			x->failed = 1;
		else
			x->p[v] -= x->dist[v] * x->eps;
		x->cur[v] = x->first[v];
	}
	x->relabels = 0;
}

/* One refine at x->eps: from an eps-optimal pseudo-flow to an eps-optimal circulation. */
static void multi_refine(struct multi *x)
{
	for (size_t u = 0; u < x->n; u++) {
		x->cur[u] = x->first[u];
		for (size_t a = x->first[u]; a < x->first[u + 1]; a++)
			if (x->res[a] > 0 && multi_rc(x, u, a) < 0)
				multi_push(x, u, a, x->res[a]);
	}
	multi_global_update(x);
	while (x->q_len && !x->failed) {
		size_t u = x->queue[x->q_head];
		x->q_head = (x->q_head + 1) % x->n;
		x->q_len--;
		x->queued[u] = 0;
		multi_discharge(x, u);
		if (x->relabels > x->n * MULTI_UPDATE_TENTHS / 10)
			multi_global_update(x);
	}
}

/*
 * The earlier solve's pairs (used[]) as a circulation, as far as they fit:
 * each pair, its junior's unit from the source, its senior's units to the
 * sink (the first one first), and their return. Then only arcs the earlier
 * graph did not have can violate the earlier duals.
 */
static void multi_warm_flow(struct multi *x, const unsigned char *used)
{
	const struct flow_multi_graph *g = x->g;
	size_t *count = xcalloc(g->n_sen + 1, sizeof(*count)), back = x->first[MULTI_SINK + 1] - 1;
	for (size_t j = 0; j < g->n_jun; j++) {
		size_t ju = multi_junior(j), from_src = x->first[MULTI_SRC] + j;
		for (size_t i = g->first[j]; i < g->first[j + 1]; i++) {
			size_t a = x->first[ju] + 1 + (i - g->first[j]), s = g->arcs[i].senior;
			if (!used[i] || x->res[from_src] == 0 || count[s] >= g->units[s])
				continue;
			multi_push(x, MULTI_SRC, from_src, 1);
			multi_push(x, ju, a, 1);
			/* the first unit, then the rest: the senior's last two arcs */
			multi_push(x, multi_senior(x, s), x->first[multi_senior(x, s) + 1] - (count[s] ? 1 : 2), 1);
			multi_push(x, MULTI_SINK, back, 1);
			count[s]++;
		}
	}
	x->q_head = x->q_len = 0; /* balanced: nothing is active */
	memset(x->queued, 0, x->n);
	free(count);
}

/*
 * A warm start: potentials from an earlier solve's duals, its pairs as the
 * flow where they fit, and eps the largest violation they leave. Duals are
 * clamped to the costs' range, so any values are safe.
 */
static void multi_warm(struct multi *x, const unsigned char *used, const int64_t *start_j,
		       const int64_t *start_s)
{
	const struct flow_multi_graph *g = x->g;
	int64_t lim = x->eps / x->scale, worst = 0;
	for (size_t j = 0; j < g->n_jun; j++) {
		int64_t v = start_j[j] < 0 ? 0 : start_j[j] > lim ? lim : start_j[j];
		x->p[multi_junior(j)] = v * x->scale;
	}
	for (size_t s = 0; s < g->n_sen; s++) {
		int64_t v = start_s ? start_s[s] : 0;
		v = v < -lim ? -lim : v > lim ? lim : v;
		x->p[multi_senior(x, s)] = -v * x->scale;
	}
	if (!start_s) {
		/* a senior as high as its arcs allow */
		for (size_t s = 0; s < g->n_sen; s++)
			x->p[multi_senior(x, s)] = 0;
		for (size_t j = 0; j < g->n_jun; j++)
			for (size_t a = x->first[multi_junior(j)] + 1; a < x->first[multi_junior(j) + 1]; a++) {
				size_t v = x->head[a];
				int64_t q = x->p[multi_junior(j)] + x->cost[a];
				x->p[v] = q < x->p[v] ? q : x->p[v];
			}
	}
	if (used && start_s)
		multi_warm_flow(x, used);
	for (size_t u = 0; u < x->n; u++)
		for (size_t a = x->first[u]; a < x->first[u + 1]; a++)
			if (x->res[a] > 0 && -multi_rc(x, u, a) > worst)
				worst = -multi_rc(x, u, a);
	x->eps = worst < x->eps ? worst : x->eps;
	/*
	 * After an earlier solve's duals and pairs, arcs new to the graph may
	 * violate by a whole tier (a senior without a mentor prices its first
	 * one high), but they are few: one refine at eps = 1 straight away,
	 * with the global updates, measured two to three times faster than
	 * scaling down from one cost unit, and more than from the largest
	 * violation. A price hint alone scales down from there: a wrong one
	 * refined at once was a hundred times slower.
	 */
	if (used && start_s)
		x->eps = 1;
}

/*
 * Exact potentials for the optimal flow: label correcting over the
 * residual arcs from pi, in original costs. -1 on a negative cycle.
 */
static int multi_exact(struct multi *x, int64_t *pi, int64_t div)
{
	unsigned *count = xcalloc(x->n, sizeof(*count));
	int r = 0;
	x->q_head = x->q_len = 0;
	memset(x->queued, 0, x->n);
	for (size_t v = 0; v < x->n; v++)
		multi_enqueue(x, v);
	while (x->q_len && !r) {
		size_t u = x->queue[x->q_head];
		x->q_head = (x->q_head + 1) % x->n;
		x->q_len--;
		x->queued[u] = 0;
		for (size_t a = x->first[u]; a < x->first[u + 1] && !r; a++) {
			size_t v = x->head[a];
			int64_t d = pi[u] + x->cost[a] / div;
			if (x->res[a] <= 0 || d >= pi[v])
				continue;
			pi[v] = d;
			if (!x->queued[v] && ++count[v] > x->n + 1)
				r = -1;
			multi_enqueue(x, v);
		}
	}
	free(count);
	return r;
}

/*
 * Successive shortest paths (label correcting) from the empty flow: the
 * fallback. The return arc stays out of the searches and takes the flow
 * sent at the end.
 */
static void multi_ssp(struct multi *x)
{
	size_t *parent = xmalloc(x->n * sizeof(*parent));
	int64_t *d = xmalloc(x->n * sizeof(*d));
	size_t back = x->first[MULTI_SINK + 1] - 1, skip = x->rev[back];
	int64_t sent = 0;
	for (;;) {
		for (size_t v = 0; v < x->n; v++)
			d[v] = INT64_MAX;
		d[MULTI_SRC] = 0;
		x->q_head = x->q_len = 0;
		memset(x->queued, 0, x->n);
		multi_enqueue(x, MULTI_SRC);
		while (x->q_len) {
			size_t u = x->queue[x->q_head];
			x->q_head = (x->q_head + 1) % x->n;
			x->q_len--;
			x->queued[u] = 0;
			for (size_t a = x->first[u]; a < x->first[u + 1]; a++)
				if (x->res[a] > 0 && a != back && a != skip && d[u] + x->cost[a] < d[x->head[a]]) {
					d[x->head[a]] = d[u] + x->cost[a];
					parent[x->head[a]] = a;
					multi_enqueue(x, x->head[a]);
				}
		}
		if (d[MULTI_SINK] >= 0)
			break;
		for (size_t v = MULTI_SINK; v != MULTI_SRC; v = multi_tail(x, parent[v])) {
			x->res[parent[v]]--;
			x->res[x->rev[parent[v]]]++;
		}
		sent++;
	}
	x->res[back] -= sent;
	x->res[skip] += sent;
	free(parent);
	free(d);
}

/* Whether used[] and the duals satisfy the contract (see match_flow.h). */
static int multi_result_ok(const struct flow_multi_graph *g, const unsigned char *used, const int64_t *jdual,
			   const int64_t *sdual)
{
	__int128 primal = 0, dual = 0;
	size_t *count = xcalloc(g->n_sen + 1, sizeof(*count));
	int ok = 1;
	for (size_t j = 0; j < g->n_jun; j++) {
		size_t load = 0;
		ok &= jdual[j] >= 0;
		dual += (__int128)g->cap[j] * jdual[j];
		for (size_t i = g->first[j]; i < g->first[j + 1]; i++) {
			const struct flow_arc *a = &g->arcs[i];
			__int128 slack = (__int128)a->weight - jdual[j] - sdual[a->senior];
			dual += slack > 0 ? slack : 0;
			if (!used[i])
				continue;
			load++;
			count[a->senior]++;
			primal += a->weight;
		}
		ok &= load <= g->cap[j];
	}
	for (size_t s = 0; s < g->n_sen; s++) {
		__int128 f = (__int128)g->first_value[s] + sdual[s];
		ok &= count[s] <= g->units[s];
		if (count[s] > 0)
			primal += g->first_value[s];
		if (g->units[s] > 0) {
			dual += f > 0 ? f : 0;
			dual += (__int128)(g->units[s] - 1) * (sdual[s] > 0 ? sdual[s] : 0);
		}
	}
	free(count);
	return ok && primal == dual;
}

/* The answer from the flow and the exact potentials pi. */
static void multi_answer(const struct multi *x, const int64_t *pi, unsigned char *used, int64_t *jdual,
			 int64_t *sdual)
{
	const struct flow_multi_graph *g = x->g;
	for (size_t j = 0; j < g->n_jun; j++) {
		int64_t v = pi[multi_junior(j)] - pi[MULTI_SRC];
		size_t load = 0;
		for (size_t i = g->first[j]; i < g->first[j + 1]; i++) {
			used[i] = x->res[x->first[multi_junior(j)] + 1 + (i - g->first[j])] == 0;
			load += used[i];
		}
		/* a junior whose every arc is used but who has room left costs nothing:
		 * its arcs' own terms carry the price (the network capped it at its arcs) */
		jdual[j] = v > 0 && load >= g->cap[j] ? v : 0;
	}
	for (size_t s = 0; s < g->n_sen; s++)
		sdual[s] = pi[MULTI_SINK] - pi[multi_senior(x, s)];
}

/* Scaling down to eps = 1 from a cold or warm start; 0, or -1 if it gave up. */
static int multi_scale(struct multi *x, unsigned char *used, const int64_t *start_j, const int64_t *start_s,
		       int64_t *pi)
{
	if (start_j)
		multi_warm(x, used, start_j, start_s);
	do {
		x->eps = x->eps / MULTI_ALPHA > 1 ? x->eps / MULTI_ALPHA : 1;
		multi_refine(x);
	} while (!x->failed && x->eps > 1);
	if (x->failed)
		return -1;
	for (size_t v = 0; v < x->n; v++)
		pi[v] = floor_div(x->p[v], x->scale);
	return multi_exact(x, pi, x->scale);
}

enum flow_method flow_solve_multi(const struct flow_multi_graph *g, unsigned char *used, int64_t *jdual,
				  int64_t *sdual, const int64_t *start_j, const int64_t *start_s)
{
	struct multi x;
	enum flow_method how = FLOW_SCALED;
	int64_t *pi;
	memset(&x, 0, sizeof(x));
	x.g = g;
	multi_build(&x);
	pi = xcalloc(x.n, sizeof(*pi));
	if (!multi_fits(&x) || multi_scale(&x, used, start_j, start_s, &pi[0]) != 0 ||
	    (multi_answer(&x, pi, used, jdual, sdual), !multi_result_ok(g, used, jdual, sdual))) {
		multi_free(&x);
		memset(&x, 0, sizeof(x));
		x.g = g;
		multi_build(&x);
		multi_ssp(&x);
		memset(pi, 0, x.n * sizeof(*pi));
		multi_exact(&x, pi, 1);
		multi_answer(&x, pi, used, jdual, sdual);
		how = FLOW_FALLBACK;
	}
	free(pi);
	multi_free(&x);
	return how;
}
