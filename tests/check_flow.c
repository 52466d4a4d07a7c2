/*
 * Unit tests for the candidate-graph solver (match_flow.c): the cost-scaling
 * solver against the successive-shortest-path reference on seeded random
 * graphs (equal optimal weight, duals that prove it, the same answer twice),
 * the edge cases (capacity 0, empty graphs, one junior with many seniors,
 * weights either side of the overflow guard), and the warm starts: after
 * adding arcs a warm solve equals a cold one, and price hints, however
 * wrong, never change the optimum. The proof check here is written afresh
 * so that it does not share a mistake with the solver's own.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/check_main.h"
#include "match_flow.h"

/* A graph that owns its arrays; pairs kept as a junior x senior weight table. */
struct graph {
	size_t n_jun, n_sen;
	size_t *cap, *first;
	struct flow_arc *arcs;
	int64_t *table;           /* n_jun x n_sen: weight, 0 for no arc */
	struct flow_graph g;
};

/* The answer of one solve. */
struct answer {
	size_t *mate;
	int64_t *jdual, *sdual;
};

static uint64_t rng_state;

/* splitmix64 */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

static struct graph *graph_new(size_t n_jun, size_t n_sen)
{
	struct graph *t = calloc(1, sizeof(*t));
	t->n_jun = n_jun;
	t->n_sen = n_sen;
	t->cap = calloc(n_jun + 1, sizeof(*t->cap));
	t->first = calloc(n_jun + 2, sizeof(*t->first));
	t->table = calloc(n_jun * n_sen + 1, sizeof(*t->table));
	return t;
}

/* (Re)build the junior rows, in senior order, from the table. */
static const struct flow_graph *graph_rows(struct graph *t)
{
	size_t m = 0;
	free(t->arcs);
	t->arcs = calloc(t->n_jun * t->n_sen + 1, sizeof(*t->arcs));
	for (size_t j = 0; j < t->n_jun; j++) {
		t->first[j] = m;
		for (size_t s = 0; s < t->n_sen; s++)
			if (t->table[j * t->n_sen + s])
				t->arcs[m++] = (struct flow_arc){ s, t->table[j * t->n_sen + s] };
	}
	t->first[t->n_jun] = m;
	t->g = (struct flow_graph){ t->n_jun, t->n_sen, t->cap, t->first, t->arcs };
	return &t->g;
}

static void graph_free(struct graph *t)
{
	free(t->cap);
	free(t->first);
	free(t->arcs);
	free(t->table);
	free(t);
}

/* Random capacities 0..max_cap and arcs with the given density (percent), weights 1..max_w. */
static struct graph *graph_random(size_t n_jun, size_t n_sen, size_t max_cap, unsigned density,
				  int64_t max_w)
{
	struct graph *t = graph_new(n_jun, n_sen);
	for (size_t j = 0; j < n_jun; j++) {
		t->cap[j] = below(max_cap + 1);
		for (size_t s = 0; s < n_sen; s++)
			if (below(100) < density)
				t->table[j * n_sen + s] = 1 + (int64_t)(rng() % (uint64_t)max_w);
	}
	graph_rows(t);
	return t;
}

static struct answer *answer_new(const struct graph *t)
{
	struct answer *a = calloc(1, sizeof(*a));
	a->mate = calloc(t->n_sen + 1, sizeof(*a->mate));
	a->jdual = calloc(t->n_jun + 1, sizeof(*a->jdual));
	a->sdual = calloc(t->n_sen + 1, sizeof(*a->sdual));
	return a;
}

static void answer_free(struct answer *a)
{
	free(a->mate);
	free(a->jdual);
	free(a->sdual);
	free(a);
}

/*
 * The matching's weight, after checking that it is one (every pair an arc,
 * no junior over capacity) and that the duals are non-negative and cover
 * every arc; *dual gets their total.
 */
