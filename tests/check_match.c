/*
 * Unit tests for the matchers: one hand-made instance per hard constraint,
 * a brute-force oracle and an independent Bellman-Ford min-cost flow
 * compared on seeded random instances, determinism under reordered input,
 * and a medium instance that must come back feasible. Each of these runs
 * twice (loop index 0: the engine, match_solve; 1: the exact oracle,
 * match_exact_solve), and every engine solve is also checked against the
 * oracle and must come back certified. Further tests drive the engine with
 * tiny candidate lists so that certification has to add pairs.
 * The configuration is built by hand, so these tests do not depend on conf.c.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/check_main.h"
#include "match.h"
#include "match_exact.h"
#include "model.h"

#define MAX_AREAS 5

/* A test instance that owns all its arrays. */
struct inst {
	struct match_person *people;
	int (*levels)[MAX_AREAS];
	char (*ids)[24];
	size_t *juniors, *seniors;
	size_t n_people, n_juniors, n_seniors;
	struct conf_area areas[MAX_AREAS];
	struct conf cf;
	struct match_input in;
	struct match_rules rules;
	size_t (*avoid)[2];          /* per person: up to two people it avoids */
	struct match_ban *bans;      /* sorted by (junior, senior) */
	size_t n_bans;
};

static struct conf_cohort cohorts[] = {
	{ "Baby Boomers", 1946, 1964 },
	{ "Generation X", 1965, 1979 },
	{ "Generation Y", 1980, 2000 },
	{ "Generation Z", 2001, 2010 },
};

static char *area_ids[MAX_AREAS] = { "a0", "a1", "a2", "a3", "a4" };

/* n people, no roles yet; one area "a0" with standard 8, weight 1, so a pair's
 * score is max(0, mentor level - mentee level). */
static struct inst *inst_new(size_t n)
{
	struct inst *t = calloc(1, sizeof(*t));
	t->people = calloc(n + 1, sizeof(*t->people));
	t->levels = calloc(n + 1, sizeof(*t->levels));
	t->ids = calloc(n + 1, sizeof(*t->ids));
	t->avoid = calloc(n + 1, sizeof(*t->avoid));
	t->bans = calloc(n * n + 1, sizeof(*t->bans));
	t->rules.max_tz_diff = -1;
	t->juniors = calloc(n + 1, sizeof(*t->juniors));
	t->seniors = calloc(n + 1, sizeof(*t->seniors));
	t->n_people = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(t->ids[i], sizeof(t->ids[i]), "p%04zu", i);
		t->people[i].id = t->ids[i];
		t->people[i].cohort = -1;
		t->people[i].manager = MATCH_NONE;
		t->people[i].levels = t->levels[i];
		t->people[i].seniority = -1;
		t->people[i].department = -1;
		t->people[i].tz = MATCH_TZ_UNKNOWN;
		t->people[i].avoid = t->avoid[i];
	}
	for (size_t a = 0; a < MAX_AREAS; a++) {
		t->areas[a].id = area_ids[a];
		t->areas[a].name = area_ids[a];
		t->areas[a].standard = 8;
		t->areas[a].weight = 1;
	}
	t->cf.cohorts = cohorts;
	t->cf.n_cohorts = 4;
	t->cf.scale = 8;
	t->cf.areas = t->areas;
	t->cf.n_areas = 1;
	t->cf.capacity = 3;
	return t;
}

static void inst_free(struct inst *t)
{
	free(t->people);
	free(t->levels);
	free(t->ids);
	free(t->avoid);
	free(t->bans);
	free(t->juniors);
	free(t->seniors);
	free(t);
}

/* Set person i; level is its level in area a0. */
static void person(struct inst *t, size_t i, int cohort, size_t manager, int capacity, int level)
{
	t->people[i].cohort = cohort;
	t->people[i].manager = manager;
	t->people[i].capacity = capacity;
	t->levels[i][0] = level;
}

static void junior(struct inst *t, size_t i)
{
	t->juniors[t->n_juniors++] = i;
}

static void senior(struct inst *t, size_t i)
{
	t->seniors[t->n_seniors++] = i;
}

static const struct match_input *input(struct inst *t)
{
	t->in.people = t->people;
	t->in.n_people = t->n_people;
	t->in.juniors = t->juniors;
	t->in.n_juniors = t->n_juniors;
	t->in.seniors = t->seniors;
	t->in.n_seniors = t->n_seniors;
	t->in.cf = &t->cf;
	t->in.rules = &t->rules;
	t->in.bans = t->bans;
	t->in.n_bans = t->n_bans;
	return &t->in;
}

/* The solver under test: loop index 0 the engine, 1 the exact oracle. */
typedef int solve_fn(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs);
static solve_fn *solver = match_solve;

static void use_solver(int i)
{
	solver = i ? match_exact_solve : match_solve;
}

/* --- an independent statement of the rules, for checking --------------- */

static int ref_score(const struct inst *t, size_t j, size_t s)
{
	const struct match_person *pj = &t->people[j], *ps = &t->people[s];
	int sum = 0;
	for (size_t a = 0; a < t->cf.n_areas; a++) {
		/* digital areas: the junior teaches; leadership and business: the senior */
		int digital = t->areas[a].direction == CONF_DIR_DIGITAL;
		int reach = digital ? t->levels[j][a] : t->levels[s][a];
		int learner = digital ? t->levels[s][a] : t->levels[j][a];
		if (reach > t->areas[a].standard)
			reach = t->areas[a].standard;
		if (reach > learner)
			sum += t->areas[a].weight * (reach - learner);
	}
	if (pj->department >= 0 && ps->department >= 0 && pj->department != ps->department)
		sum += t->rules.bonus_cross_department;
	if (pj->tz != MATCH_TZ_UNKNOWN && ps->tz != MATCH_TZ_UNKNOWN) {
		int d = abs(pj->tz - ps->tz);
		if (d == 0)
			sum += t->rules.bonus_same_tz;
		else if (d <= t->rules.near_tz)
			sum += t->rules.bonus_near_tz;
	}
	for (size_t i = 0; i < t->in.n_current; i++)
		if (t->in.current[i].junior == j && t->in.current[i].senior == s)
			return sum + t->rules.bonus_stability;
	if (t->in.current_mentor && t->in.current_mentor[s] == j)
		sum += t->rules.bonus_stability;
	return sum;
}

/* Whether a names b on its avoid list. */
static int ref_avoids(const struct inst *t, size_t a, size_t b)
{
	for (size_t k = 0; k < t->people[a].n_avoid; k++)
		if (t->avoid[a][k] == b)
			return 1;
	return 0;
}

/* Whether the pair is banned, by a plain walk. */
static int ref_banned(const struct inst *t, size_t j, size_t s)
{
	for (size_t k = 0; k < t->n_bans; k++)
		if (t->bans[k].junior == j && t->bans[k].senior == s)
			return 1;
	return 0;
}

/* The mentor is younger: a later cohort, or (seniority rule) enough fewer years of service. */
static int ref_younger(const struct inst *t, const struct match_person *pj, const struct match_person *ps)
{
	if (t->rules.seniority_gap > 0)
		return pj->seniority >= 0 && ps->seniority >= 0 &&
		       ps->seniority - pj->seniority >= t->rules.seniority_gap;
	return pj->cohort >= 0 && ps->cohort >= 0 && pj->cohort > ps->cohort;
}

/* Whether boss is reached going up from who; a visited set stops cycles. */
static int ref_above(const struct inst *t, size_t boss, size_t who)
{
	char *seen = calloc(t->n_people, 1);
	int found = 0;
	for (size_t p = t->people[who].manager; p != MATCH_NONE && !seen[p]; p = t->people[p].manager) {
		if (p == boss) {
			found = 1;
			break;
		}
		seen[p] = 1;
	}
	free(seen);
	return found;
}

static int ref_eligible(const struct inst *t, size_t j, size_t s, int *score)
{
	const struct match_person *pj = &t->people[j], *ps = &t->people[s];
	if (j == s || pj->capacity <= 0 || !ref_younger(t, pj, ps))
		return 0;
	if (ref_above(t, j, s) || ref_above(t, s, j) || ref_avoids(t, j, s) || ref_avoids(t, s, j) ||
	    ref_banned(t, j, s))
		return 0;
	if (t->rules.max_tz_diff >= 0 && pj->tz != MATCH_TZ_UNKNOWN && ps->tz != MATCH_TZ_UNKNOWN &&
	    abs(pj->tz - ps->tz) > t->rules.max_tz_diff)
		return 0;
	*score = ref_score(t, j, s);
	return *score >= t->cf.min_score;
}

/* Checks a solution is feasible; returns its total score. */
static long check_feasible(const struct inst *t, const struct match_pair *pairs, size_t n)
{
	int *load = calloc(t->n_people, sizeof(*load));
	char *taken = calloc(t->n_people, 1);
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = pairs[i].junior, s = pairs[i].senior;
		int is_j = 0, is_s = 0, score = -1;
		ck_assert(j < t->n_people && s < t->n_people);
		for (size_t k = 0; k < t->n_juniors; k++)
			is_j |= t->juniors[k] == j;
		for (size_t k = 0; k < t->n_seniors; k++)
			is_s |= t->seniors[k] == s;
		ck_assert_msg(is_j && is_s, "pair %zu is not junior->senior", i);
		ck_assert_msg(ref_eligible(t, j, s, &score), "pair %s->%s not eligible", t->ids[j], t->ids[s]);
		ck_assert_int_eq(pairs[i].score, score);
		ck_assert_msg(!taken[s], "senior %s has two mentors", t->ids[s]);
		taken[s] = 1;
		ck_assert_msg(++load[j] <= t->people[j].capacity, "junior %s over capacity", t->ids[j]);
		if (i > 0)
			ck_assert(strcmp(t->people[pairs[i - 1].senior].id, t->people[s].id) < 0);
		total += score;
	}
	free(load);
	free(taken);
	return total;
}

/* Current pairs kept by a solution. */
static size_t kept_pairs(const struct inst *t, const struct match_pair *pairs, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; t->in.current_mentor && i < n; i++)
		k += t->in.current_mentor[pairs[i].senior] == pairs[i].junior;
	return k;
}

/*
 * The engine's answer (n pairs, total) against the exact oracle's: the same
 * seniors matched, total score and current pairs kept. With opt (else the
 * defaults) it also solves again with stats and checks the certificate.
 */
static void engine_matches_oracle(struct inst *t, const struct match_options *opt, size_t n,
				  long total, const struct match_pair *pairs)
{
	struct match_pair *want, *again;
	struct match_stats st;
	size_t n_want, n_again;
	long want_total = 0;
	ck_assert_int_eq(match_exact_solve(input(t), &want, &n_want), 0);
	for (size_t i = 0; i < n_want; i++)
		want_total += want[i].score;
	ck_assert_msg(n == n_want && total == want_total, "engine %zu/%ld, oracle %zu/%ld", n, total,
		      n_want, want_total);
	ck_assert_uint_eq(kept_pairs(t, pairs, n), kept_pairs(t, want, n_want));
	ck_assert_int_eq(match_solve_stats(input(t), opt, &again, &n_again, &st), 0);
	ck_assert_msg(st.certified, "engine result not certified");
	ck_assert_uint_ge(st.rounds, 1);
	ck_assert_uint_eq(st.matched, n_again);
	ck_assert_int_eq(st.total_score, want_total);
	ck_assert_uint_eq(st.current_kept, kept_pairs(t, want, n_want));
	ck_assert_uint_ge(st.candidates, st.added);
	free(st.graph);
	free(want);
	free(again);
}

/* Solves, checks feasibility, and returns the number of pairs; *total gets the score. */
static size_t solve_checked(struct inst *t, long *total, struct match_pair **out)
{
	struct match_pair *pairs = NULL;
	size_t n = 99;
	ck_assert_int_eq(solver(input(t), &pairs, &n), 0);
	ck_assert(pairs != NULL);
	*total = check_feasible(t, pairs, n);
	if (solver == match_solve)
		engine_matches_oracle(t, NULL, n, *total, pairs);
	if (out)
		*out = pairs;
	else
		free(pairs);
	return n;
}

/* How many rounds the engine takes (a rough one and an exact one when there is nothing to find). */
static unsigned rounds_of(struct inst *t)
{
	struct match_stats st;
	struct match_pair *pairs;
	size_t n;
	ck_assert_int_eq(match_solve_stats(input(t), NULL, &pairs, &n, &st), 0);
	free(pairs);
	ck_assert(st.certified);
	return st.rounds;
}

