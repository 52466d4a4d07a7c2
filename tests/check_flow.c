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
 * no junior over capacity) and that the duals prove it optimal: both
 * non-negative, every arc covered, and the dual total equal to the weight.
 */
static __int128 proven_weight(const struct graph *t, const struct answer *a)
{
	__int128 primal = 0, dual = 0;
	size_t *load = calloc(t->n_jun + 1, sizeof(*load));
	for (size_t s = 0; s < t->n_sen; s++) {
		ck_assert_int_ge(a->sdual[s], 0);
		dual += a->sdual[s];
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
		dual += (__int128)t->cap[j] * a->jdual[j];
		for (size_t s = 0; s < t->n_sen; s++)
			if (t->table[j * t->n_sen + s])
				ck_assert_msg((__int128)a->jdual[j] + a->sdual[s] >= t->table[j * t->n_sen + s],
					      "arc %zu-%zu not covered", j, s);
	}
	free(load);
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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(flow_suite());
}