static __int128 covered_weight(const struct graph *t, const struct answer *a, __int128 *dual)
{
	__int128 primal = 0;
	size_t *load = calloc(t->n_jun + 1, sizeof(*load));
	*dual = 0;
	for (size_t s = 0; s < t->n_sen; s++) {
		ck_assert_int_ge(a->sdual[s], 0);
		*dual += a->sdual[s];
		if (a->mate[s] == FLOW_NONE)
			continue;
		ck_assert_uint_lt(a->mate[s], t->n_jun);
		ck_assert_msg(t->table[a->mate[s] * t->n_sen + s] > 0, "senior %zu matched off the graph", s);
		primal += t->table[a->mate[s] * t->n_sen + s];
		load[a->mate[s]]++;
	}
	for (size_t j = 0; j < t->n_jun; j++) {
		ck_assert_int_ge(a->jdual[j], 0);
		ck_assert_uint_le(load[j], t->cap[j]);
		*dual += (__int128)t->cap[j] * a->jdual[j];
		for (size_t s = 0; s < t->n_sen; s++)
			if (t->table[j * t->n_sen + s])
				ck_assert_msg((__int128)a->jdual[j] + a->sdual[s] >= t->table[j * t->n_sen + s],
					      "arc %zu-%zu not covered", j, s);
	}
	free(load);
	return primal;
}

/* The matching's weight, after checking it and that the duals prove it optimal (their total equal to it). */
static __int128 proven_weight(const struct graph *t, const struct answer *a)
{
	__int128 dual, primal = covered_weight(t, a, &dual);
	ck_assert_msg(primal == dual, "duals do not prove the matching (%lld vs %lld)",
		      (long long)primal, (long long)dual);
	return primal;
}

/* The reference's optimum for the graph as it stands. */
static __int128 reference_weight(struct graph *t)
{
	struct answer *a = answer_new(t);
	__int128 w;
	flow_solve_ssp(graph_rows(t), a->mate, a->jdual, a->sdual);
	w = proven_weight(t, a);
	answer_free(a);
	return w;
}

/* Cost scaling (cold) against the reference, and the same mates on a second solve. */
static void check_against_reference(struct graph *t)
{
	struct answer *a = answer_new(t), *b = answer_new(t);
	const struct flow_graph *g = graph_rows(t);
	ck_assert_int_eq(flow_solve_warm(NULL, g, a->mate, a->jdual, a->sdual, NULL), FLOW_SCALED);
	ck_assert(proven_weight(t, a) == reference_weight(t));
	flow_solve(g, b->mate, b->jdual, b->sdual);
	ck_assert_mem_eq(a->mate, b->mate, t->n_sen * sizeof(*a->mate));
	answer_free(a);
	answer_free(b);
}

START_TEST(random_graphs_equal_reference)
{
	static const int64_t max_w[] = { 1, 3, 20, 1000, 1000000007 };
	rng_state = 1000 + (uint64_t)_i;
	for (int round = 0; round < 100; round++) {
		struct graph *t = graph_random(below(9), below(16), 4, (unsigned)(10 + below(80)),
					       max_w[below(5)]);
		check_against_reference(t);
		graph_free(t);
	}
}
END_TEST

/* Many seniors, few juniors, tied weights: the shape of the engine's graphs. */
START_TEST(crowded_ties_equal_reference)
{
	rng_state = 5000 + (uint64_t)_i;
	for (int round = 0; round < 20; round++) {
		struct graph *t = graph_random(3 + below(20), 30 + below(60), 3, 30, 4);
		for (size_t k = 0; k < t->n_jun * t->n_sen; k++)
			if (t->table[k])
				t->table[k] += 1000;  /* a big weight first, as the engine's */
		check_against_reference(t);
		graph_free(t);
	}
}
END_TEST

START_TEST(capacity_zero)
{
	struct graph *t = graph_random(5, 9, 0, 70, 50);
	struct answer *a = answer_new(t);
	flow_solve(&t->g, a->mate, a->jdual, a->sdual);
	ck_assert(proven_weight(t, a) == 0);
	for (size_t s = 0; s < t->n_sen; s++)
		ck_assert_uint_eq(a->mate[s], FLOW_NONE);
	/* one junior with room among juniors without */
	t->cap[2] = 2;
	graph_rows(t);
	check_against_reference(t);
	answer_free(a);
	graph_free(t);
}
END_TEST

START_TEST(empty_graphs)
{
	static const size_t sizes[][2] = { { 0, 0 }, { 0, 5 }, { 4, 0 }, { 3, 6 } };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct graph *t = graph_new(sizes[i][0], sizes[i][1]);
		struct answer *a = answer_new(t);
		struct flow_state *st = flow_state_new();
		for (size_t j = 0; j < t->n_jun; j++)
			t->cap[j] = 2;
		graph_rows(t);
		ck_assert_int_eq(flow_solve_warm(st, &t->g, a->mate, a->jdual, a->sdual, NULL), FLOW_SCALED);
		ck_assert(proven_weight(t, a) == 0);
		ck_assert_int_eq(flow_solve_warm(st, &t->g, a->mate, a->jdual, a->sdual, NULL), FLOW_SCALED);
		ck_assert(proven_weight(t, a) == 0);
		flow_state_free(st);
		answer_free(a);
		graph_free(t);
	}
	flow_state_free(NULL);
}
END_TEST