/* Whether the pair j->s is in the solution. */
static int has_pair(const struct match_pair *pairs, size_t n, size_t j, size_t s)
{
	for (size_t i = 0; i < n; i++)
		if (pairs[i].junior == j && pairs[i].senior == s)
			return 1;
	return 0;
}

/* --- hard constraints, one instance each -------------------------------- */

START_TEST(capacity_limits_a_junior)
{
	struct inst *t = inst_new(4);
	struct match_pair *pairs;
	long total;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 2, 8);
	person(t, 1, 0, MATCH_NONE, 0, 0);
	person(t, 2, 0, MATCH_NONE, 0, 5);
	person(t, 3, 0, MATCH_NONE, 0, 6);
	junior(t, 0);
	senior(t, 1);
	senior(t, 2);
	senior(t, 3);
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 2);
	ck_assert_int_eq(total, 8 + 3);
	ck_assert(has_pair(pairs, 2, 0, 1) && has_pair(pairs, 2, 0, 2));
	free(pairs);
	inst_free(t);
}
END_TEST

START_TEST(one_mentor_per_senior)
{
	struct inst *t = inst_new(3);
	struct match_pair *pairs;
	long total;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 3, 8);
	person(t, 1, 2, MATCH_NONE, 3, 7);
	person(t, 2, 0, MATCH_NONE, 0, 0);
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 1);
	ck_assert(has_pair(pairs, 1, 0, 2));
	ck_assert_int_eq(total, 8);
	free(pairs);
	inst_free(t);
}
END_TEST

/* Two people, junior 0 and senior 1, linked by the given managers; expect n pairs. */
static void expect_chain(size_t mgr0, size_t mgr1, size_t n_extra, const size_t *extra_mgr,
			 size_t want)
{
	struct inst *t = inst_new(2 + n_extra);
	long total;
	int score;
	person(t, 0, 3, mgr0, 1, 8);
	person(t, 1, 0, mgr1, 0, 0);
	for (size_t i = 0; i < n_extra; i++)
		person(t, 2 + i, 1, extra_mgr[i], 0, 0);
	junior(t, 0);
	senior(t, 1);
	ck_assert_int_eq(match_eligible(input(t), 0, 1, &score), (int)want);
	ck_assert_uint_eq(solve_checked(t, &total, NULL), want);
	inst_free(t);
}

START_TEST(chain_direct)
{
	use_solver(_i);
	expect_chain(1, MATCH_NONE, 0, NULL, 0);   /* senior manages junior */
	expect_chain(MATCH_NONE, 0, 0, NULL, 0);   /* junior manages senior */
	expect_chain(MATCH_NONE, MATCH_NONE, 0, NULL, 1);
}
END_TEST

START_TEST(chain_deep)
{
	static const size_t up_to_senior[] = { 3, 4, 1 };  /* 0 -> 2 -> 3 -> 4 -> 1 */
	static const size_t up_to_junior[] = { 3, 0 };     /* 1 -> 2 -> 3 -> 0 */
	static const size_t siblings[] = { MATCH_NONE };   /* 0 -> 2 <- 1 */
	static const size_t cousins[] = { 4, 4, MATCH_NONE }; /* 0 -> 2 -> 4 <- 3 <- 1 */
	use_solver(_i);
	expect_chain(2, MATCH_NONE, 3, up_to_senior, 0);
	expect_chain(2, MATCH_NONE, 1, (const size_t[]){ 1 }, 0); /* depth 2 */
	expect_chain(MATCH_NONE, 2, 2, up_to_junior, 0);
	expect_chain(MATCH_NONE, 2, 1, (const size_t[]){ 0 }, 0); /* depth 2 */
	expect_chain(2, 2, 1, siblings, 1);
	expect_chain(2, 3, 3, cousins, 1);
}
END_TEST

START_TEST(chain_cycles_terminate)
{
	static const size_t loop_above[] = { 3, 2 };       /* 0 -> 2 -> 3 -> 2 ... */
	static const size_t loop_long[] = { 3, 4, 5, 2 };  /* 1 -> 2 -> 3 -> 4 -> 5 -> 2 ... */
	static const size_t loop_with_senior[] = { 1 };    /* 0 -> 2 -> 1 -> 0 ... */
	use_solver(_i);
	expect_chain(0, 1, 0, NULL, 1);                     /* both manage themselves */
	expect_chain(2, MATCH_NONE, 2, loop_above, 1);
	expect_chain(MATCH_NONE, 2, 4, loop_long, 1);
	expect_chain(1, 0, 0, NULL, 0);                     /* each manages the other */
	expect_chain(2, 0, 1, loop_with_senior, 0);
}
END_TEST

/* Junior cohort cj, senior cohort cs: expect n pairs. */
static void expect_cohorts(int cj, int cs, size_t want)
{
	struct inst *t = inst_new(2);
	long total;
	int score;
	person(t, 0, cj, MATCH_NONE, 1, 8);
	person(t, 1, cs, MATCH_NONE, 0, 0);
	junior(t, 0);
	senior(t, 1);
	ck_assert_int_eq(match_eligible(input(t), 0, 1, &score), (int)want);
	ck_assert_uint_eq(solve_checked(t, &total, NULL), want);
	inst_free(t);
}

START_TEST(cohort_rule)
{
	use_solver(_i);
	expect_cohorts(1, 0, 1);
	expect_cohorts(3, 0, 1);
	expect_cohorts(2, 2, 0);
	expect_cohorts(0, 1, 0);
	expect_cohorts(-1, 0, 0);
	expect_cohorts(3, -1, 0);
	expect_cohorts(-1, -1, 0);
}
END_TEST

START_TEST(min_score_rule)
{
	struct inst *t = inst_new(3);
	struct match_pair *pairs;
	long total;
	int score = -1;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 3, 8);
	person(t, 1, 0, MATCH_NONE, 0, 6); /* score 2 */
	person(t, 2, 0, MATCH_NONE, 0, 5); /* score 3 */
	junior(t, 0);
	senior(t, 1);
	senior(t, 2);
	t->cf.min_score = 3;
	ck_assert_int_eq(match_eligible(input(t), 0, 1, &score), 0);
	ck_assert_int_eq(match_eligible(input(t), 0, 2, &score), 1);
	ck_assert_int_eq(score, 3);
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 1);
	ck_assert(has_pair(pairs, 1, 0, 2));
	free(pairs);
	t->cf.min_score = 0;
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 2);
	inst_free(t);
}
END_TEST

START_TEST(capacity_zero_gets_nothing)
{
	struct inst *t = inst_new(4);
	long total;
	int score;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 0, 8);
	person(t, 1, 3, MATCH_NONE, -2, 8);
	person(t, 2, 0, MATCH_NONE, 0, 0);
	person(t, 3, 0, MATCH_NONE, 0, 0);
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	senior(t, 3);
	ck_assert_int_eq(match_eligible(input(t), 0, 2, &score), 0);
	ck_assert_int_eq(match_eligible(input(t), 1, 2, &score), 0);
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 0);
	inst_free(t);
}
END_TEST

/* Someone may be a mentor and a mentee at once, never of themselves. */
START_TEST(both_roles)
{
	struct inst *t = inst_new(3);
	struct match_pair *pairs;
	long total;
	int score;
	use_solver(_i);
	person(t, 0, 0, MATCH_NONE, 0, 0); /* oldest, mentee only */
	person(t, 1, 2, MATCH_NONE, 1, 5); /* both */
	person(t, 2, 3, MATCH_NONE, 1, 8); /* youngest, mentor only */
	junior(t, 1);
	junior(t, 2);
	senior(t, 0);
	senior(t, 1);
	ck_assert_int_eq(match_eligible(input(t), 1, 1, &score), 0);
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 2);
	ck_assert(has_pair(pairs, 2, 1, 0) && has_pair(pairs, 2, 2, 1));
	free(pairs);
	inst_free(t);
}
END_TEST

/* More seniors matched beats a higher total. */
START_TEST(cardinality_before_score)
{
	struct inst *t = inst_new(4);
	struct match_pair *pairs;
	long total;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 1, 8);
	person(t, 1, 1, MATCH_NONE, 1, 1);
	person(t, 2, 0, MATCH_NONE, 0, 0); /* 8 from p0, 1 from p1 */
	person(t, 3, 2, MATCH_NONE, 0, 7); /* 1 from p0 only */
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	senior(t, 3);
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 2);
	ck_assert_int_eq(total, 2);
	ck_assert(has_pair(pairs, 2, 0, 3) && has_pair(pairs, 2, 1, 2));
	free(pairs);
	inst_free(t);
}
END_TEST

/*
 * Scores (two areas): p0->p2 7, p0->p3 8, p1->p2 0, p1->p3 6. Taking the
 * best pair first (p0->p3) leaves 8 + 0; the optimum is 7 + 6.
 */
START_TEST(score_needs_exchange)
{
	struct inst *t = inst_new(4);
	struct match_pair *pairs;
	long total;
	use_solver(_i);
	t->cf.n_areas = 2;
	person(t, 0, 3, MATCH_NONE, 1, 8);
	person(t, 1, 3, MATCH_NONE, 1, 0);
	person(t, 2, 0, MATCH_NONE, 0, 1);
	person(t, 3, 0, MATCH_NONE, 0, 0);
	t->levels[1][1] = 6;
	t->levels[2][1] = 8;
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	senior(t, 3);
	for (int min_score = 0; min_score <= 1; min_score++) {
		t->cf.min_score = min_score;
		ck_assert_uint_eq(solve_checked(t, &total, &pairs), 2);
		ck_assert_int_eq(total, 7 + 6);
		ck_assert(has_pair(pairs, 2, 0, 2) && has_pair(pairs, 2, 1, 3));
		free(pairs);
	}
	inst_free(t);
}
END_TEST

/*
 * Junior 0 (capacity 1, level 8) and seniors 1 (level 0: score 8) and 2
 * (level 4: score 4): with nothing else in the way the junior takes senior 1.
 * The rule tests below each show that one rule moves it to senior 2.
 */
static struct inst *one_slot_two_seniors(void)
{
	struct inst *t = inst_new(3);
	person(t, 0, 3, MATCH_NONE, 1, 8);
	person(t, 1, 0, MATCH_NONE, 0, 0);
	person(t, 2, 0, MATCH_NONE, 0, 4);
	junior(t, 0);
	senior(t, 1);
	senior(t, 2);
	return t;
}

/* Solve t; the one pair must be junior 0 with senior want. */
static void expect_senior(struct inst *t, size_t want)
{
	struct match_pair *pairs;
	long total;
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 1);
	ck_assert_msg(has_pair(pairs, 1, 0, want), "junior 0 got senior %zu, want %zu", pairs[0].senior, want);
	free(pairs);
}

START_TEST(avoid_list_rule)
{
	struct inst *t = one_slot_two_seniors();
	size_t who = 0;
	int score;
	use_solver(_i);
	expect_senior(t, 1);
	/* the senior names the junior */
	t->people[1].avoid = &who;
	t->people[1].n_avoid = 1;
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_AVOID);
	expect_senior(t, 2);
	/* the junior names the senior */
	t->people[1].n_avoid = 0;
	who = 1;
	t->people[0].avoid = &who;
	t->people[0].n_avoid = 1;
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_AVOID);
	expect_senior(t, 2);
	inst_free(t);
}
END_TEST

START_TEST(timezone_rule)
{
	struct inst *t = one_slot_two_seniors();
	int score;
	use_solver(_i);
	t->people[0].tz = 0;
	t->people[1].tz = 8 * 60;
	t->people[2].tz = 60;
	expect_senior(t, 1); /* no limit */
	t->rules.max_tz_diff = 3 * 60;
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_TIMEZONE);
	expect_senior(t, 2);
	t->rules.max_tz_diff = 8 * 60; /* the limit itself is allowed */
	expect_senior(t, 1);
	t->rules.max_tz_diff = 3 * 60;
	t->people[1].tz = MATCH_TZ_UNKNOWN; /* unknown: no limit applies */
	expect_senior(t, 1);
	inst_free(t);
}
END_TEST