/* One junior, capacity 5, 300 seniors: the five best weights, nothing else. */
START_TEST(one_junior_many_seniors)
{
	struct graph *t = graph_new(1, 300);
	struct answer *a = answer_new(t);
	int64_t want = 0;
	rng_state = 77;
	t->cap[0] = 5;
	for (size_t s = 0; s < t->n_sen; s++)
		t->table[s] = 1 + (int64_t)below(40);  /* many ties */
	/* the five best: partly sort a copy */
	{
		int64_t w[300];
		memcpy(w, t->table, sizeof(w));
		for (size_t i = 0; i < 5; i++)
			for (size_t k = i + 1; k < 300; k++)
				if (w[k] > w[i]) {
					int64_t x = w[i];
					w[i] = w[k];
					w[k] = x;
				}
		want = w[0] + w[1] + w[2] + w[3] + w[4];
	}
	graph_rows(t);
	flow_solve(&t->g, a->mate, a->jdual, a->sdual);
	ck_assert(proven_weight(t, a) == want);
	check_against_reference(t);
	answer_free(a);
	graph_free(t);
}
END_TEST

/*
 * Weights up to 2^59 / (n_jun + n_sen + 2) are scaled; one more and the
 * solver falls back to the reference. Either way the answer is optimal.
 */
START_TEST(huge_weights_either_side_of_guard)
{
	rng_state = 4242 + (uint64_t)_i;
	for (int round = 0; round < 20; round++) {
		struct graph *t = graph_random(1 + below(6), 1 + below(10), 3, 60, 1000);
		struct answer *a = answer_new(t);
		int64_t top = (INT64_C(1) << 59) / (int64_t)(t->n_jun + t->n_sen + 2);
		int64_t base = _i == 0 ? top - 1000 : top - 999;
		int has_arc = 0;
		for (size_t k = 0; k < t->n_jun * t->n_sen; k++)
			if (t->table[k]) {
				t->table[k] = base + t->table[k] % 1000;  /* _i == 1: some reach top + 1 */
				has_arc = 1;
			}
		if (_i == 1 && has_arc) {
			for (size_t k = 0; k < t->n_jun * t->n_sen; k++)
				if (t->table[k]) {
					t->table[k] = top + 1;
					break;
				}
		}
		graph_rows(t);
		if (has_arc)
			ck_assert_int_eq(flow_solve_warm(NULL, &t->g, a->mate, a->jdual, a->sdual, NULL),
					 _i == 0 ? FLOW_SCALED : FLOW_FALLBACK);
		else
			flow_solve(&t->g, a->mate, a->jdual, a->sdual);
		ck_assert(proven_weight(t, a) == reference_weight(t));
		answer_free(a);
		graph_free(t);
	}
}
END_TEST

/* Solve, add arcs, solve warm: equal to a cold solve of the grown graph, round after round. */
START_TEST(warm_after_adding_arcs)
{
	rng_state = 9000 + (uint64_t)_i;
	for (int round = 0; round < 40; round++) {
		struct graph *t = graph_random(1 + below(10), 1 + below(25), 4, 15, _i ? 5 : 100000);
		struct flow_state *st = flow_state_new(), *st2 = flow_state_new();
		struct answer *a = answer_new(t), *b = answer_new(t), *c = answer_new(t);
		for (int grow = 0; grow < 4; grow++) {
			ck_assert_int_eq(flow_solve_warm(st, graph_rows(t), a->mate, a->jdual, a->sdual, NULL),
					 FLOW_SCALED);
			flow_solve(&t->g, b->mate, b->jdual, b->sdual);
			ck_assert(proven_weight(t, a) == proven_weight(t, b));
			ck_assert(proven_weight(t, a) == reference_weight(t));
			/* the same sequence again gives the same mates */
			flow_solve_warm(st2, &t->g, c->mate, c->jdual, c->sdual, NULL);
			ck_assert_mem_eq(a->mate, c->mate, t->n_sen * sizeof(*a->mate));
			/* new arcs, some of them worth more than their prices */
			for (size_t k = 0; k < t->n_jun * t->n_sen; k++)
				if (!t->table[k] && below(100) < 10)
					t->table[k] = 1 + (int64_t)below(_i ? 5 : 100000);
		}
		/* a state from another graph size is ignored */
		{
			struct graph *u = graph_random(t->n_jun + 1, t->n_sen, 3, 40, 50);
			struct answer *d = answer_new(u);
			flow_solve_warm(st, &u->g, d->mate, d->jdual, d->sdual, NULL);
			ck_assert(proven_weight(u, d) == reference_weight(u));
			answer_free(d);
			graph_free(u);
		}
		flow_state_free(st);
		flow_state_free(st2);
		answer_free(a);
		answer_free(b);
		answer_free(c);
		graph_free(t);
	}
}
END_TEST