START_TEST(ban_rules)
{
	struct inst *t = one_slot_two_seniors();
	int score;
	use_solver(_i);
	t->bans[0] = (struct match_ban){ 0, 1, MATCH_BAN_FORBID };
	t->n_bans = 1;
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_FORBIDDEN);
	expect_senior(t, 2);
	t->bans[0].kind = MATCH_BAN_COOLDOWN;
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_COOLDOWN);
	expect_senior(t, 2);
	t->bans[0] = (struct match_ban){ 0, 2, MATCH_BAN_FORBID }; /* the other pair: back to 1 */
	expect_senior(t, 1);
	/* unsorted bans are a malformed instance */
	t->bans[1] = (struct match_ban){ 0, 1, MATCH_BAN_FORBID };
	t->n_bans = 2;
	{
		struct match_pair *pairs;
		size_t n;
		ck_assert_int_eq(solver(input(t), &pairs, &n), -1);
	}
	inst_free(t);
}
END_TEST

START_TEST(seniority_gap_rule)
{
	struct inst *t = one_slot_two_seniors();
	int score;
	use_solver(_i);
	/* one cohort for all: the cohort rule allows nothing */
	for (size_t i = 0; i < 3; i++)
		t->people[i].cohort = 2;
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_NOT_YOUNGER);
	{
		long total;
		ck_assert_uint_eq(solve_checked(t, &total, NULL), 0);
	}
	t->rules.seniority_gap = 5;
	t->people[0].seniority = 2;
	t->people[1].seniority = 6; /* gap 4: too small */
	t->people[2].seniority = 7; /* gap 5: enough */
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_NOT_YOUNGER);
	expect_senior(t, 2);
	t->people[1].seniority = 30;
	expect_senior(t, 1);
	t->people[1].seniority = -1;
	ck_assert_int_eq(match_check(input(t), 0, 1, &score), MATCH_R_COHORT_UNKNOWN);
	expect_senior(t, 2);
	inst_free(t);
}
END_TEST

START_TEST(bonus_rules)
{
	struct inst *t = one_slot_two_seniors();
	struct match_terms terms;
	int score;
	use_solver(_i);
	t->levels[2][0] = 5; /* score 3 against 8 */
	t->people[0].department = t->people[1].department = 1;
	t->people[2].department = 2;
	expect_senior(t, 1);
	t->rules.bonus_cross_department = 6; /* 3 + 6 > 8 */
	match_terms(input(t), 0, 2, &terms);
	ck_assert_int_eq(terms.areas, 3);
	ck_assert_int_eq(terms.cross_department, 6);
	expect_senior(t, 2);
	/* the same time zone for the other pair outweighs it */
	t->people[0].tz = t->people[1].tz = 0;
	t->people[2].tz = 5 * 60;
	t->rules.bonus_same_tz = 2;
	ck_assert_int_eq(match_eligible(input(t), 0, 1, &score), 1);
	ck_assert_int_eq(score, 8 + 2);
	expect_senior(t, 1);
	/* a near time zone counts within near_tz only */
	t->rules.bonus_near_tz = 4;
	t->rules.near_tz = 5 * 60;
	ck_assert_int_eq(match_eligible(input(t), 0, 2, &score), 1);
	ck_assert_int_eq(score, 3 + 6 + 4);
	expect_senior(t, 2);
	t->rules.near_tz = 4 * 60;
	expect_senior(t, 1);
	inst_free(t);
}
END_TEST

START_TEST(stability_bonus_keeps_the_current_pair)
{
	struct inst *t = one_slot_two_seniors();
	size_t current[3] = { MATCH_NONE, MATCH_NONE, 0 };
	struct match_terms terms;
	use_solver(_i);
	t->in.current_mentor = current; /* senior 2 (score 4) is the current pair */
	expect_senior(t, 1);
	t->rules.bonus_stability = 5; /* 4 + 5 > 8 */
	match_terms(input(t), 0, 2, &terms);
	ck_assert_int_eq(terms.stability, 5);
	expect_senior(t, 2);
	t->rules.bonus_stability = 3; /* 4 + 3 < 8 */
	expect_senior(t, 1);
	inst_free(t);
}
END_TEST

/* Pins: kept below min_score, refused on a hard constraint or without room; the rest optimal. */
START_TEST(pins_are_kept)
{
	struct inst *t = inst_new(5);
	struct match_pin pins[3];
	struct match_pair *pairs;
	struct match_stats st;
	size_t n, who = 0;
	person(t, 0, 3, MATCH_NONE, 1, 8);
	person(t, 1, 0, MATCH_NONE, 0, 0); /* score 8 with junior 0 */
	person(t, 2, 0, MATCH_NONE, 0, 7); /* score 1 with junior 0 */
	person(t, 3, 3, MATCH_NONE, 1, 8);
	person(t, 4, 0, MATCH_NONE, 0, 0);
	junior(t, 0);
	junior(t, 3);
	senior(t, 1);
	senior(t, 2);
	senior(t, 4);
	t->cf.min_score = 2;
	pins[0] = (struct match_pin){ 0, 2 }; /* below min_score: kept anyway */
	t->in.pins = pins;
	t->in.n_pins = 1;
	ck_assert_int_eq(match_solve_stats(input(t), NULL, &pairs, &n, &st), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_pair(pairs, n, 0, 2));
	ck_assert(has_pair(pairs, n, 3, 1) || has_pair(pairs, n, 3, 4));
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(pairs[i].pinned, pairs[i].senior == 2);
	ck_assert_uint_eq(st.pinned, 1);
	ck_assert_uint_eq(st.matched, 2);
	free(pairs);
	/* a second pin for the same junior finds no room; the first by senior id wins */
	pins[1] = (struct match_pin){ 0, 1 };
	t->in.n_pins = 2;
	ck_assert_int_eq(match_solve_stats(input(t), NULL, &pairs, &n, &st), 0);
	ck_assert_uint_eq(st.pinned, 1);
	ck_assert(has_pair(pairs, n, 0, 1));
	free(pairs);
	/* a pin the avoid list forbids is not kept */
	t->in.n_pins = 1;
	t->people[2].avoid = &who;
	t->people[2].n_avoid = 1;
	ck_assert_int_eq(match_solve_stats(input(t), NULL, &pairs, &n, &st), 0);
	ck_assert_uint_eq(st.pinned, 0);
	ck_assert(!has_pair(pairs, n, 0, 2));
	ck_assert_uint_eq(n, 2);
	free(pairs);
	/* a pin with someone who is not a participant is not kept */
	t->people[2].n_avoid = 0;
	t->n_seniors = 1; /* only senior 1 */
	ck_assert_int_eq(match_solve_stats(input(t), NULL, &pairs, &n, &st), 0);
	ck_assert_uint_eq(st.pinned, 0);
	free(pairs);
	inst_free(t);
}
END_TEST

/* match_why counts the reasons over the other side and the eligible partners that are full. */
START_TEST(why_unmatched)
{
	struct inst *t = inst_new(6);
	struct match_pair *pairs;
	struct match_why why;
	size_t n, who = 1;
	person(t, 0, 3, 5, 1, 0);           /* reports to senior 5: chain; scores nothing */
	person(t, 1, 3, MATCH_NONE, 1, 0);  /* on senior 5's avoid list; scores nothing */
	person(t, 2, 0, MATCH_NONE, 1, 8);  /* older: not younger */
	person(t, 3, 3, MATCH_NONE, 1, 8);  /* eligible, but takes senior 4 */
	person(t, 4, 0, MATCH_NONE, 0, 0);
	person(t, 5, 0, MATCH_NONE, 0, 1);
	t->people[5].avoid = &who;
	t->people[5].n_avoid = 1;
	t->cf.min_score = 1;
	for (size_t j = 0; j < 4; j++)
		junior(t, j);
	senior(t, 4);
	senior(t, 5);
	ck_assert_int_eq(match_solve(input(t), &pairs, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(has_pair(pairs, n, 3, 4));
	match_why(input(t), 5, 0, pairs, n, &why);
	ck_assert_uint_eq(why.counts[MATCH_R_CHAIN], 1);
	ck_assert_uint_eq(why.counts[MATCH_R_AVOID], 1);
	ck_assert_uint_eq(why.counts[MATCH_R_NOT_YOUNGER], 1);
	ck_assert_uint_eq(why.counts[MATCH_OK], 1);
	ck_assert_uint_eq(why.taken, 1);
	ck_assert_str_eq(match_reason_name(MATCH_R_CHAIN), "management chain");
	/* junior 2 from its side: both seniors are of its own cohort or younger */
	match_why(input(t), 2, 1, pairs, n, &why);
	ck_assert_uint_eq(why.counts[MATCH_R_NOT_YOUNGER], 2);
	ck_assert_uint_eq(why.taken, 0);
	free(pairs);
	inst_free(t);
}
END_TEST

START_TEST(degenerate_instances)
{
	struct inst *t = inst_new(3);
	long total;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 3, 8);
	person(t, 1, 0, MATCH_NONE, 0, 0);
	person(t, 2, 0, MATCH_NONE, 0, 8);
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 0); /* nobody */
	junior(t, 0);
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 0); /* no seniors */
	ck_assert_uint_le(rounds_of(t), 2);
	t->n_juniors = 0;
	senior(t, 1);
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 0); /* no juniors */
	ck_assert_uint_le(rounds_of(t), 2);
	junior(t, 0);
	t->cf.min_score = 9;
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 0); /* no eligible pair */
	t->cf.min_score = 0;
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 1);
	junior(t, 0); /* the same junior listed twice does not double its capacity */
	t->people[0].capacity = 1;
	senior(t, 2);
	t->levels[2][0] = 0;
	ck_assert_uint_eq(solve_checked(t, &total, NULL), 1);
	inst_free(t);
}
END_TEST

START_TEST(malformed_instances)
{
	struct inst *t = inst_new(2);
	struct match_pair *pairs = NULL;
	size_t n = 0;
	int score;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 1, 8);
	person(t, 1, 0, MATCH_NONE, 0, 0);
	junior(t, 0);
	senior(t, 5);
	ck_assert_int_eq(solver(input(t), &pairs, &n), -1);
	t->seniors[0] = 1;
	t->juniors[0] = 2;
	ck_assert_int_eq(solver(input(t), &pairs, &n), -1);
	t->juniors[0] = 0;
	t->people[1].manager = 7;
	ck_assert_int_eq(solver(input(t), &pairs, &n), -1);
	ck_assert_int_eq(match_eligible(input(t), 0, 1, &score), 1); /* a dangling manager ends the chain */
	ck_assert_int_eq(match_eligible(input(t), 0, 9, &score), 0);
	ck_assert_int_eq(match_eligible(input(t), 9, 1, &score), 0);
	ck_assert(pairs == NULL);
	t->people[1].manager = MATCH_NONE;
	ck_assert_int_eq(solver(input(t), &pairs, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(pairs);
	inst_free(t);
}
END_TEST

/* --- random instances against two oracles --------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: small, seedable, the same everywhere */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int rnd(int n)
{
	return n > 0 ? (int)(rng() % (uint64_t)n) : 0;
}

/* Shuffle n indices in place. */
static void shuffle(size_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t k = (size_t)rnd((int)i), tmp = v[i - 1];
		v[i - 1] = v[k];
		v[k] = tmp;
	}
}

/* A junior drawn twice as a senior would be listed twice: keep the first. */
static void dedupe_seniors(struct inst *t)
{
	size_t k = 0;
	for (size_t i = 0; i < t->n_seniors; i++) {
		int dup = 0;
		for (size_t m = 0; m < k; m++)
			dup |= t->seniors[m] == t->seniors[i];
		if (!dup)
			t->seniors[k++] = t->seniors[i];
	}
	t->n_seniors = k;
}

/*
 * A random instance: ids in an order unrelated to the indices, random
 * cohorts (some unknown), managers (cycles possible), capacities, levels,
 * standards and weights; sometimes a junior is a senior too.
 */
static struct inst *random_inst(uint64_t seed, size_t nj, size_t ns, size_t extra, int n_areas)
{
	size_t n = nj + ns + extra, *perm = malloc((n + 1) * sizeof(*perm));
	struct inst *t = inst_new(n);
	rng_state = seed;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	shuffle(perm, n);
	t->cf.n_areas = (size_t)n_areas;
	for (int a = 0; a < n_areas; a++) {
		t->areas[a].standard = 1 + rnd(8);
		t->areas[a].weight = rnd(4);
	}
	t->cf.min_score = rnd(3) ? 0 : rnd(5);
	for (size_t i = 0; i < n; i++) {
		snprintf(t->ids[i], sizeof(t->ids[i]), "u%05zu", perm[i]);
		t->people[i].cohort = rnd(10) ? rnd(4) : -1;
		t->people[i].manager = rnd(3) ? (size_t)rnd((int)n) : MATCH_NONE;
		t->people[i].capacity = rnd(4);
		for (int a = 0; a < n_areas; a++)
			t->levels[i][a] = rnd(9);
	}
	for (size_t i = 0; i < nj; i++)
		junior(t, i);
	for (size_t i = 0; i < ns; i++)
		senior(t, nj > 0 && rnd(8) == 0 ? (size_t)rnd((int)nj) : nj + i);
	dedupe_seniors(t);
	free(perm);
	return t;
}

/* A ban sorts by (junior, senior). */
static int cmp_ban(const void *a, const void *b)
{
	const struct match_ban *x = a, *y = b;
	if (x->junior != y->junior)
		return x->junior < y->junior ? -1 : 1;
	return x->senior < y->senior ? -1 : x->senior > y->senior;
}

/*
 * Random rules on top of a random instance: the seniority rule or the cohort
 * rule, a time-zone limit or none, bonuses, departments, time zones, avoid
 * lists and bans (forbidden and cooling down).
 */
static void random_rules(struct inst *t)
{
	size_t n = 0;
	t->rules.seniority_gap = rnd(3) ? 0 : 1 + rnd(5);
	t->rules.max_tz_diff = rnd(2) ? -1 : 60 * rnd(6);
	t->rules.near_tz = 60 * rnd(4);
	t->rules.bonus_cross_department = rnd(4);
	t->rules.bonus_same_tz = rnd(4);
	t->rules.bonus_near_tz = rnd(3);
	t->rules.bonus_stability = rnd(4);
	for (size_t i = 0; i < t->n_people; i++) {
		struct match_person *p = &t->people[i];
		p->seniority = rnd(8) ? rnd(30) : -1;
		p->department = rnd(4) ? rnd(3) : -1;
		p->tz = rnd(5) ? 60 * (rnd(9) - 4) : MATCH_TZ_UNKNOWN;
		p->n_avoid = rnd(6) ? 0 : 1 + (size_t)rnd(2);
		for (size_t k = 0; k < p->n_avoid; k++)
			t->avoid[i][k] = (size_t)rnd((int)t->n_people);
	}
	for (size_t k = 0; k < t->n_people / 3; k++) {
		size_t j = (size_t)rnd((int)t->n_people), s = (size_t)rnd((int)t->n_people);
		int dup = 0;
		for (size_t m = 0; m < n; m++)
			dup |= t->bans[m].junior == j && t->bans[m].senior == s;
		if (!dup)
			t->bans[n++] = (struct match_ban){ j, s, rnd(2) ? MATCH_BAN_FORBID : MATCH_BAN_COOLDOWN };
	}
	qsort(t->bans, n, sizeof(*t->bans), cmp_ban);
	t->n_bans = n;
}

struct best {
	size_t count;
	long total;
};

/* Try every way to give seniors[k..] a junior (or none). */
static void brute(const struct inst *t, const int *elig, int *left, size_t k, size_t count,
		  long total, struct best *best)
{
	if (k == t->n_seniors) {
		if (count > best->count || (count == best->count && total > best->total)) {
			best->count = count;
			best->total = total;
		}
		return;
	}
	brute(t, elig, left, k + 1, count, total, best);
	for (size_t j = 0; j < t->n_juniors; j++) {
		int sc = elig[k * t->n_juniors + j];
		if (sc < 0 || left[j] == 0)
			continue;
		left[j]--;
		brute(t, elig, left, k + 1, count + 1, total + sc, best);
		left[j]++;
	}
}

static struct best brute_force(const struct inst *t)
{
	int *elig = malloc((t->n_seniors * t->n_juniors + 1) * sizeof(*elig));
	int *left = malloc((t->n_juniors + 1) * sizeof(*left));
	struct best best = { 0, 0 };
	for (size_t k = 0; k < t->n_seniors; k++)
		for (size_t j = 0; j < t->n_juniors; j++) {
			int sc;
			elig[k * t->n_juniors + j] =
				ref_eligible(t, t->juniors[j], t->seniors[k], &sc) ? sc : -1;
		}
	for (size_t j = 0; j < t->n_juniors; j++)
		left[j] = t->people[t->juniors[j]].capacity;
	brute(t, elig, left, 0, 0, 0, &best);
	free(elig);
	free(left);
	return best;
}

/* match_eligible agrees with the reference on every ordered pair of people. */
static void check_eligibility(const struct inst *t, uint64_t seed)
{
	for (size_t j = 0; j < t->n_people; j++)
		for (size_t s = 0; s < t->n_people; s++) {
			int want_score = -1, got_score = -1;
			int want = ref_eligible(t, j, s, &want_score);
			int got = match_eligible(&t->in, j, s, &got_score);
			ck_assert_msg(!got == !want, "seed %llu: eligible(%zu,%zu) = %d",
				      (unsigned long long)seed, j, s, got);
			if (want)
				ck_assert_int_eq(got_score, want_score);
		}
}

START_TEST(oracle_brute_force)
{
	use_solver(_i);
	for (uint64_t seed = 1; seed <= 600; seed++) {
		struct inst *t;
		struct best want;
		long total;
		size_t n;
		rng_state = seed * 7919;
		{
			size_t nj = (size_t)rnd(5), ns = (size_t)rnd(7), extra = (size_t)rnd(4);
			int n_areas = 1 + rnd(3);
			t = random_inst(seed, nj, ns, extra, n_areas);
		}
		if (seed % 2 == 0) {
			random_rules(t);
			if (seed % 8 == 0)
				t->areas[0].direction = CONF_DIR_LEADERSHIP;
		}
		if (seed % 50 == 0)
			for (size_t i = 0; i < t->n_people; i++)
				t->people[i].capacity = 0;
		want = brute_force(t);
		n = solve_checked(t, &total, NULL);
		check_eligibility(t, seed);
		ck_assert_msg(n == want.count && total == want.total,
			      "seed %llu: got %zu pairs/%ld, want %zu/%ld", (unsigned long long)seed, n,
			      total, want.count, want.total);
		inst_free(t);
	}
}
END_TEST

/* An arc of the reference flow network, with its reverse at index ^ 1. */
struct ref_arc {
	size_t to;
	int cap;
	int64_t cost;
};

/*
 * The brief's network solved the plain way: source -> junior (capacity) ->
 * senior (1, -(BIG + score)) -> sink (1); augment along Bellman-Ford shortest
 * paths while they are negative.
 */
static struct best ref_flow(const struct inst *t)
{
	size_t nj = t->n_juniors, ns = t->n_seniors, nv = nj + ns + 2, src = nv - 2, sink = nv - 1;
	size_t max_arcs = 2 * (nj + ns + nj * ns), n_arcs = 0;
	struct ref_arc *arc = malloc((max_arcs + 1) * sizeof(*arc));
	size_t *from = malloc((max_arcs + 1) * sizeof(*from)), *via = malloc(nv * sizeof(*via));
	int64_t *dist = malloc(nv * sizeof(*dist)), big = 1, inf = INT64_MAX / 4;
	struct best best = { 0, 0 };
	int *score = malloc((nj * ns + 1) * sizeof(*score));
	for (size_t j = 0; j < nj; j++)
		for (size_t k = 0; k < ns; k++) {
			int sc;
			score[j * ns + k] = ref_eligible(t, t->juniors[j], t->seniors[k], &sc) ? sc : -1;
			big += score[j * ns + k] > 0 ? score[j * ns + k] : 0;
		}
#define ARC(u, v, c, w)                                                        \
	do {                                                                   \
		from[n_arcs] = (u);                                            \
		arc[n_arcs++] = (struct ref_arc){ (v), (c), (w) };             \
		from[n_arcs] = (v);                                            \
		arc[n_arcs++] = (struct ref_arc){ (u), 0, -(w) };              \
	} while (0)
	for (size_t j = 0; j < nj; j++)
		ARC(src, j, t->people[t->juniors[j]].capacity, 0);
	for (size_t j = 0; j < nj; j++)
		for (size_t k = 0; k < ns; k++)
			if (score[j * ns + k] >= 0)
				ARC(j, nj + k, 1, -(big + score[j * ns + k]));
	for (size_t k = 0; k < ns; k++)
		ARC(nj + k, sink, 1, 0);
#undef ARC
	for (;;) {
		int changed = 1;
		for (size_t v = 0; v < nv; v++)
			dist[v] = inf;
		dist[src] = 0;
		for (size_t round = 0; round < nv && changed; round++) {
			changed = 0;
			for (size_t a = 0; a < n_arcs; a++)
				if (arc[a].cap > 0 && dist[from[a]] < inf &&
				    dist[from[a]] + arc[a].cost < dist[arc[a].to]) {
					dist[arc[a].to] = dist[from[a]] + arc[a].cost;
					via[arc[a].to] = a;
					changed = 1;
				}
		}
		if (dist[sink] >= 0)
			break;
		for (size_t v = sink; v != src; v = from[via[v]]) {
			arc[via[v]].cap--;
			arc[via[v] ^ 1].cap++;
		}
	}
	for (size_t a = 0; a < n_arcs; a += 2)
		if (from[a] < nj && arc[a].to >= nj && arc[a].to < nj + ns && arc[a].cap == 0) {
			best.count++;
			best.total += score[from[a] * ns + (arc[a].to - nj)];
		}
	free(arc);
	free(from);
	free(via);
	free(dist);
	free(score);
	return best;
}

START_TEST(oracle_reference_flow)
{
	use_solver(_i);
	for (uint64_t seed = 1; seed <= 300; seed++) {
		struct inst *t;
		struct best want;
		long total;
		size_t n;
		rng_state = seed * 104729;
		{
			size_t nj = 5 + (size_t)rnd(20), ns = 10 + (size_t)rnd(40);
			t = random_inst(seed, nj, ns, (size_t)rnd(10), 1 + rnd(5));
		}
		/* few levels and weights make many equal scores and exchanges */
		if (seed % 3 == 0)
			for (size_t i = 0; i < t->n_people; i++)
				for (size_t a = 0; a < t->cf.n_areas; a++)
					t->levels[i][a] = rnd(3) * 3;
		want = ref_flow(t);
		n = solve_checked(t, &total, NULL);
		ck_assert_msg(n == want.count && total == want.total,
			      "seed %llu: got %zu pairs/%ld, want %zu/%ld", (unsigned long long)seed, n,
			      total, want.count, want.total);
		inst_free(t);
	}
}
END_TEST

/* --- determinism ----------------------------------------------------------- */

static void expect_same_pairs(const struct match_pair *a, size_t na, const struct match_pair *b,
			      size_t nb)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_uint_eq(a[i].junior, b[i].junior);
		ck_assert_uint_eq(a[i].senior, b[i].senior);
		ck_assert_int_eq(a[i].score, b[i].score);
	}
}

START_TEST(same_input_same_pairs)
{
	struct inst *t = random_inst(4242, 40, 90, 10, 1);
	struct match_pair *first, *again;
	size_t n1, n2;
	long total;
	use_solver(_i);
	/* many equal scores: the choice among optima must still be fixed */
	for (size_t i = 0; i < t->n_people; i++)
		t->levels[i][0] = rnd(2) * 4;
	n1 = solve_checked(t, &total, &first);
	n2 = solve_checked(t, &total, &again);
	expect_same_pairs(first, n1, again, n2);
	free(again);
	for (int round = 0; round < 5; round++) {
		shuffle(t->juniors, t->n_juniors);
		shuffle(t->seniors, t->n_seniors);
		n2 = solve_checked(t, &total, &again);
		expect_same_pairs(first, n1, again, n2);
		free(again);
	}
	free(first);
	inst_free(t);
}
END_TEST

/* The same people in another order of people[] give the same pairs by id. */
START_TEST(people_order_does_not_matter)
{
	struct inst *t = random_inst(777, 30, 70, 20, 1), *u = inst_new(t->n_people);
	size_t n = t->n_people, *perm = malloc(n * sizeof(*perm)), *inv = malloc(n * sizeof(*inv));
	struct match_pair *a, *b;
	size_t na, nb;
	long total;
	use_solver(_i);
	for (size_t i = 0; i < n; i++)
		t->levels[i][0] = rnd(2) * 4;
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	shuffle(perm, n); /* u's person i is t's person perm[i] */
	for (size_t i = 0; i < n; i++)
		inv[perm[i]] = i;
	u->cf = t->cf;
	u->cf.areas = u->areas;
	memcpy(u->areas, t->areas, sizeof(u->areas));
	for (size_t i = 0; i < n; i++) {
		const struct match_person *p = &t->people[perm[i]];
		memcpy(u->ids[i], t->ids[perm[i]], sizeof(u->ids[i]));
		memcpy(u->levels[i], t->levels[perm[i]], sizeof(u->levels[i]));
		person(u, i, p->cohort, p->manager == MATCH_NONE ? MATCH_NONE : inv[p->manager],
		       p->capacity, u->levels[i][0]);
	}
	for (size_t i = 0; i < t->n_juniors; i++)
		junior(u, inv[t->juniors[i]]);
	for (size_t i = 0; i < t->n_seniors; i++)
		senior(u, inv[t->seniors[i]]);
	na = solve_checked(t, &total, &a);
	nb = solve_checked(u, &total, &b);
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_str_eq(t->people[a[i].junior].id, u->people[b[i].junior].id);
		ck_assert_str_eq(t->people[a[i].senior].id, u->people[b[i].senior].id);
	}
	free(a);
	free(b);
	free(perm);
	free(inv);
	inst_free(t);
	inst_free(u);
}
END_TEST