/*
 * Rough solves, cold and then warm as arcs are added: a matching within a
 * unit of weight per node of the optimum, with covering duals; an exact
 * solve from the last rough one reaches the optimum.
 */
START_TEST(rough_then_exact)
{
	rng_state = 4242 + (uint64_t)_i;
	for (int round = 0; round < 40; round++) {
		struct graph *t = graph_random(1 + below(10), 1 + below(25), 4, 15, _i ? 5 : 100000);
		struct flow_state *st = flow_state_new();
		struct answer *a = answer_new(t), *b = answer_new(t);
		for (int grow = 0; grow < 3; grow++) {
			__int128 ref = reference_weight(t), w, dual;
			ck_assert_int_eq(flow_solve_rough(st, graph_rows(t), a->mate, a->jdual, a->sdual, NULL),
					 FLOW_SCALED);
			w = covered_weight(t, a, &dual);
			ck_assert(w <= ref);
			ck_assert_msg(w + (__int128)(t->n_jun + t->n_sen + 1) >= ref, "rough %lld, optimum %lld",
				      (long long)w, (long long)ref);
			/* the same rough solve from nothing gives the same mates */
			if (grow == 0) {
				flow_solve_rough(NULL, &t->g, b->mate, b->jdual, b->sdual, NULL);
				ck_assert_mem_eq(a->mate, b->mate, t->n_sen * sizeof(*a->mate));
			}
			for (size_t k = 0; k < t->n_jun * t->n_sen; k++)
				if (!t->table[k] && below(100) < 10)
					t->table[k] = 1 + (int64_t)below(_i ? 5 : 100000);
		}
		ck_assert_int_eq(flow_solve_warm(st, graph_rows(t), a->mate, a->jdual, a->sdual, NULL), FLOW_SCALED);
		ck_assert(proven_weight(t, a) == reference_weight(t));
		flow_state_free(st);
		answer_free(a);
		answer_free(b);
		graph_free(t);
	}
}
END_TEST

/* Price hints from nowhere: negative, huge, random, the optimum's own; the optimum stays. */
START_TEST(garbage_hints_still_optimal)
{
	rng_state = 31337 + (uint64_t)_i;
	for (int round = 0; round < 60; round++) {
		struct graph *t = graph_random(1 + below(8), 1 + below(20), 4, 50, round % 2 ? 7 : 5000);
		struct answer *a = answer_new(t), *b = answer_new(t);
		int64_t *hint = calloc(t->n_jun + 1, sizeof(*hint));
		__int128 want = reference_weight(t);
		flow_solve(&t->g, b->mate, b->jdual, b->sdual);
		for (size_t j = 0; j < t->n_jun; j++) {
			switch (_i) {
			case 0: hint[j] = -(int64_t)below(1000) - 1; break;
			case 1: hint[j] = INT64_MAX - (int64_t)below(3); break;
			case 2: hint[j] = (int64_t)(rng() >> 1) * (below(2) ? 1 : -1); break;
			case 3: hint[j] = (int64_t)below(10000); break;
			default: hint[j] = b->jdual[j]; break;
			}
		}
		ck_assert_int_eq(flow_solve_warm(NULL, &t->g, a->mate, a->jdual, a->sdual, hint), FLOW_SCALED);
		ck_assert(proven_weight(t, a) == want);
		free(hint);
		answer_free(a);
		answer_free(b);
		graph_free(t);
	}
}
END_TEST

/* --- several mentors per senior ---------------------------------------------- */