/* --- a medium instance ------------------------------------------------------ */

/* A company: managers form a tree (a few levels), cohorts loosely follow rank. */
static struct inst *company(uint64_t seed, size_t nj, size_t ns)
{
	size_t n = nj + ns + ns / 4;
	struct inst *t = inst_new(n);
	rng_state = seed;
	t->cf.n_areas = 5;
	t->cf.min_score = 1;
	for (size_t i = 0; i < n; i++) {
		/* people after nj + ns are the upper management */
		t->people[i].manager = i == n - 1 ? MATCH_NONE : nj + ns + (size_t)rnd((int)(n - nj - ns));
		if (t->people[i].manager <= i)
			t->people[i].manager = i + 1 < n ? i + 1 : MATCH_NONE;
		if (i < nj && rnd(4) == 0) /* some juniors report to a senior */
			t->people[i].manager = nj + (size_t)rnd((int)ns);
		t->people[i].cohort = i < nj ? 2 + rnd(2) : rnd(3);
		t->people[i].capacity = i < nj ? 1 + rnd(3) : 0;
		for (size_t a = 0; a < 5; a++)
			t->levels[i][a] = i < nj ? 3 + rnd(6) : rnd(6);
	}
	for (size_t i = 0; i < nj; i++)
		junior(t, i);
	for (size_t i = 0; i < ns; i++)
		senior(t, nj + i);
	return t;
}

START_TEST(medium_instance_feasible)
{
	struct inst *t = company(99, 300, 600);
	struct match_pair *pairs;
	long total;
	size_t n = solve_checked(t, &total, &pairs);
	char *matched = calloc(t->n_people, 1);
	int *load = calloc(t->n_people, sizeof(*load));
	use_solver(_i);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		matched[pairs[i].senior] = 1;
		load[pairs[i].junior]++;
	}
	/* optimal implies maximal: no unmatched senior has an eligible junior with room */
	for (size_t k = 0; k < t->n_seniors; k++) {
		size_t s = t->seniors[k];
		int sc;
		if (matched[s])
			continue;
		for (size_t j = 0; j < t->n_juniors; j++)
			ck_assert(!ref_eligible(t, t->juniors[j], s, &sc) ||
				  load[t->juniors[j]] >= t->people[t->juniors[j]].capacity);
	}
	free(matched);
	free(load);
	free(pairs);
	inst_free(t);
}
END_TEST

/* --- keeping current pairs --------------------------------------------- */

/* Two juniors give the one senior the same score: the current mentor keeps it. */
START_TEST(current_pair_breaks_ties)
{
	struct inst *t = inst_new(3);
	size_t current[3] = {MATCH_NONE, MATCH_NONE, MATCH_NONE};
	struct match_pair *pairs;
	long total;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 1, 6);
	person(t, 1, 3, MATCH_NONE, 1, 6);
	person(t, 2, 0, MATCH_NONE, 0, 2);
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	for (size_t keep = 0; keep < 2; keep++) {
		current[2] = keep;
		t->in.current_mentor = current;
		ck_assert_uint_eq(solve_checked(t, &total, &pairs), 1);
		ck_assert_int_eq(total, 4);
		ck_assert_msg(has_pair(pairs, 1, keep, 2), "current mentor p%zu was not kept", keep);
		ck_assert_int_eq(pairs[0].score, 4);
		free(pairs);
	}
	inst_free(t);
}
END_TEST

/* A current pair gives way to a better score and to more seniors matched. */
START_TEST(current_pair_never_costs_score_or_seniors)
{
	struct inst *t = inst_new(4);
	size_t current[4] = {MATCH_NONE, MATCH_NONE, MATCH_NONE, MATCH_NONE};
	struct match_pair *pairs;
	long total;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 1, 8);
	person(t, 1, 3, MATCH_NONE, 1, 7);
	person(t, 2, 0, MATCH_NONE, 0, 2);
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	current[2] = 1; /* p1 gives 5, p0 gives 6 */
	t->in.current_mentor = current;
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 1);
	ck_assert(has_pair(pairs, 1, 0, 2));
	free(pairs);
	/* p3 reports to p1, so only p0 may mentor it; p0's current mentee p2 must move to p1 */
	person(t, 3, 0, 1, 0, 7);
	t->levels[1][0] = 6;
	senior(t, 3);
	current[2] = 0;
	ck_assert_uint_eq(solve_checked(t, &total, &pairs), 2);
	ck_assert(has_pair(pairs, 2, 0, 3) && has_pair(pairs, 2, 1, 2));
	free(pairs);
	inst_free(t);
}
END_TEST

/* On random instances, current pairs change neither the count nor the total. */
START_TEST(current_pairs_keep_the_optimum)
{
	use_solver(_i);
	for (uint64_t seed = 1; seed <= 300; seed++) {
		struct inst *t;
		struct match_pair *plain, *kept;
		size_t *current, n_plain, n_kept, n_current = 0;
		long total_plain, total_kept;
		rng_state = seed * 104729;
		t = random_inst(seed, 1 + (size_t)rnd(5), 1 + (size_t)rnd(7), (size_t)rnd(4), 1 + rnd(3));
		n_plain = solve_checked(t, &total_plain, &plain);
		current = calloc(t->n_people, sizeof(*current));
		for (size_t i = 0; i < t->n_people; i++)
			current[i] = MATCH_NONE;
		for (size_t s = 0; s < t->n_seniors && t->n_juniors; s++)
			if (rnd(2))
				current[t->seniors[s]] = t->juniors[(size_t)rnd((int)t->n_juniors)];
		t->in.current_mentor = current;
		n_kept = solve_checked(t, &total_kept, &kept);
		ck_assert_uint_eq(n_kept, n_plain);
		ck_assert_int_eq(total_kept, total_plain);
		for (size_t i = 0; i < n_kept; i++)
			n_current += current[kept[i].senior] == kept[i].junior;
		for (size_t i = 0, n_before = 0; i <= n_plain; i++) {
			if (i == n_plain)
				ck_assert_uint_ge(n_current, n_before);
			else
				n_before += current[plain[i].senior] == plain[i].junior;
		}
		free(current);
		free(plain);
		free(kept);
		inst_free(t);
	}
}
END_TEST

/* --- the engine against the oracle, with certification at work ------------ */

/* Random current mentors for about half the seniors; the caller frees. */
static size_t *random_current(struct inst *t)
{
	size_t *current = malloc((t->n_people + 1) * sizeof(*current));
	for (size_t i = 0; i < t->n_people; i++)
		current[i] = MATCH_NONE;
	for (size_t s = 0; s < t->n_seniors && t->n_juniors; s++)
		if (rnd(2))
			current[t->seniors[s]] = t->juniors[(size_t)rnd((int)t->n_juniors)];
	t->in.current_mentor = current;
	return current;
}

/*
 * The edge cases random instances share, by seed: coarse levels (many ties)
 * one seed in four; nobody with capacity, no cohort known, or a min_score
 * nobody reaches, one seed in fifty each. Returns 1 if one of the last
 * three was applied.
 */
static int shape_edge_cases(struct inst *t, uint64_t seed)
{
	if (seed % 4 == 0)
		for (size_t i = 0; i < t->n_people; i++)
			for (size_t a = 0; a < t->cf.n_areas; a++)
				t->levels[i][a] = rnd(3) * 3;
	for (size_t i = 0; seed % 50 == 0 && i < t->n_people; i++)
		t->people[i].capacity = 0;
	for (size_t i = 0; seed % 50 == 1 && i < t->n_people; i++)
		t->people[i].cohort = -1;
	if (seed % 50 == 2)
		t->cf.min_score = 1000;
	return seed % 50 <= 2;
}

/*
 * Hundreds of random instances, solved with one to three candidates per
 * senior so that the first graph is rarely enough: the engine must still
 * reach the oracle's optimum, certified. Every 50 seeds: all capacities 0,
 * everyone of unknown cohort, and no pair above min_score.
 */
START_TEST(engine_equals_oracle)
{
	size_t rounds_over_one = 0;
	for (uint64_t seed = 1; seed <= 500; seed++) {
		struct match_options opt = { .top_k = 1 + seed % 3, .add_k = 1 + seed % 2, .want_graph = 0 };
		struct match_stats st;
		struct match_pair *pairs;
		size_t n, *current;
		long total = 0;
		struct inst *t;
		rng_state = seed * 31337;
		t = random_inst(seed, 2 + (size_t)rnd(25), 2 + (size_t)rnd(60), (size_t)rnd(8),
				1 + rnd(5));
		if (!shape_edge_cases(t, seed) && seed % 3 != 0)
			random_rules(t);
		current = random_current(t);
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &st), 0);
		total = check_feasible(t, pairs, n);
		engine_matches_oracle(t, &opt, n, total, pairs);
		ck_assert(st.certified);
		if (seed % 50 <= 2) {
			ck_assert_uint_eq(n, 0);
			/* one rough round that finds nothing, then the exact one */
			ck_assert_uint_eq(st.rounds, 2);
		}
		rounds_over_one += st.rounds > 1;
		free(pairs);
		free(current);
		inst_free(t);
	}
	/* the small lists must really have made certification add pairs */
	ck_assert_uint_gt(rounds_over_one, 50);
}
END_TEST

/*
 * Certification adding at most one or two pairs per junior a round (the
 * scans then leave most of what they find out and rescan those seniors
 * whole): still the oracle's optimum, certified, and the limit must really
 * have left pairs out.
 */
START_TEST(engine_limits_pairs_per_junior)
{
	size_t limited = 0;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		struct match_options opt = { .top_k = 1 + seed % 2, .add_k = 2 + seed % 3,
					     .add_per_junior = 1 + seed % 2 };
		struct match_options loose = opt;
		struct match_stats st, st_loose;
		struct match_pair *pairs;
		size_t n, n_loose, *current;
		long total;
		struct inst *t;
		rng_state = seed * 9973;
		t = random_inst(seed, 2 + (size_t)rnd(15), 10 + (size_t)rnd(60), (size_t)rnd(8), 1 + rnd(5));
		if (seed % 3 == 0)
			for (size_t i = 0; i < t->n_people; i++)
				for (size_t a = 0; a < t->cf.n_areas; a++)
					t->levels[i][a] = rnd(3) * 3;
		if (seed % 2)
			random_rules(t);
		current = random_current(t);
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &st), 0);
		total = check_feasible(t, pairs, n);
		engine_matches_oracle(t, &opt, n, total, pairs);
		ck_assert(st.certified);
		free(pairs);
		loose.add_per_junior = 1000;
		ck_assert_int_eq(match_solve_stats(input(t), &loose, &pairs, &n_loose, &st_loose), 0);
		limited += st.rounds > st_loose.rounds;
		free(pairs);
		free(current);
		inst_free(t);
	}
	ck_assert_uint_gt(limited, 20);
}
END_TEST

/* Areas the senior teaches (leadership, business) score the other way round: engine, oracle and model agree. */
START_TEST(engine_scores_both_directions)
{
	size_t reverse_pairs = 0;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct match_options opt = { .top_k = 1 + seed % 3, .add_k = 1 + seed % 2, .want_graph = 0 };
		struct match_stats st;
		struct match_pair *pairs;
		size_t n;
		long total;
		struct inst *t;
		rng_state = seed * 7717;
		t = random_inst(seed, 2 + (size_t)rnd(20), 2 + (size_t)rnd(40), (size_t)rnd(6), 3);
		t->areas[1].direction = CONF_DIR_LEADERSHIP;
		t->areas[2].direction = CONF_DIR_BUSINESS;
		t->areas[1].weight = 5;
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &st), 0);
		total = check_feasible(t, pairs, n);
		engine_matches_oracle(t, &opt, n, total, pairs);
		ck_assert(st.certified);
		for (size_t i = 0; i < n; i++) {
			const int *lj = t->people[pairs[i].junior].levels, *ls = t->people[pairs[i].senior].levels;
			ck_assert_int_eq(pairs[i].score, model_pair_score(&t->cf, lj, ls));
			reverse_pairs += model_pair_term(&t->cf, 1, lj, ls) > 0;
		}
		free(pairs);
		inst_free(t);
	}
	ck_assert_uint_gt(reverse_pairs, 100);
}
END_TEST

/* A company where one candidate per senior is far from enough. */
START_TEST(engine_certifies_medium_company)
{
	struct inst *t = company(99, 300, 600);
	struct match_options opt = { .top_k = 1, .add_k = 2, .want_graph = 1 };
	struct match_stats st;
	struct match_pair *pairs;
	size_t n, *current = random_current(t);
	long total;
	ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &st), 0);
	total = check_feasible(t, pairs, n);
	engine_matches_oracle(t, &opt, n, total, pairs);
	ck_assert(st.certified);
	ck_assert_uint_gt(st.rounds, 1);
	ck_assert_uint_gt(st.added, 0);
	ck_assert(st.graph != NULL);
	ck_assert_uint_eq(st.n_graph, st.candidates);
	for (size_t i = 0; i < st.n_graph; i++)
		ck_assert(st.graph[i].weight > st.big);
	free(st.graph);
	free(pairs);
	free(current);
	inst_free(t);
}
END_TEST

/*
 * The round log adds up: each round solves the last graph plus what its
 * scan added, the last adds nothing. A graph built from scratch grows in
 * rough rounds first, and only exact rounds follow the first exact one;
 * started from an earlier graph, every round is exact.
 */
START_TEST(engine_logs_its_rounds)
{
	struct inst *t = company(99, 300, 600);
	struct match_options opt = { .top_k = 1, .add_k = 2, .want_rounds = 1, .want_graph = MATCH_GRAPH_TIGHT };
	struct match_stats st, plain, again;
	struct match_pair *pairs;
	size_t n, added = 0, n_rough = 0;
	double solve = 0, certify = 0;
	ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &st), 0);
	free(pairs);
	for (unsigned r = 0; r < st.rounds; r++) {
		n_rough += st.round_log[r].rough != 0;
		if (r > 0 && st.round_log[r].rough)
			ck_assert(st.round_log[r - 1].rough);
	}
	ck_assert(st.round_log[0].rough);
	ck_assert(!st.round_log[st.rounds - 1].rough);
	ck_assert_uint_lt(n_rough, st.rounds);
	opt.graph_in = st.graph;
	opt.n_graph_in = st.n_graph;
	ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &again), 0);
	free(pairs);
	ck_assert(again.certified);
	ck_assert_uint_eq(again.matched, st.matched);
	ck_assert_int_eq(again.total_score, st.total_score);
	for (unsigned r = 0; r < again.rounds; r++)
		ck_assert(!again.round_log[r].rough);
	free(again.round_log);
	free(again.graph);
	opt.graph_in = NULL;
	opt.n_graph_in = 0;
	opt.want_graph = 0;
	ck_assert(st.certified);
	ck_assert_uint_gt(st.rounds, 2);
	ck_assert(st.round_log != NULL);
	for (unsigned r = 0; r < st.rounds; r++) {
		const struct match_round *x = &st.round_log[r];
		if (r > 0)
			ck_assert_uint_eq(x->candidates, st.round_log[r - 1].candidates + st.round_log[r - 1].added);
		ck_assert_uint_le(x->matched, 600);
		ck_assert(x->sec_solve >= 0 && x->sec_certify >= 0);
		added += x->added;
		solve += x->sec_solve;
		certify += x->sec_certify;
	}
	ck_assert_uint_gt(st.round_log[0].added, 0);
	ck_assert_uint_eq(st.round_log[st.rounds - 1].added, 0);
	ck_assert_uint_eq(st.round_log[st.rounds - 1].candidates, st.candidates);
	ck_assert_uint_eq(st.round_log[st.rounds - 1].matched, st.matched);
	ck_assert_uint_eq(added, st.added);
	ck_assert(solve > st.sec_solve - 1e-9 && solve < st.sec_solve + 1e-9);
	ck_assert(certify > st.sec_certify - 1e-9 && certify < st.sec_certify + 1e-9);
	/* not asked for: none; asked for without stats: nothing leaks (the sanitizer run) */
	opt.want_rounds = 0;
	ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &plain), 0);
	free(pairs);
	ck_assert(plain.round_log == NULL);
	ck_assert_uint_eq(plain.rounds, st.rounds);
	opt.want_rounds = 1;
	opt.want_graph = MATCH_GRAPH_ALL;
	ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, NULL), 0);
	free(pairs);
	free(st.round_log);
	free(st.graph);
	inst_free(t);
}
END_TEST

/* Shuffled input arrays: the same pairs and the same rounds. */
START_TEST(engine_deterministic_under_shuffles)
{
	struct inst *t = company(7, 120, 260);
	struct match_options opt = { .top_k = 2, .add_k = 1, .want_graph = 0 };
	struct match_stats st0, st;
	struct match_pair *first, *again;
	size_t n1, n2, *current;
	for (size_t i = 0; i < t->n_people; i++)
		t->levels[i][0] = rnd(2) * 4;
	current = random_current(t);
	ck_assert_int_eq(match_solve_stats(input(t), &opt, &first, &n1, &st0), 0);
	for (int round = 0; round < 5; round++) {
		shuffle(t->juniors, t->n_juniors);
		shuffle(t->seniors, t->n_seniors);
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &again, &n2, &st), 0);
		expect_same_pairs(first, n1, again, n2);
		ck_assert_uint_eq(st.rounds, st0.rounds);
		ck_assert_uint_eq(st.candidates, st0.candidates);
		ck_assert(st.certified);
		free(again);
	}
	free(first);
	free(current);
	inst_free(t);
}
END_TEST

/*
 * One cycle's prices start the next: after a change (levels moved, a
 * junior gone), the warm solve must equal the cold one and the oracle,
 * certified, whatever the prices say; garbage prices too.
 */
START_TEST(engine_warm_start_from_last_prices)
{
	size_t warm_runs = 0;
	for (uint64_t seed = 1; seed <= 150; seed++) {
		struct match_options opt = { .top_k = 1 + seed % 3, .add_k = 1 + seed % 2, .want_prices = 1 };
		struct match_stats first, cold, warm;
		struct match_pair *pairs;
		size_t n_cold, n_warm;
		long total;
		struct inst *t;
		rng_state = seed * 4243;
		t = random_inst(seed, 2 + (size_t)rnd(25), 2 + (size_t)rnd(60), (size_t)rnd(8), 1 + rnd(4));
		if (seed % 2)
			random_rules(t);
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n_cold, &first), 0);
		free(pairs);
		ck_assert_ptr_nonnull(first.prices);
		/* the next cycle: some levels move, one junior leaves */
		for (size_t i = 0; i < t->n_people; i++)
			if (rnd(4) == 0)
				t->levels[i][0] = rnd(9);
		if (t->n_juniors > 1)
			t->juniors[0] = t->juniors[--t->n_juniors];
		if (seed % 10 == 0) /* garbage */
			for (size_t i = 0; i < t->n_people; i++)
				first.prices[i] = (long long)rnd(1000000) - 1000;
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n_cold, &cold), 0);
		free(pairs);
		opt.prices_in = first.prices;
		opt.prices_in_big = first.big;
		opt.prices_in_tie = first.tie_scale;
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n_warm, &warm), 0);
		total = check_feasible(t, pairs, n_warm);
		engine_matches_oracle(t, NULL, n_warm, total, pairs);
		ck_assert(warm.certified);
		ck_assert_uint_eq(n_warm, n_cold);
		ck_assert_int_eq(warm.total_score, cold.total_score);
		ck_assert_uint_eq(warm.current_kept, cold.current_kept);
		warm_runs += warm.warm;
		free(pairs);
		free(first.prices);
		free(cold.prices);
		free(warm.prices);
		inst_free(t);
	}
	ck_assert_uint_gt(warm_runs, 100);
}
END_TEST

/* --- several mentors per senior ---------------------------------------------- */

/* A result's tiers: seniors matched, pairs, total score, current pairs kept. */
struct tiers {
	size_t matched, pairs;
	long total;
	size_t kept;
};

/* Whether (j, s) is current: t->in.current_mentor or t->in.current (searched plainly). */
static int ref_current(const struct inst *t, size_t j, size_t s)
{
	if (t->in.current_mentor && t->in.current_mentor[s] == j)
		return 1;
	for (size_t i = 0; i < t->in.n_current; i++)
		if (t->in.current[i].junior == j && t->in.current[i].senior == s)
			return 1;
	return 0;
}

/*
 * Checks a result with up to units mentors per senior: every pair eligible
 * with its score, a pair at most once, no senior over units, no junior over
 * capacity, sorted by senior id then junior id; returns its tiers.
 */
static struct tiers check_feasible_multi(const struct inst *t, const struct match_pair *pairs, size_t n,
					 size_t units)
{
	int *load = calloc(t->n_people + 1, sizeof(*load));
	struct tiers r = { 0, n, 0, 0 };
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = pairs[i].junior, s = pairs[i].senior;
		int score = -1;
		ck_assert(j < t->n_people && s < t->n_people);
		ck_assert_msg(ref_eligible(t, j, s, &score) || pairs[i].pinned, "pair %s->%s not eligible",
			      t->ids[j], t->ids[s]);
		if (!pairs[i].pinned)
			ck_assert_int_eq(pairs[i].score, score);
		ck_assert_msg(++load[j] <= t->people[j].capacity, "junior %s over capacity", t->ids[j]);
		if (i > 0) {
			int c = strcmp(t->people[pairs[i - 1].senior].id, t->people[s].id);
			ck_assert_msg(c < 0 || (c == 0 && strcmp(t->people[pairs[i - 1].junior].id,
								 t->people[j].id) < 0),
				      "pairs out of order or listed twice at %zu", i);
		}
		run = i > 0 && pairs[i - 1].senior == s ? run + 1 : 1;
		ck_assert_msg(run <= units, "senior %s has more than %zu mentors", t->ids[s], units);
		r.matched += run == 1;
		r.total += pairs[i].score;
		r.kept += (size_t)ref_current(t, j, s);
	}
	free(load);
	return r;
}

static int tiers_better(const struct tiers *a, const struct tiers *b)
{
	if (a->matched != b->matched)
		return a->matched > b->matched;
	if (a->pairs != b->pairs)
		return a->pairs > b->pairs;
	if (a->total != b->total)
		return a->total > b->total;
	return a->kept > b->kept;
}

static void expect_tiers(const struct tiers *got, const struct tiers *want, const char *what, uint64_t seed)
{
	ck_assert_msg(got->matched == want->matched && got->pairs == want->pairs && got->total == want->total &&
			      got->kept == want->kept,
		      "%s, seed %llu: %zu seniors, %zu pairs, score %ld, %zu kept; want %zu, %zu, %ld, %zu", what,
		      (unsigned long long)seed, got->matched, got->pairs, got->total, got->kept, want->matched,
		      want->pairs, want->total, want->kept);
}

/* Some current pairs, several per senior, sorted by (senior, junior), in t->in.current. */
static struct match_pin *random_current_list(struct inst *t)
{
	size_t n = 0, cap = t->n_seniors * t->n_juniors + 1;
	struct match_pin *cur = malloc(cap * sizeof(*cur));
	size_t *order = malloc((t->n_seniors + 1) * sizeof(*order));
	memcpy(order, t->seniors, t->n_seniors * sizeof(*order));
	/* by senior index: insertion sort, the lists are small */
	for (size_t i = 1; i < t->n_seniors; i++)
		for (size_t k = i; k > 0 && order[k - 1] > order[k]; k--) {
			size_t tmp = order[k];
			order[k] = order[k - 1];
			order[k - 1] = tmp;
		}
	for (size_t i = 0; i < t->n_seniors; i++)
		for (size_t j = 0; j < t->n_people; j++) {
			int is_junior = 0;
			for (size_t k = 0; k < t->n_juniors; k++)
				is_junior |= t->juniors[k] == j;
			if (is_junior && rnd(6) == 0)
				cur[n++] = (struct match_pin){ j, order[i] };
		}
	free(order);
	t->in.current = cur;
	t->in.n_current = n;
	return cur;
}