/* A graph for flow_solve_multi: the pair table plus per senior its units and first-unit value. */
struct mgraph {
	struct graph *t;
	size_t *units;
	int64_t *first_value;
	struct flow_multi_graph g;
};

static const struct flow_multi_graph *mgraph_rows(struct mgraph *m)
{
	graph_rows(m->t);
	m->g = (struct flow_multi_graph){ m->t->n_jun, m->t->n_sen, m->t->cap, m->units, m->first_value,
					  m->t->first, m->t->arcs };
	return &m->g;
}

/* Random pairs as graph_random, units 0..max_units, first values 0..max_first. */
static struct mgraph *mgraph_random(size_t n_jun, size_t n_sen, size_t max_cap, unsigned density, int64_t max_w,
				    size_t max_units, int64_t max_first)
{
	struct mgraph *m = calloc(1, sizeof(*m));
	m->t = graph_random(n_jun, n_sen, max_cap, density, max_w);
	m->units = calloc(n_sen + 1, sizeof(*m->units));
	m->first_value = calloc(n_sen + 1, sizeof(*m->first_value));
	for (size_t s = 0; s < n_sen; s++) {
		m->units[s] = below(max_units + 1);
		m->first_value[s] = max_first ? (int64_t)(rng() % (uint64_t)(max_first + 1)) : 0;
	}
	mgraph_rows(m);
	return m;
}

static void mgraph_free(struct mgraph *m)
{
	graph_free(m->t);
	free(m->units);
	free(m->first_value);
	free(m);
}

/*
 * The reference: successive shortest paths with Bellman-Ford over the
 * whole network (source, juniors, seniors, sink; a senior's first unit and
 * its other units as two arcs to the sink), one unit at a time while a path
 * gains; returns the optimal total.
 */
static __int128 multi_reference(const struct mgraph *m)
{
	const struct graph *t = m->t;
	size_t nj = t->n_jun, ns = t->n_sen, n = 2 + nj + ns, na = 0;
	struct rarc { size_t u, v; int64_t cap; __int128 cost; } *arcs = calloc(2 * (nj + nj * ns + 2 * ns) + 1, sizeof(*arcs));
	__int128 *d = calloc(n, sizeof(*d)), total = 0;
	size_t *via = calloc(n, sizeof(*via));
#define ADD(a, b, c, w) do { arcs[na++] = (struct rarc){ a, b, c, w }; arcs[na++] = (struct rarc){ b, a, 0, -(w) }; } while (0)
	for (size_t j = 0; j < nj; j++)
		ADD(0, 2 + j, (int64_t)t->cap[j], 0);
	for (size_t j = 0; j < nj; j++)
		for (size_t s = 0; s < ns; s++)
			if (t->table[j * ns + s])
				ADD(2 + j, 2 + nj + s, 1, -(__int128)t->table[j * ns + s]);
	for (size_t s = 0; s < ns; s++) {
		ADD(2 + nj + s, 1, m->units[s] > 0, -(__int128)m->first_value[s]);
		ADD(2 + nj + s, 1, m->units[s] > 1 ? (int64_t)m->units[s] - 1 : 0, 0);
	}
#undef ADD
	for (;;) {
		int changed = 1;
		for (size_t v = 0; v < n; v++)
			d[v] = v == 0 ? 0 : ((__int128)1 << 120);
		for (size_t round = 0; round < n && changed; round++) {
			changed = 0;
			for (size_t a = 0; a < na; a++)
				if (arcs[a].cap > 0 && d[arcs[a].u] < ((__int128)1 << 120) &&
				    d[arcs[a].u] + arcs[a].cost < d[arcs[a].v]) {
					d[arcs[a].v] = d[arcs[a].u] + arcs[a].cost;
					via[arcs[a].v] = a;
					changed = 1;
				}
		}
		ck_assert_msg(!changed, "negative cycle in the reference");
		if (d[1] >= 0)
			break;
		total -= d[1];
		for (size_t v = 1; v != 0; v = arcs[via[v]].u) {
			arcs[via[v]].cap--;
			arcs[via[v] ^ 1].cap++;
		}
	}
	free(arcs);
	free(d);
	free(via);
	return total;
}

/*
 * The answer's total, after checking that it is a b-matching of the graph
 * (no junior over its capacity, no senior over its units) and that the
 * duals prove it: the dual objective of match_flow.h, written afresh,
 * equals the total.
 */