/* Solve with the engine and the oracle; both feasible, the same tiers, the engine certified. */
static struct tiers engine_and_oracle_multi(struct inst *t, const struct match_options *opt, size_t units,
					    uint64_t seed)
{
	struct match_pair *pairs, *want;
	struct match_stats st;
	size_t n, n_want;
	struct tiers got, ref;
	ck_assert_int_eq(match_solve_stats(input(t), opt, &pairs, &n, &st), 0);
	got = check_feasible_multi(t, pairs, n, units);
	ck_assert_int_eq(match_exact_solve(input(t), &want, &n_want), 0);
	ref = check_feasible_multi(t, want, n_want, units);
	expect_tiers(&got, &ref, "engine vs oracle", seed);
	ck_assert_msg(st.certified, "seed %llu: not certified", (unsigned long long)seed);
	ck_assert_uint_eq(st.matched, got.matched);
	ck_assert_uint_eq(st.pairs, got.pairs);
	ck_assert_int_eq(st.total_score, got.total);
	ck_assert_uint_eq(st.current_kept, got.kept);
	free(pairs);
	free(want);
	return got;
}

/*
 * Hundreds of random instances with 2 and 3 mentors per senior, small
 * candidate lists so that certification must add pairs: the engine reaches
 * the oracle's tiers, certified. Every 50 seeds: all capacities 0, everyone
 * of unknown cohort, no pair above min_score, everyone on a ban.
 */
START_TEST(multi_engine_equals_oracle)
{
	size_t units = 2 + (size_t)_i, rounds_over_one = 0, more_pairs = 0;
	for (uint64_t seed = 1; seed <= 300; seed++) {
		struct match_options opt = { .top_k = 1 + seed % 3, .add_k = 1 + seed % 2, .want_graph = 0 };
		struct match_stats st;
		struct match_pair *pairs;
		size_t n, *current = NULL;
		struct match_pin *cur = NULL;
		struct tiers got;
		struct inst *t;
		rng_state = seed * 7717 + units;
		t = random_inst(seed * 3 + units, 2 + (size_t)rnd(14), 2 + (size_t)rnd(25), (size_t)rnd(6),
				1 + rnd(4));
		t->rules.mentors_per_senior = (int)units;
		shape_edge_cases(t, seed);
		if (seed % 50 == 3) {
			t->n_bans = 0;
			for (size_t j = 0; j < t->n_people; j++)
				for (size_t s = 0; s < t->n_people; s++)
					t->bans[t->n_bans++] = (struct match_ban){ j, s, MATCH_BAN_FORBID };
		} else if (seed % 50 > 3 && seed % 3 != 0) {
			random_rules(t);
			t->rules.mentors_per_senior = (int)units;
		}
		if (seed % 3 == 1)
			current = random_current(t);
		if (seed % 3 != 0)
			cur = random_current_list(t);
		got = engine_and_oracle_multi(t, &opt, units, seed);
		if (seed % 50 <= 3)
			ck_assert_uint_eq(got.pairs, 0);
		more_pairs += got.pairs > got.matched;
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &st), 0);
		rounds_over_one += st.rounds > 1;
		free(pairs);
		free(current);
		free(cur);
		t->in.current = NULL;
		t->in.n_current = 0;
		inst_free(t);
	}
	/* the instances must really have given seniors several mentors, and certification work to do */
	ck_assert_uint_gt(more_pairs, 100);
	ck_assert_uint_gt(rounds_over_one, 30);
}
END_TEST

/* Every set of eligible pairs of a tiny instance, the best by the tiers. */
static struct tiers brute_multi(const struct inst *t, size_t units)
{
	size_t np = 0, pj[64], ps[64];
	int sc[64];
	struct tiers best = { 0, 0, 0, 0 };
	for (size_t k = 0; k < t->n_seniors; k++)
		for (size_t i = 0; i < t->n_juniors; i++) {
			int score;
			if (ref_eligible(t, t->juniors[i], t->seniors[k], &score) && np < 64) {
				pj[np] = t->juniors[i];
				ps[np] = t->seniors[k];
				sc[np++] = score;
			}
		}
	ck_assert_uint_le(np, 20);
	for (unsigned long mask = 0; mask < (1UL << np); mask++) {
		int load[64] = { 0 }, room[64] = { 0 };
		struct tiers r = { 0, 0, 0, 0 };
		int ok = 1;
		for (size_t e = 0; e < np && ok; e++) {
			size_t sk = 0;
			if (!(mask >> e & 1))
				continue;
			while (t->seniors[sk] != ps[e])
				sk++;
			ok = ++load[pj[e]] <= t->people[pj[e]].capacity && (size_t)++room[sk] <= units;
			r.matched += room[sk] == 1;
			r.pairs++;
			r.total += sc[e];
			r.kept += (size_t)ref_current(t, pj[e], ps[e]);
		}
		if (ok && tiers_better(&r, &best))
			best = r;
	}
	return best;
}

/* Tiny instances with 2, 3 or 1000 mentors per senior: engine and oracle reach the brute force's tiers. */
START_TEST(multi_brute_force)
{
	for (uint64_t seed = 1; seed <= 400; seed++) {
		size_t units = seed % 7 == 0 ? 1000 : 2 + seed % 2; /* 1000: more places than juniors */
		struct inst *t;
		struct tiers want, got;
		struct match_pin *cur;
		rng_state = seed * 104729;
		t = random_inst(seed, (size_t)rnd(4), (size_t)rnd(5), (size_t)rnd(3), 1 + rnd(2));
		if (seed % 2 == 0)
			random_rules(t);
		t->rules.mentors_per_senior = (int)units;
		for (size_t i = 0; seed % 50 == 0 && i < t->n_people; i++)
			t->people[i].capacity = 0;
		input(t);
		cur = random_current_list(t);
		/* keep the brute force small: at most 20 eligible pairs */
		{
			size_t np = 0;
			for (size_t k = 0; k < t->n_seniors; k++)
				for (size_t i = 0; i < t->n_juniors; i++) {
					int score;
					np += (size_t)ref_eligible(t, t->juniors[i], t->seniors[k], &score);
				}
			if (np > 20) {
				free(cur);
				inst_free(t);
				continue;
			}
		}
		want = brute_multi(t, units);
		got = engine_and_oracle_multi(t, NULL, units, seed);
		expect_tiers(&got, &want, "engine vs brute force", seed);
		free(cur);
		inst_free(t);
	}
}
END_TEST

/*
 * One junior with room for three, one senior who may take two: a copy of
 * the senior per place would let the junior take both; exactly one pair.
 * With a second junior the senior gets two distinct mentors.
 */
START_TEST(multi_no_pair_twice)
{
	struct inst *t = inst_new(3);
	struct match_pair *pairs;
	size_t n;
	use_solver(_i);
	person(t, 0, 3, MATCH_NONE, 3, 8);
	person(t, 1, 0, MATCH_NONE, 0, 0);
	person(t, 2, 3, MATCH_NONE, 3, 8);
	junior(t, 0);
	senior(t, 1);
	t->rules.mentors_per_senior = 2;
	ck_assert_int_eq(solver(input(t), &pairs, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(has_pair(pairs, n, 0, 1));
	check_feasible_multi(t, pairs, n, 2);
	free(pairs);
	junior(t, 2);
	ck_assert_int_eq(solver(input(t), &pairs, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_pair(pairs, n, 0, 1) && has_pair(pairs, n, 2, 1));
	check_feasible_multi(t, pairs, n, 2);
	free(pairs);
	inst_free(t);
}
END_TEST

/* Seniors first, then pairs: a second mentor never costs another senior its only one. */
START_TEST(multi_seniors_before_pairs)
{
	struct inst *t = inst_new(4);
	struct match_pair *pairs;
	size_t n;
	use_solver(_i);
	/* juniors 0 and 1 (one place each) score 8 with senior 2, 1 with senior 3 */
	person(t, 0, 3, MATCH_NONE, 1, 8);
	person(t, 1, 3, MATCH_NONE, 1, 8);
	person(t, 2, 0, MATCH_NONE, 0, 0);
	person(t, 3, 0, MATCH_NONE, 0, 7);
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	senior(t, 3);
	t->rules.mentors_per_senior = 2;
	ck_assert_int_eq(solver(input(t), &pairs, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_pair(pairs, n, 0, 2) || has_pair(pairs, n, 1, 2));
	ck_assert(has_pair(pairs, n, 0, 3) || has_pair(pairs, n, 1, 3));
	free(pairs);
	/* with room for two each, both juniors take both seniors */
	t->people[0].capacity = t->people[1].capacity = 2;
	ck_assert_int_eq(solver(input(t), &pairs, &n), 0);
	ck_assert_uint_eq(n, 4);
	check_feasible_multi(t, pairs, n, 2);
	free(pairs);
	inst_free(t);
}
END_TEST

/* Up to N pins per senior, a pair pinned twice kept once; the engine fills the places left. */
START_TEST(multi_pins)
{
	struct inst *t = inst_new(7);
	struct match_pin pins[5];
	struct match_pair *pairs;
	struct match_stats st;
	size_t n;
	for (size_t j = 0; j < 4; j++) {
		person(t, j, 3, MATCH_NONE, 2, 8 - (int)j);
		junior(t, j);
	}
	person(t, 4, 0, MATCH_NONE, 0, 0);
	person(t, 5, 0, MATCH_NONE, 0, 0);
	person(t, 6, 0, MATCH_NONE, 0, 0);
	senior(t, 4);
	senior(t, 5);
	senior(t, 6);
	t->rules.mentors_per_senior = 2;
	t->cf.min_score = 6; /* juniors 3 (level 5) may only be pinned */
	pins[0] = (struct match_pin){ 3, 4 };
	pins[1] = (struct match_pin){ 2, 4 };
	pins[2] = (struct match_pin){ 1, 4 }; /* by junior id the first: juniors 1 and 2 are kept, 3 finds no room */
	pins[3] = (struct match_pin){ 3, 5 };
	pins[4] = (struct match_pin){ 3, 5 }; /* the same pair again: kept once */
	t->in.pins = pins;
	t->in.n_pins = 5;
	ck_assert_int_eq(match_solve_stats(input(t), NULL, &pairs, &n, &st), 0);
	check_feasible_multi(t, pairs, n, 2);
	ck_assert_uint_eq(st.pinned, 3);
	ck_assert(has_pair(pairs, n, 1, 4) && has_pair(pairs, n, 2, 4));
	ck_assert(!has_pair(pairs, n, 3, 4));
	ck_assert(has_pair(pairs, n, 3, 5));
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(pairs[i].pinned, pairs[i].senior == 4 || (pairs[i].senior == 5 && pairs[i].junior == 3));
	/* senior 5 keeps its pin and gets one more from the engine; senior 6 gets two */
	ck_assert_uint_eq(n, 3 + 1 + 2);
	ck_assert_uint_eq(st.matched, 3);
	ck_assert_uint_eq(st.pairs, 6);
	free(pairs);
	inst_free(t);
}
END_TEST

/* match_why with two mentors per senior: a senior is taken once it has two. */
START_TEST(multi_why)
{
	struct inst *t = inst_new(5);
	struct match_pair pairs[3];
	struct match_why why;
	for (size_t j = 0; j < 3; j++) {
		person(t, j, 3, MATCH_NONE, 1, 8);
		junior(t, j);
	}
	person(t, 3, 0, MATCH_NONE, 0, 0);
	person(t, 4, 0, MATCH_NONE, 0, 0);
	senior(t, 3);
	senior(t, 4);
	t->rules.mentors_per_senior = 2;
	pairs[0] = (struct match_pair){ 0, 3, 8, 0 };
	pairs[1] = (struct match_pair){ 1, 3, 8, 0 };
	pairs[2] = (struct match_pair){ 2, 4, 8, 0 };
	/* junior 2 sees senior 3 full (two mentors), senior 4 not (one) */
	match_why(input(t), 2, 1, pairs, 3, &why);
	ck_assert_uint_eq(why.counts[MATCH_OK], 2);
	ck_assert_uint_eq(why.taken, 1);
	/* with one mentor per senior both are full */
	t->rules.mentors_per_senior = 1;
	match_why(input(t), 2, 1, pairs, 3, &why);
	ck_assert_uint_eq(why.taken, 2);
	/* a senior's view: juniors 0, 1 and 2 are all at capacity */
	t->rules.mentors_per_senior = 2;
	match_why(input(t), 4, 0, pairs, 3, &why);
	ck_assert_uint_eq(why.counts[MATCH_OK], 3);
	ck_assert_uint_eq(why.taken, 3);
	inst_free(t);
}
END_TEST

/* Same input, same pairs: again, and with the input arrays shuffled; many ties. */
START_TEST(multi_deterministic)
{
	struct inst *t = random_inst(5151, 30, 60, 10, 1);
	struct match_pair *first, *again;
	size_t n1, n2;
	t->rules.mentors_per_senior = 2 + _i;
	for (size_t i = 0; i < t->n_people; i++)
		t->levels[i][0] = rnd(2) * 4;
	ck_assert_int_eq(match_solve(input(t), &first, &n1), 0);
	check_feasible_multi(t, first, n1, 2 + (size_t)_i);
	for (int round = 0; round < 5; round++) {
		ck_assert_int_eq(match_solve(input(t), &again, &n2), 0);
		expect_same_pairs(first, n1, again, n2);
		free(again);
		shuffle(t->juniors, t->n_juniors);
		shuffle(t->seniors, t->n_seniors);
	}
	free(first);
	inst_free(t);
}
END_TEST

/* A next cycle with several mentors, from the last prices and tight graph (some garbage): the same tiers as cold. */
START_TEST(multi_warm_start_from_last_cycle)
{
	size_t warm_runs = 0;
	for (uint64_t seed = 1; seed <= 120; seed++) {
		struct match_options opt = { .top_k = 1 + seed % 3, .add_k = 1 + seed % 2, .want_prices = 1,
					     .want_graph = MATCH_GRAPH_TIGHT };
		struct match_stats first, cold, warm;
		struct match_pair *pairs;
		size_t n, units = 2 + seed % 2;
		struct tiers tc, tw;
		struct inst *t;
		rng_state = seed * 6151;
		t = random_inst(seed, 2 + (size_t)rnd(14), 2 + (size_t)rnd(25), (size_t)rnd(6), 1 + rnd(3));
		if (seed % 2)
			random_rules(t);
		t->rules.mentors_per_senior = (int)units;
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &first), 0);
		/* every pair of the result is in the tight graph */
		for (size_t i = 0; i < n; i++) {
			int found = 0;
			for (size_t k = 0; k < first.n_graph; k++)
				found |= first.graph[k].junior == pairs[i].junior && first.graph[k].senior == pairs[i].senior;
			ck_assert_msg(found, "seed %llu: pair %zu not in the tight graph", (unsigned long long)seed, i);
		}
		free(pairs);
		for (size_t i = 0; i < t->n_people; i++)
			if (rnd(4) == 0)
				t->levels[i][0] = rnd(9);
		if (t->n_juniors > 1)
			t->juniors[0] = t->juniors[--t->n_juniors];
		if (seed % 10 == 0)
			for (size_t i = 0; i < t->n_people; i++)
				first.prices[i] = (long long)rnd(1000000) - 1000;
		opt.want_graph = 0;
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &cold), 0);
		tc = check_feasible_multi(t, pairs, n, units);
		free(pairs);
		opt.prices_in = first.prices;
		opt.prices_in_big = first.big;
		opt.prices_in_tie = first.tie_scale;
		opt.graph_in = first.graph;
		opt.n_graph_in = first.n_graph;
		ck_assert_int_eq(match_solve_stats(input(t), &opt, &pairs, &n, &warm), 0);
		tw = check_feasible_multi(t, pairs, n, units);
		expect_tiers(&tw, &tc, "warm vs cold", seed);
		ck_assert(warm.certified && cold.certified);
		warm_runs += warm.warm;
		free(pairs);
		free(first.prices);
		free(first.graph);
		free(cold.prices);
		free(warm.prices);
		inst_free(t);
	}
	ck_assert_uint_gt(warm_runs, 80);
}
END_TEST

/*
 * One mentor per senior stays as it was: mentors_per_senior 0 and 1 give the
 * same pairs, and current pairs given as a list equal the same ones given
 * per person.
 */
START_TEST(one_mentor_unchanged)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct inst *t;
		struct match_pair *a, *b, *c;
		struct match_pin *list;
		size_t na, nb, nc, *current, nl = 0;
		rng_state = seed * 4111;
		t = random_inst(seed, 2 + (size_t)rnd(20), 2 + (size_t)rnd(40), (size_t)rnd(5), 1 + rnd(3));
		random_rules(t);
		current = random_current(t);
		t->rules.mentors_per_senior = 0;
		ck_assert_int_eq(match_solve(input(t), &a, &na), 0);
		t->rules.mentors_per_senior = 1;
		ck_assert_int_eq(match_solve(input(t), &b, &nb), 0);
		expect_same_pairs(a, na, b, nb);
		/* the same current pairs as a sorted list */
		list = malloc((t->n_people + 1) * sizeof(*list));
		for (size_t s = 0; s < t->n_people; s++)
			if (current[s] != MATCH_NONE)
				list[nl++] = (struct match_pin){ current[s], s };
		t->in.current_mentor = NULL;
		t->in.current = list;
		t->in.n_current = nl;
		ck_assert_int_eq(match_solve(input(t), &c, &nc), 0);
		expect_same_pairs(a, na, c, nc);
		free(a);
		free(b);
		free(c);
		free(list);
		free(current);
		inst_free(t);
	}
}
END_TEST

/* A current list that is not sorted, lists a pair twice or names no one is malformed. */
START_TEST(multi_current_malformed)
{
	struct inst *t = inst_new(4);
	struct match_pin cur[2] = { { 0, 3 }, { 1, 2 } };
	struct match_pair *pairs;
	size_t n;
	junior(t, 0);
	junior(t, 1);
	senior(t, 2);
	senior(t, 3);
	t->in.current = cur;
	t->in.n_current = 2;
	ck_assert_int_eq(match_solve(input(t), &pairs, &n), -1);
	cur[1] = (struct match_pin){ 0, 3 };
	ck_assert_int_eq(match_solve(input(t), &pairs, &n), -1);
	cur[1] = (struct match_pin){ 9, 3 };
	ck_assert_int_eq(match_solve(input(t), &pairs, &n), -1);
	cur[0] = (struct match_pin){ 1, 2 };
	cur[1] = (struct match_pin){ 0, 3 };
	ck_assert_int_eq(match_solve(input(t), &pairs, &n), 0);
	free(pairs);
	inst_free(t);
}
END_TEST

/* The same solve on threads threads; *pairs and *st the caller's to free and read. */
static size_t solve_threads(struct inst *t, size_t threads, size_t top_k, size_t add_k,
			    struct match_pair **pairs, struct match_stats *st)
{
	struct match_options opt = { .top_k = top_k, .add_k = add_k, .threads = threads,
				     .add_per_junior = 1 + add_k % 2 };
	size_t n;
	ck_assert_int_eq(match_solve_stats(input(t), &opt, pairs, &n, st), 0);
	ck_assert(st->certified);
	return n;
}

/* The solves on 1 and on several threads: the same pairs, graph and rounds; returns the rounds. */
static unsigned expect_same_any_threads(struct inst *t, size_t top_k, size_t add_k, uint64_t seed)
{
	struct match_pair *one, *many;
	struct match_stats st1, st;
	size_t n1 = solve_threads(t, 1, top_k, add_k, &one, &st1);
	for (size_t threads = 2; threads <= 5; threads += 3) {
		size_t n = solve_threads(t, threads, top_k, add_k, &many, &st);
		ck_assert_msg(n == n1, "seed %llu, %zu threads: %zu pairs, 1 thread: %zu",
			      (unsigned long long)seed, threads, n, n1);
		expect_same_pairs(one, n1, many, n);
		ck_assert_uint_eq(st.rounds, st1.rounds);
		ck_assert_uint_eq(st.candidates, st1.candidates);
		ck_assert_uint_eq(st.added, st1.added);
		free(many);
	}
	free(one);
	return st1.rounds;
}

/*
 * Random instances and companies, with short candidate lists so that the
 * scans add pairs over several rounds: one thread and several give the
 * same pairs.
 */
START_TEST(engine_same_pairs_any_thread_count)
{
	size_t rounds_over_one = 0;
	for (uint64_t seed = 1; seed <= 120; seed++) {
		struct inst *t;
		size_t *current;
		rng_state = seed * 6007;
		if (seed % 10 == 0)
			t = company(seed, 60 + (size_t)rnd(80), 150 + (size_t)rnd(200));
		else
			t = random_inst(seed, 2 + (size_t)rnd(30), 2 + (size_t)rnd(90), (size_t)rnd(8), 1 + rnd(5));
		if (seed % 4 == 0) /* many equal scores */
			for (size_t i = 0; i < t->n_people; i++)
				t->levels[i][0] = rnd(2) * 4;
		if (seed % 10 != 0 && seed % 3 != 0)
			random_rules(t);
		current = random_current(t);
		rounds_over_one += expect_same_any_threads(t, 1 + seed % 3, 1 + seed % 2, seed) > 1;
		free(current);
		inst_free(t);
	}
	ck_assert_uint_gt(rounds_over_one, 30);
}
END_TEST

static Suite *match_suite(void)
{
	Suite *s = suite_create("match");
	TCase *tc = tcase_create("constraints");
	tcase_add_loop_test(tc, capacity_limits_a_junior, 0, 2);
	tcase_add_loop_test(tc, current_pair_breaks_ties, 0, 2);
	tcase_add_loop_test(tc, current_pair_never_costs_score_or_seniors, 0, 2);
	tcase_add_loop_test(tc, current_pairs_keep_the_optimum, 0, 2);
	tcase_add_loop_test(tc, one_mentor_per_senior, 0, 2);
	tcase_add_loop_test(tc, chain_direct, 0, 2);
	tcase_add_loop_test(tc, chain_deep, 0, 2);
	tcase_add_loop_test(tc, chain_cycles_terminate, 0, 2);
	tcase_add_loop_test(tc, cohort_rule, 0, 2);
	tcase_add_loop_test(tc, min_score_rule, 0, 2);
	tcase_add_loop_test(tc, avoid_list_rule, 0, 2);
	tcase_add_loop_test(tc, timezone_rule, 0, 2);
	tcase_add_loop_test(tc, ban_rules, 0, 2);
	tcase_add_loop_test(tc, seniority_gap_rule, 0, 2);
	tcase_add_loop_test(tc, bonus_rules, 0, 2);
	tcase_add_loop_test(tc, stability_bonus_keeps_the_current_pair, 0, 2);
	tcase_add_test(tc, pins_are_kept);
	tcase_add_test(tc, why_unmatched);
	tcase_add_loop_test(tc, capacity_zero_gets_nothing, 0, 2);
	tcase_add_loop_test(tc, both_roles, 0, 2);
	tcase_add_loop_test(tc, cardinality_before_score, 0, 2);
	tcase_add_loop_test(tc, score_needs_exchange, 0, 2);
	tcase_add_loop_test(tc, degenerate_instances, 0, 2);
	tcase_add_loop_test(tc, malformed_instances, 0, 2);
	suite_add_tcase(s, tc);
	/* generous limits: these must never fail for time, only for results */
	tc = tcase_create("oracles");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, oracle_brute_force, 0, 2);
	tcase_add_loop_test(tc, oracle_reference_flow, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("determinism");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, same_input_same_pairs, 0, 2);
	tcase_add_loop_test(tc, people_order_does_not_matter, 0, 2);
	tcase_add_loop_test(tc, medium_instance_feasible, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, engine_equals_oracle);
	tcase_add_test(tc, engine_scores_both_directions);
	tcase_add_test(tc, engine_limits_pairs_per_junior);
	tcase_add_test(tc, engine_warm_start_from_last_prices);
	tcase_add_test(tc, engine_certifies_medium_company);
	tcase_add_test(tc, engine_logs_its_rounds);
	tcase_add_test(tc, engine_deterministic_under_shuffles);
	tcase_add_test(tc, engine_same_pairs_any_thread_count);
	suite_add_tcase(s, tc);
	tc = tcase_create("several mentors");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, multi_engine_equals_oracle, 0, 2);
	tcase_add_test(tc, multi_brute_force);
	tcase_add_loop_test(tc, multi_no_pair_twice, 0, 2);
	tcase_add_loop_test(tc, multi_seniors_before_pairs, 0, 2);
	tcase_add_test(tc, multi_pins);
	tcase_add_test(tc, multi_why);
	tcase_add_loop_test(tc, multi_deterministic, 0, 2);
	tcase_add_test(tc, multi_warm_start_from_last_cycle);
	tcase_add_test(tc, one_mentor_unchanged);
	tcase_add_test(tc, multi_current_malformed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(match_suite());
}