static __int128 multi_proven(const struct mgraph *m, const unsigned char *used, const int64_t *jdual,
			     const int64_t *sdual)
{
	const struct graph *t = m->t;
	__int128 primal = 0, dual = 0;
	size_t *count = calloc(t->n_sen + 1, sizeof(*count));
	for (size_t j = 0; j < t->n_jun; j++) {
		size_t load = 0;
		ck_assert_int_ge(jdual[j], 0);
		dual += (__int128)t->cap[j] * jdual[j];
		for (size_t i = t->first[j]; i < t->first[j + 1]; i++) {
			size_t s = t->arcs[i].senior;
			__int128 over = (__int128)t->arcs[i].weight - jdual[j] - sdual[s];
			if (over > 0)
				dual += over;
			ck_assert_uint_le(used[i], 1);
			if (used[i]) {
				load++;
				count[s]++;
				primal += t->arcs[i].weight;
			}
		}
		ck_assert_uint_le(load, t->cap[j]);
	}
	for (size_t s = 0; s < t->n_sen; s++) {
		__int128 f = (__int128)m->first_value[s] + sdual[s];
		ck_assert_uint_le(count[s], m->units[s]);
		if (count[s])
			primal += m->first_value[s];
		if (m->units[s]) {
			dual += f > 0 ? f : 0;
			dual += (__int128)(m->units[s] - 1) * (sdual[s] > 0 ? sdual[s] : 0);
		}
	}
	free(count);
	ck_assert_msg(primal == dual, "duals do not prove the b-matching (%lld vs %lld)", (long long)primal,
		      (long long)dual);
	return primal;
}

/* Cold solves of random graphs with 0..3 units per senior equal the reference, twice the same. */
START_TEST(multi_random_equal_reference)
{
	rng_state = 4242 + (uint64_t)_i;
	for (int round = 0; round < 150; round++) {
		int64_t max_w = _i % 2 ? 6 : 100000;
		struct mgraph *m = mgraph_random(1 + below(8), 1 + below(12), 4, 10 + (unsigned)below(60), max_w,
						 3, _i >= 2 ? max_w * 8 : 0);
		size_t n_arcs = m->t->first[m->t->n_jun];
		unsigned char *used = calloc(n_arcs + 1, 1), *again = calloc(n_arcs + 1, 1);
		int64_t *jd = calloc(m->t->n_jun + 1, sizeof(*jd)), *sd = calloc(m->t->n_sen + 1, sizeof(*sd));
		ck_assert_int_eq(flow_solve_multi(&m->g, used, jd, sd, NULL, NULL), FLOW_SCALED);
		ck_assert(multi_proven(m, used, jd, sd) == multi_reference(m));
		flow_solve_multi(&m->g, again, jd, sd, NULL, NULL);
		ck_assert_mem_eq(used, again, n_arcs + 1);
		free(used);
		free(again);
		free(jd);
		free(sd);
		mgraph_free(m);
	}
}
END_TEST

/* Warm starts from the last solve as arcs are added, and from garbage, still give the optimum. */
START_TEST(multi_warm_and_garbage_starts)
{
	rng_state = 777 + (uint64_t)_i;
	for (int round = 0; round < 40; round++) {
		struct mgraph *m = mgraph_random(1 + below(8), 1 + below(15), 4, 15, _i ? 5 : 5000, 3, _i ? 40 : 40000);
		size_t nj = m->t->n_jun, ns = m->t->n_sen;
		unsigned char *used = calloc(nj * ns + 1, 1), *cold = calloc(nj * ns + 1, 1);
		int64_t *jd = calloc(nj + 1, sizeof(*jd)), *sd = calloc(ns + 1, sizeof(*sd));
		int64_t *jd2 = calloc(nj + 1, sizeof(*jd2)), *sd2 = calloc(ns + 1, sizeof(*sd2));
		for (int grow = 0; grow < 4; grow++) {
			unsigned char *keep = calloc(nj * ns + 1, 1);
			/* the used flags follow their arcs as new ones come in */
			for (size_t j = 0, i = 0; j < nj; j++)
				for (size_t s = 0; s < ns; s++)
					if (m->t->table[j * ns + s])
						keep[j * ns + s] = used[i++];
			for (size_t k = 0; k < nj * ns; k++)
				if (!m->t->table[k] && below(100) < 10)
					m->t->table[k] = 1 + (int64_t)below(_i ? 5 : 5000);
			mgraph_rows(m);
			for (size_t j = 0, i = 0; j < nj; j++)
				for (size_t s = 0; s < ns; s++)
					if (m->t->table[j * ns + s])
						used[i++] = keep[j * ns + s];
			free(keep);
			ck_assert_int_eq(flow_solve_multi(&m->g, used, jd, sd, grow ? jd : NULL, grow ? sd : NULL),
					 FLOW_SCALED);
			flow_solve_multi(&m->g, cold, jd2, sd2, NULL, NULL);
			ck_assert(multi_proven(m, used, jd, sd) == multi_reference(m));
			ck_assert(multi_proven(m, cold, jd2, sd2) == multi_reference(m));
		}
		for (size_t j = 0; j < nj; j++)
			jd2[j] = (int64_t)(rng() >> 1) * (below(2) ? 1 : -1);
		for (size_t s = 0; s < ns; s++)
			sd2[s] = (int64_t)(rng() >> 1) * (below(2) ? 1 : -1);
		memset(used, 1, nj * ns);
		ck_assert_int_eq(flow_solve_multi(&m->g, used, jd, sd, jd2, round % 2 ? sd2 : NULL), FLOW_SCALED);
		ck_assert(multi_proven(m, used, jd, sd) == multi_reference(m));
		free(used);
		free(cold);
		free(jd);
		free(sd);
		free(jd2);
		free(sd2);
		mgraph_free(m);
	}
}
END_TEST

/* Weights too large to scale go to the fallback, which is optimal too; empty graphs and units 0. */
START_TEST(multi_edges)
{
	rng_state = 99;
	for (int round = 0; round < 30; round++) {
		int64_t huge = (int64_t)1 << 61;
		struct mgraph *m = mgraph_random(below(6), below(8), 3, 40, round % 3 ? huge : 9, 3,
						 round % 3 ? huge / 4 : 9);
		size_t n_arcs = m->t->first[m->t->n_jun];
		unsigned char *used = calloc(n_arcs + 1, 1);
		int64_t *jd = calloc(m->t->n_jun + 1, sizeof(*jd)), *sd = calloc(m->t->n_sen + 1, sizeof(*sd));
		enum flow_method how = flow_solve_multi(&m->g, used, jd, sd, NULL, NULL);
		if (round % 3 && n_arcs)
			ck_assert_int_eq(how, FLOW_FALLBACK);
		ck_assert(multi_proven(m, used, jd, sd) == multi_reference(m));
		free(used);
		free(jd);
		free(sd);
		mgraph_free(m);
	}
}
END_TEST

/* One junior with room for three and one senior taking two: the pair once, not twice. */
START_TEST(multi_no_pair_twice)
{
	struct mgraph *m = calloc(1, sizeof(*m));
	unsigned char used[2] = { 0, 0 };
	int64_t jd[1], sd[1];
	m->t = graph_new(1, 1);
	m->units = calloc(2, sizeof(*m->units));
	m->first_value = calloc(2, sizeof(*m->first_value));
	m->t->cap[0] = 3;
	m->t->table[0] = 10;
	m->units[0] = 2;
	m->first_value[0] = 100;
	mgraph_rows(m);
	flow_solve_multi(&m->g, used, jd, sd, NULL, NULL);
	ck_assert_uint_eq(used[0], 1);
	ck_assert(multi_proven(m, used, jd, sd) == 110);
	mgraph_free(m);
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("reference");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, random_graphs_equal_reference, 0, 4);
	tcase_add_loop_test(tc, crowded_ties_equal_reference, 0, 4);
	suite_add_tcase(s, tc);
	tc = tcase_create("edges");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, capacity_zero);
	tcase_add_test(tc, empty_graphs);
	tcase_add_test(tc, one_junior_many_seniors);
	tcase_add_loop_test(tc, huge_weights_either_side_of_guard, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("warm");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, warm_after_adding_arcs, 0, 2);
	tcase_add_loop_test(tc, garbage_hints_still_optimal, 0, 5);
	tcase_add_loop_test(tc, rough_then_exact, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("multi");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, multi_random_equal_reference, 0, 4);
	tcase_add_loop_test(tc, multi_warm_and_garbage_starts, 0, 2);
	tcase_add_test(tc, multi_edges);
	tcase_add_test(tc, multi_no_pair_twice);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(flow_suite());
}
