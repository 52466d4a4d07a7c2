/*
 * The matching engine: the optimal capacitated assignment of seniors to
 * junior mentors (most seniors matched, then the highest total score, then
 * the most current pairs kept), proven optimal over every eligible pair
 * without building them all.
 *
 * 0. Pins first (match_solve_stats): each usable pin becomes a pair, its
 *    senior leaves the instance (with several mentors: once full) and its
 *    junior's capacity shrinks.
 * 1. Classes. A pair's area score depends only on the mentor's levels
 *    capped at each standard and the mentee's levels capped the same way,
 *    so people fall into classes: (rank, capped levels), where the rank is
 *    the cohort or, under the seniority rule, minus the years of service.
 *    The bonuses (department, time zone, stability) and the pair rules
 *    (chain, avoid lists, time-zone limit, bans) vary within a class and
 *    are checked pair by pair; bounds add the most the bonuses can give.
 *    People who can never be in a pair (capacity 0, rank unknown) get no
 *    class.
 * 2. Candidates. Each senior takes its current mentors and the top_k best
 *    pairs found by probing junior classes best class score first (a few
 *    members per class, from an offset that depends on the senior, skipping
 *    juniors already on LIST_PER_SLOT lists per unit of capacity, so that
 *    the strongest juniors do not fill every list), plus the pairs an
 *    earlier solve ended on (match_options.graph_in).
 * 3. Solve the candidate graph exactly (match_flow.c: cost scaling, warm
 *    started from the previous round's prices, or from prices_in on the
 *    first), with weights big + score * tie_scale + current, which make the
 *    lexicographic objective one sum; the solver returns exact dual prices.
 *    A first graph built from scratch grows in rough rounds first (see
 *    run_rounds): rough solves, within a unit of weight per person of the
 *    optimum, and scans that add the pairs beating their rough prices by a
 *    quarter of a score point; exact rounds take over once a rough round
 *    adds pairs for fewer than 1% of the seniors, and only they can end.
 * 4. Certify. A pair (j, s) outside the graph could improve the result only
 *    if its weight exceeds jdual[j] + sdual[s]. Junior classes form a trie
 *    (rank, then the capped level of each area), walked per senior with a
 *    bound from the levels fixed so far, the most the other areas and the
 *    bonuses can add, and the cheapest junior price below each node; within
 *    a class juniors are visited cheapest first until none can violate.
 *    Seniors of one class differ only in price and bonuses, so they share
 *    one walk at the lowest of their thresholds; each then takes the leaves
 *    it reached best bound first, and stops once its add_k violations are
 *    found and the next leaf cannot beat them, so what it keeps does not
 *    depend on the order the classes come in.
 *    Violating pairs (at most add_k per senior and add_per_junior per
 *    junior, most negative first) join the graph and it is solved again,
 *    until a scan finds none: then the duals prove the result over all
 *    pairs. After the first scan a senior is scanned against every junior
 *    only if its price fell or its last scan did not add every violation
 *    there was (add_k, add_per_junior); otherwise only juniors whose price
 *    fell can give it a violation, and they have a trie of their own. Each
 *    solve's duals are checked against the graph before use (duals_prove),
 *    so the certificate does not rest on the solver.
 *
 * Several mentors per senior (rules->mentors_per_senior = N > 1): the same
 * scheme on a network where a senior has N places, its first worth big
 * more than the others (the seniors-matched tier) and each pair one unit
 * (a pair is made once), solved by flow_solve_multi. Its duals prove the
 * result through the general dual objective (duals_prove_multi); a senior's
 * price there is its node potential against the sink, and may be negative
 * (a senior without a mentor prices its first one at big). Pairs outside
 * the graph are certified by the same test, jdual + sdual >= weight; pairs
 * in the result are not tested, since their own capacity may carry part of
 * their weight. Pins keep up to N per senior; a pinned senior keeps its
 * other places, its first no longer worth big.
 *
 * Where the time goes at scale: the scans (on several threads) and the
 * solves, round by round (bench/match prints the split).
 *
 * Determinism: juniors and seniors are sorted by id first and every later
 * order derives from that and from the data, so the same people give the
 * same pairs whatever order the input arrays list them in. The scans run on
 * several threads (match_options.threads), each senior's scan on its own, and
 * their findings join the graph in senior class order: the same pairs
 * whatever the number of threads.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "match.h"
#include "match_internal.h"
#include "match_flow.h"
#include "model.h"
#include "util.h"

#define NO_CLASS SIZE_MAX
#define DEFAULT_TOP_K 4
#define DEFAULT_ADD_K 16
#define DEFAULT_ADD_PER_JUNIOR 64
#define MAX_BUCKETS (1 << 20)
#define LIST_PER_SLOT 4 /* first lists a junior may be on, per unit of capacity */
#define MAX_THREADS 8 /* scanning threads by default, at most */
#define THREADS_LIMIT 64 /* and when asked for more */
#define CHUNKS_PER_THREAD 16
#define ROUGH_MAX 32 /* rough rounds at most */

/* Non-zero if people[boss] is above people[who], at any depth, in the manager links. */
static int is_above(const struct match_input *in, size_t boss, size_t who)
{
	size_t hare = who, tortoise = who;
	/* The tortoise moves every other step: meeting the hare means a cycle in
	 * the data, and by then the hare has visited every node on it. */
	for (unsigned long step = 0;; step++) {
		hare = in->people[hare].manager;
		if (hare >= in->n_people)
			return 0;
		if (hare == boss)
			return 1;
		if (step & 1)
			tortoise = in->people[tortoise].manager;
		if (hare == tortoise)
			return 0;
	}
}

static const struct match_rules no_rules = { 0, -1, 0, 0, 0, 0, 0, 0 };

static const struct match_rules *rules_of(const struct match_input *in)
{
	return in->rules ? in->rules : &no_rules;
}

/* How many mentors a senior may have: 1 unless the rules say more. */
static size_t units_of(const struct match_input *in)
{
	int n = rules_of(in)->mentors_per_senior;
	return n > 1 ? (size_t)n : 1;
}

/* Whether in->current lists (j, s): it is sorted by (senior, junior). */
static int listed_current(const struct match_input *in, size_t j, size_t s)
{
	size_t lo = 0, hi = in->n_current;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct match_pin *c = &in->current[mid];
		if (c->senior == s && c->junior == j)
			return 1;
		if (c->senior < s || (c->senior == s && c->junior < j))
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Whether (j, s) is a current pair: current_mentor or current names it. */
static int is_current_pair(const struct match_input *in, size_t j, size_t s)
{
	return (in->current_mentor && in->current_mentor[s] == j) || (in->n_current && listed_current(in, j, s));
}

const char *match_reason_name(enum match_reason r)
{
	static const char *const names[MATCH_N_REASONS] = {
		[MATCH_OK] = "eligible",
		[MATCH_R_SELF] = "same person",
		[MATCH_R_NO_CAPACITY] = "no capacity",
		[MATCH_R_COHORT_UNKNOWN] = "cohort or seniority unknown",
		[MATCH_R_NOT_YOUNGER] = "mentor not younger",
		[MATCH_R_CHAIN] = "management chain",
		[MATCH_R_AVOID] = "avoid list",
		[MATCH_R_TIMEZONE] = "time zones too far apart",
		[MATCH_R_FORBIDDEN] = "forbidden pair",
		[MATCH_R_COOLDOWN] = "cooldown",
		[MATCH_R_MIN_SCORE] = "below min_score",
	};
	return (unsigned)r < MATCH_N_REASONS ? names[r] : "unknown";
}

/*
 * The mentor-is-younger rule as one integer per person: a pair may be made
 * when rank(junior) - rank(senior) >= the rule's gap. Cohort rule: the
 * cohort index (higher is younger), gap 1; seniority rule: minus the years
 * of service, gap seniority_gap. INT_MIN when unknown.
 */
static int person_rank(const struct match_rules *r, const struct match_person *p)
{
	if (r->seniority_gap > 0)
		return p->seniority >= 0 ? -p->seniority : INT_MIN;
	return p->cohort >= 0 ? p->cohort : INT_MIN;
}

static int rank_gap(const struct match_rules *r)
{
	return r->seniority_gap > 0 ? r->seniority_gap : 1;
}

static int lists(const struct match_person *p, size_t who)
{
	for (size_t i = 0; i < p->n_avoid; i++)
		if (p->avoid[i] == who)
			return 1;
	return 0;
}

/* The ban on (j, s), if any: bans are sorted by (junior, senior). */
static const struct match_ban *find_ban(const struct match_input *in, size_t j, size_t s)
{
	size_t lo = 0, hi = in->n_bans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct match_ban *b = &in->bans[mid];
		if (b->junior == j && b->senior == s)
			return b;
		if (b->junior < j || (b->junior == j && b->senior < s))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int tz_apart(const struct match_person *a, const struct match_person *b)
{
	int d = a->tz - b->tz;
	return d < 0 ? -d : d;
}

static int tz_known(const struct match_person *a, const struct match_person *b)
{
	return a->tz != MATCH_TZ_UNKNOWN && b->tz != MATCH_TZ_UNKNOWN;
}

/* Where a person works, as far as the bonuses go. */
struct place {
	int department, tz;
};

/* The department and time-zone terms of a pair. */
static void place_terms(const struct match_rules *r, struct place mentor, struct place mentee, struct match_terms *t)
{
	if (mentor.department >= 0 && mentee.department >= 0 && mentor.department != mentee.department)
		t->cross_department = r->bonus_cross_department;
	if (mentor.tz != MATCH_TZ_UNKNOWN && mentee.tz != MATCH_TZ_UNKNOWN) {
		int d = mentor.tz - mentee.tz;
		d = d < 0 ? -d : d;
		t->timezone = d == 0 ? r->bonus_same_tz : d <= r->near_tz ? r->bonus_near_tz : 0;
	}
}

void match_terms(const struct match_input *in, size_t j, size_t s, struct match_terms *t)
{
	const struct match_rules *r = rules_of(in);
	const struct match_person *mentor = &in->people[j], *mentee = &in->people[s];
	memset(t, 0, sizeof(*t));
	t->areas = model_pair_score(in->cf, mentor->levels, mentee->levels);
	place_terms(r, (struct place){ mentor->department, mentor->tz }, (struct place){ mentee->department, mentee->tz }, t);
	if (is_current_pair(in, j, s))
		t->stability = r->bonus_stability;
}

/* The sum of the terms, clamped to INT_MAX. */
static int terms_sum(const struct match_terms *t)
{
	long long sum = (long long)t->areas + t->cross_department + t->timezone + t->stability;
	return sum > INT_MAX ? INT_MAX : sum < INT_MIN ? INT_MIN : (int)sum;
}

/*
 * The management forest numbered depth first, so that "boss is above who"
 * is one interval test: tin[boss] < tin[who] and tout[who] <= tout[boss].
 * People on or under a cycle of manager links (bad data) are not numbered
 * (tin 0) and fall back to the walk.
 */
struct chain {
	uint32_t *tin, *tout;
};

static void chain_build(const struct match_input *in, struct chain *ch)
{
	size_t n = in->n_people, *first = xcalloc(n + 2, sizeof(*first)), *kids = xmalloc((n + 1) * sizeof(*kids));
	size_t *stack = xmalloc((n + 1) * sizeof(*stack)), *next = xmalloc((n + 1) * sizeof(*next));
	uint32_t clock = 1;
	ch->tin = xcalloc(n + 1, sizeof(*ch->tin));
	ch->tout = xcalloc(n + 1, sizeof(*ch->tout));
	for (size_t i = 0; i < n; i++)
		if (in->people[i].manager < n)
			first[in->people[i].manager + 1]++;
	for (size_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	for (size_t i = 0; i < n; i++)
		next[i] = first[i];
	for (size_t i = 0; i < n; i++)
		if (in->people[i].manager < n)
			kids[next[in->people[i].manager]++] = i;
	for (size_t r = 0; r < n; r++) {
		size_t top = 0;
		if (in->people[r].manager < n)
			continue; /* not a root */
		stack[top++] = r;
		ch->tin[r] = clock++;
		next[r] = first[r];
		while (top > 0) {
			size_t v = stack[top - 1];
			if (next[v] < first[v + 1]) {
				size_t c = kids[next[v]++];
				ch->tin[c] = clock++;
				next[c] = first[c];
				stack[top++] = c;
			} else {
				ch->tout[v] = clock++;
				top--;
			}
		}
	}
	free(first);
	free(kids);
	free(stack);
	free(next);
}

static void chain_free(struct chain *ch)
{
	free(ch->tin);
	free(ch->tout);
}

/* is_above through the numbering when both are numbered. */
static int chain_above(const struct match_input *in, const struct chain *ch, size_t boss, size_t who)
{
	if (!ch || ch->tin[boss] == 0 || ch->tin[who] == 0)
		return is_above(in, boss, who);
	return ch->tin[boss] < ch->tin[who] && ch->tout[who] <= ch->tout[boss];
}

/* The hard constraints but the score: cheap tests first, the chain last. */
static enum match_reason check_pair_in(const struct match_input *in, const struct chain *ch, size_t j, size_t s)
{
	const struct match_rules *r = rules_of(in);
	const struct match_person *mentor, *mentee;
	const struct match_ban *ban;
	int rj, rs;
	if (j == s)
		return MATCH_R_SELF;
	mentor = &in->people[j];
	mentee = &in->people[s];
	if (mentor->capacity <= 0)
		return MATCH_R_NO_CAPACITY;
	rj = person_rank(r, mentor);
	rs = person_rank(r, mentee);
	if (rj == INT_MIN || rs == INT_MIN)
		return MATCH_R_COHORT_UNKNOWN;
	if ((long long)rj - rs < rank_gap(r))
		return MATCH_R_NOT_YOUNGER;
	if (lists(mentor, s) || lists(mentee, j))
		return MATCH_R_AVOID;
	if (r->max_tz_diff >= 0 && tz_known(mentor, mentee) && tz_apart(mentor, mentee) > r->max_tz_diff)
		return MATCH_R_TIMEZONE;
	if ((ban = find_ban(in, j, s)) != NULL)
		return ban->kind == MATCH_BAN_COOLDOWN ? MATCH_R_COOLDOWN : MATCH_R_FORBIDDEN;
	if (chain_above(in, ch, j, s) || chain_above(in, ch, s, j))
		return MATCH_R_CHAIN;
	return MATCH_OK;
}

static enum match_reason check_pair(const struct match_input *in, size_t j, size_t s)
{
	return check_pair_in(in, NULL, j, s);
}

/* match_check with the chain numbering (ch, may be NULL); *t gets the terms when the rules but min_score pass. */
static enum match_reason check_scored(const struct match_input *in, const struct chain *ch, size_t j, size_t s,
				      struct match_terms *t, int *score)
{
	enum match_reason why;
	int sc;
	if ((why = check_pair_in(in, ch, j, s)) != MATCH_OK)
		return why;
	match_terms(in, j, s, t);
	sc = terms_sum(t);
	if (sc < in->cf->min_score)
		return MATCH_R_MIN_SCORE;
	*score = sc;
	return MATCH_OK;
}

enum match_reason match_check(const struct match_input *in, size_t j, size_t s, int *score)
{
	struct match_terms t;
	if (j >= in->n_people || s >= in->n_people)
		return MATCH_R_SELF;
	return check_scored(in, NULL, j, s, &t, score);
}

int match_eligible(const struct match_input *in, size_t j, size_t s, int *score)
{
	return match_check(in, j, s, score) == MATCH_OK;
}

void match_why(const struct match_input *in, size_t who, int is_junior, const struct match_pair *pairs,
	       size_t n_pairs, struct match_why *why)
{
	const size_t *other = is_junior ? in->seniors : in->juniors;
	size_t n_other = is_junior ? in->n_seniors : in->n_juniors;
	size_t *load = xcalloc(in->n_people + 1, sizeof(*load));
	char *seen = xcalloc(in->n_people + 1, 1);
	memset(why, 0, sizeof(*why));
	for (size_t i = 0; i < n_pairs; i++) {
		if (pairs[i].junior < in->n_people)
			load[pairs[i].junior]++;
		if (pairs[i].senior < in->n_people)
			load[pairs[i].senior]++;
	}
	for (size_t i = 0; i < n_other; i++) {
		size_t o = other[i], j = is_junior ? who : o, s = is_junior ? o : who;
		int score;
		enum match_reason r;
		if (o >= in->n_people || seen[o])
			continue;
		seen[o] = 1;
		r = match_check(in, j, s, &score);
		why->counts[r]++;
		if (r == MATCH_OK) {
			/* a senior takes mentors_per_senior mentors; a junior its capacity */
			size_t room = is_junior ? units_of(in) : (size_t)in->people[o].capacity;
			if (load[o] >= room)
				why->taken++;
		}
	}
	free(load);
	free(seen);
}

/* --- input ---------------------------------------------------------------- */

/* A person index with its id, so sorting needs no global state. */
struct keyed {
	const char *id;
	size_t idx;
};

/* Id order, then index order. */
static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A copy of idx[n] sorted by id, duplicate indices dropped; *out_n gets the count. */
size_t *match_sorted_unique(const struct match_person *people, const size_t *idx, size_t n, size_t *out_n)
{
	struct keyed *k = xmalloc((n + 1) * sizeof(*k));
	size_t *v = xmalloc((n + 1) * sizeof(*v)), m = 0;
	for (size_t i = 0; i < n; i++) {
		k[i].id = people[idx[i]].id;
		k[i].idx = idx[i];
	}
	qsort(k, n, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || v[m - 1] != k[i].idx)
			v[m++] = k[i].idx;
	free(k);
	*out_n = m;
	return v;
}

/* Whether every index and pointer the solver will follow is usable. */
int match_input_valid(const struct match_input *in)
{
	if (!in->cf || (in->n_people && !in->people) || (in->n_juniors && !in->juniors) ||
	    (in->n_seniors && !in->seniors))
		return 0;
	if ((in->n_bans && !in->bans) || (in->n_pins && !in->pins) || (in->n_current && !in->current))
		return 0;
	for (size_t i = 0; i < in->n_people; i++) {
		const struct match_person *p = &in->people[i];
		if (!p->id || (p->manager != MATCH_NONE && p->manager >= in->n_people) ||
		    (in->cf->n_areas && !p->levels) || (p->n_avoid && !p->avoid))
			return 0;
		for (size_t k = 0; k < p->n_avoid; k++)
			if (p->avoid[k] >= in->n_people)
				return 0;
	}
	for (size_t i = 0; i < in->n_bans; i++) {
		const struct match_ban *b = &in->bans[i];
		if (b->junior >= in->n_people || b->senior >= in->n_people)
			return 0;
		if (i > 0 && (b[-1].junior > b->junior || (b[-1].junior == b->junior && b[-1].senior >= b->senior)))
			return 0; /* not sorted, or listed twice */
	}
	for (size_t i = 0; i < in->n_pins; i++)
		if (in->pins[i].junior >= in->n_people || in->pins[i].senior >= in->n_people)
			return 0;
	for (size_t i = 0; i < in->n_current; i++) {
		const struct match_pin *c = &in->current[i];
		if (c->junior >= in->n_people || c->senior >= in->n_people)
			return 0;
		if (i > 0 && (c[-1].senior > c->senior || (c[-1].senior == c->senior && c[-1].junior >= c->junior)))
			return 0; /* not sorted, or listed twice */
	}
	for (size_t i = 0; i < in->n_juniors; i++)
		if (in->juniors[i] >= in->n_people)
			return 0;
	for (size_t i = 0; i < in->n_seniors; i++)
		if (in->seniors[i] >= in->n_people)
			return 0;
	return 1;
}

/* --- classes ---------------------------------------------------------------- */

/* One side's people grouped by (cohort, capped levels). */
struct classes {
	size_t n;               /* classes */
	size_t *of;             /* per person of the side: class or NO_CLASS */
	size_t *first;          /* n + 1 offsets into members */
	size_t *members;        /* person numbers, class by class, in number order */
	int *rank;              /* per class: person_rank */
	int *key;               /* per class: n_areas capped levels */
};

/* A person's class key while sorting. */
struct class_key {
	const int *key;
	size_t n_areas, who;
	int rank;
};

/* Rank, then levels area by area, then person number. */
static int cmp_class_key(const void *a, const void *b)
{
	const struct class_key *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	for (size_t i = 0; i < x->n_areas; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? -1 : 1;
	return x->who < y->who ? -1 : x->who > y->who;
}

/* The levels that decide a score: capped at the standard, nothing where the area does not score. */
static void capped_levels(const struct conf *cf, const int *levels, int *key)
{
	for (size_t a = 0; a < cf->n_areas; a++) {
		int std = cf->areas[a].standard;
		key[a] = model_score_weight(cf, a) == 0 ? 0 : levels[a] < std ? levels[a] : std;
	}
}

/*
 * Group people[idx[0..n)] into classes; usable[i] says whether person i can
 * be in any pair at all (the others get NO_CLASS).
 */
static void build_classes(const struct match_input *in, const size_t *idx, size_t n,
			  const char *usable, struct classes *cl)
{
	size_t na = in->cf->n_areas, m = 0;
	int *keys = xmalloc((n * na + 1) * sizeof(*keys));
	struct class_key *k = xmalloc((n + 1) * sizeof(*k));
	memset(cl, 0, sizeof(*cl));
	cl->of = xmalloc((n + 1) * sizeof(*cl->of));
	for (size_t i = 0; i < n; i++) {
		cl->of[i] = NO_CLASS;
		if (!usable[i])
			continue;
		capped_levels(in->cf, in->people[idx[i]].levels, keys + i * na);
		k[m++] = (struct class_key){ keys + i * na, na, i, person_rank(rules_of(in), &in->people[idx[i]]) };
	}
	qsort(k, m, sizeof(*k), cmp_class_key);
	cl->first = xmalloc((m + 2) * sizeof(*cl->first));
	cl->members = xmalloc((m + 1) * sizeof(*cl->members));
	cl->rank = xmalloc((m + 1) * sizeof(*cl->rank));
	cl->key = xmalloc((m * na + 1) * sizeof(*cl->key));
	for (size_t i = 0; i < m; i++) {
		if (i == 0 || k[i].rank != k[i - 1].rank ||
		    memcmp(k[i].key, k[i - 1].key, na * sizeof(int)) != 0) {
			cl->first[cl->n] = i;
			cl->rank[cl->n] = k[i].rank;
			memcpy(cl->key + cl->n * na, k[i].key, na * sizeof(int));
			cl->n++;
		}
		cl->members[i] = k[i].who;
		cl->of[k[i].who] = cl->n - 1;
	}
	cl->first[cl->n] = m;
	free(k);
	free(keys);
}

static void classes_free(struct classes *cl)
{
	free(cl->of);
	free(cl->first);
	free(cl->members);
	free(cl->rank);
	free(cl->key);
}

/* --- the engine ------------------------------------------------------------- */

/* A candidate pair by junior and senior number (32 bits: the graph is the big array). */
struct cand {
	uint32_t j, s;
	int score;
};

/* A pair a certification scan found, with its (negative) reduced cost. */
struct violation {
	size_t j;
	int score;
	int64_t rc;
};

/*
 * A junior as a scan reads it: its price, place and number next to each
 * other in the view's order, so that a class's juniors are read in
 * sequence; the scans were mostly waiting for jdual[j] and jplace[j] of one
 * junior after another.
 */
struct priced {
	int64_t price;
	struct place place;
	size_t j;
};

/*
 * The juniors of each class a scan looks at, cheapest first: members
 * [first[c], first[c + 1]), the first cheapest[c] of them (or none, when
 * cheapest is NULL) sharing the lowest price cmin[c], each member's price
 * and place in priced at the same index; tmin per trie node.
 */
struct view {
	const size_t *first, *members, *cheapest;
	const struct priced *priced;
	const int64_t *cmin, *tmin;
};

struct engine {
	const struct match_input *in;
	size_t top_k, add_k, add_per_junior;
	size_t n_jun, n_sen, n_areas;
	size_t *jun, *sen;          /* people indices, sorted by id */
	struct place *jplace;       /* per junior, for the scans */
	size_t *cap;                /* per junior */
	size_t *cur;                /* per senior: current mentor's junior number or NO_CLASS */
	size_t *cur_first, *cur_jun; /* with match_input.current: per senior its current juniors, sorted */
	size_t units;               /* mentors per senior: 1, or N > 1 */
	struct classes jc, sc;
	int *weights;               /* per area */
	char *digital;              /* per area: the junior teaches (else the senior does) */
	int64_t big, tie;
	int model_mismatch;         /* a score disagreed with its class: no certificate */
	int duals_bad;              /* the last solve's duals did not prove it: no certificate */

	size_t *listed;             /* per junior: first candidate lists it is on */
	uint64_t *open;             /* while seeding, a bit per place in jc.members: that junior may still be listed */
	struct cand *cand;          /* the candidate graph */
	size_t n_cand, cap_cand, n_added;

	size_t *mate;               /* per senior, from the last solve */
	int64_t *jdual, *sdual;
	struct flow_state *flow;    /* the last solve's prices: the next round starts from them */
	int rough;                  /* the rounds are still rough (see run_rounds) */
	int64_t *hint;              /* per junior: a price to start the first solve from, or NULL */

	/* per senior class, rebuilt as the scans go */
	int *row;                   /* score per junior class */
	size_t *order;              /* usable junior classes, best score first */
	size_t n_order;
	size_t *count;              /* counting-sort buckets */
	int max_score;              /* the highest class score (areas only) */
	size_t half;                /* areas [0, half) and [half, n_areas): the two halves of a class's levels */
	size_t n_part[2];           /* distinct levels per half among the junior classes */
	uint32_t *part_of;          /* per junior class and half: which of them it has */
	int *part_key;              /* per half, per distinct one: its levels */
	long long *part_sum;        /* per half, per distinct one: its score, for one senior class */
	int bonus_all;              /* the most the bonuses can add to a pair */

	/* certification */
	size_t *by_price;           /* junior classes' members, cheapest first */
	struct priced *by_price_priced; /* their prices and places */
	int64_t *class_min;         /* per junior class: its cheapest junior's price */
	size_t *cheapest;           /* per junior class: how many share that price */
	struct cand *best;          /* top_k slots, for seeding */

	/* the junior classes as a trie: rank, then capped level area by area */
	struct tnode *trie;
	size_t n_trie;
	int64_t *trie_min;          /* per node: the cheapest junior's price below it */
	int *trie_value;            /* per node: its value, packed for the walks */
	int level_max;              /* the highest capped level */

	/* incremental certification: what the last scan proved */
	int64_t *prev_jdual, *prev_sdual;
	char *dirty;                /* per senior: the last scan kept only some violations */
	size_t *lowered;            /* juniors whose price fell since the last scan */
	int have_prev;
	struct view all, low;       /* every junior of a class, or those whose price fell */
	size_t *low_first, *low_members;
	struct priced *low_priced;
	int64_t *low_min, *trie_min_low;
	struct chain chain;

	/* several mentors per senior (units > 1) */
	unsigned char *used;        /* per candidate: in the last solve's result */
	size_t n_used;              /* candidates used[] covers */
	size_t *sunits;             /* per senior: places the solve may fill (pins take some) */
	int64_t *first_value;       /* per senior: what its first mentor adds, 0 if a pin matched it */
	int have_duals;             /* jdual and sdual hold the last solve's */
	size_t *mates;              /* per senior: units slots, its juniors in the result, else NO_CLASS */

	/* the scans' workers (one per thread) and the chunks of senior classes they share */
	size_t threads;
	struct scanner *scanners;
	struct chunk *chunks;
	size_t n_chunks;
};

/*
 * One scanning thread's scratch and findings. Each senior's scan reads only
 * shared state that stays fixed during the scan, so what it finds does not
 * depend on which thread scans it.
 */
struct scanner {
	struct engine *e;
	struct tframe *stack;       /* depth-first walk, n_areas + 2 frames per level */
	int *table;                 /* per senior class: area x level -> the area's term */
	int *suffix;                /* per senior class: the most areas a.. can add */
	struct violation *found;    /* add_k slots */
	int truncated;              /* the senior's scan left violations out */
	int mismatch;               /* a score disagreed with its class */
	struct cand *out;           /* pairs found, chunk after chunk */
	size_t n_out, cap_out;
	struct leaf *leaves;        /* the leaves a class's shared walk reached, a heap by key */
	struct leaf *sorted;        /* the first of them by key, taken off the heap as needed */
	size_t n_leaves, n_sorted;
	char *whole;                /* per senior of the class scanned: against every junior */
};

/* A leaf of the trie a walk reached: its class, area score and side of the test. */
struct leaf {
	uint32_t c;
	int partial;
	int64_t key;
};

/* Senior classes [scl_lo, scl_hi), and where their pairs sit in a scanner's out. */
struct chunk {
	size_t scl_lo, scl_hi;
	size_t worker, out_lo, out_hi;
};

/*
 * A trie node: the junior classes [lo, hi) (sorted by rank, then key) share
 * its prefix; depth 1 nodes split by rank, depth d + 1 by the level of area
 * d; leaves (depth n_areas + 1) are single classes. Children are the nodes
 * [child, child_end), in value order.
 */
struct tnode {
	uint32_t lo, hi, child, child_end;
	int value;
};

/* A node to visit, with the score of the areas its prefix fixes. */
struct tframe {
	uint32_t node;
	int depth;
	long long partial;
};

/* Score of a junior class for a senior class, as model_pair_score gives it on capped levels. */
static int class_score(const struct engine *e, size_t jcl, size_t scl)
{
	const int *r = e->jc.key + jcl * e->n_areas, *m = e->sc.key + scl * e->n_areas;
	long long sum = 0;
	for (size_t a = 0; a < e->n_areas; a++) {
		int teach = e->digital[a] ? r[a] : m[a], learn = e->digital[a] ? m[a] : r[a];
		if (teach > learn)
			sum += (long long)e->weights[a] * (teach - learn);
	}
	return sum > INT_MAX ? INT_MAX : (int)sum;
}

/* A junior class and its score, for build_order_sorted. */
struct scored {
	int score;
	size_t c;
};

/* Best score first, then class order. */
static int cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->c < y->c ? -1 : x->c > y->c;
}

/* build_order for scores too large to bucket: a plain sort. */
static void build_order_sorted(struct engine *e, size_t scl, size_t start)
{
	struct scored *v = xmalloc((e->jc.n + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t c = start; c < e->jc.n; c++) {
		e->row[c] = class_score(e, c, scl);
		if ((long long)e->row[c] + e->bonus_all >= e->in->cf->min_score)
			v[n++] = (struct scored){ e->row[c], c };
	}
	qsort(v, n, sizeof(*v), cmp_scored);
	for (size_t i = 0; i < n; i++)
		e->order[i] = v[i].c;
	e->n_order = n;
	free(v);
}

static void senior_table(struct scanner *sc, size_t scl);

/*
 * row[c] = class_score(c, scl) for the junior classes from start on, from
 * senior class scl's table of area terms (one lookup per area instead of
 * the term's arithmetic; per-term clamping leaves the clamped sum alike).
 * Far fewer distinct levels occur in each half of the areas than there
 * are classes, so each half's distinct levels are scored once and a
 * class's row is the sum of its two halves.
 */
static void class_rows(struct engine *e, size_t scl, size_t start)
{
	struct scanner *sc = &e->scanners[0];
	size_t width = (size_t)e->level_max + 1;
	const long long *lo_sum = e->part_sum, *hi_sum = e->part_sum + e->n_part[0];
	senior_table(sc, scl);
	for (size_t h = 0, at = 0, base = 0; h < 2; h++) {
		size_t a0 = h ? e->half : 0, a1 = h ? e->n_areas : e->half;
		for (size_t i = 0; i < e->n_part[h]; i++, at++) {
			const int *key = e->part_key + base + i * (a1 - a0);
			long long sum = 0;
			for (size_t a = a0; a < a1; a++)
				sum += sc->table[a * width + (size_t)key[a - a0]];
			e->part_sum[at] = sum;
		}
		base += e->n_part[h] * (a1 - a0);
	}
	for (size_t c = start; c < e->jc.n; c++) {
		long long sum = lo_sum[e->part_of[2 * c]] + hi_sum[e->part_of[2 * c + 1]];
		e->row[c] = sum > INT_MAX ? INT_MAX : (int)sum;
	}
}

/* Junior classes by their levels in areas [a0, a1) (ctx: the engine and a0, a1), then by number. */
struct part_ctx {
	const struct engine *e;
	size_t a0, a1;
};

static int cmp_part(const void *x, const void *y, void *ctx)
{
	const struct part_ctx *p = ctx;
	size_t c = *(const size_t *)x, d = *(const size_t *)y, na = p->e->n_areas;
	int r = memcmp(p->e->jc.key + c * na + p->a0, p->e->jc.key + d * na + p->a0, (p->a1 - p->a0) * sizeof(int));
	if (r)
		return r;
	return c < d ? -1 : c > d;
}

/* The distinct levels of each half of the areas among the junior classes, for class_rows. */
static void split_classes(struct engine *e)
{
	size_t n = e->jc.n, na = e->n_areas, *idx = xmalloc((n + 1) * sizeof(*idx)), at = 0;
	e->half = na / 2;
	e->part_of = xmalloc((2 * n + 1) * sizeof(*e->part_of));
	e->part_key = xmalloc((n * na + 1) * sizeof(*e->part_key));
	e->part_sum = xmalloc((2 * n + 1) * sizeof(*e->part_sum));
	for (size_t h = 0; h < 2; h++) {
		struct part_ctx p = { e, h ? e->half : 0, h ? na : e->half };
		size_t w = p.a1 - p.a0;
		for (size_t c = 0; c < n; c++)
			idx[c] = c;
		qsort_r(idx, n, sizeof(*idx), cmp_part, &p);
		e->n_part[h] = 0;
		for (size_t i = 0; i < n; i++) {
			const int *key = e->jc.key + idx[i] * na + p.a0;
			if (i == 0 || memcmp(key, e->part_key + at - w, w * sizeof(int)) != 0) {
				memcpy(e->part_key + at, key, w * sizeof(int));
				at += w;
				e->n_part[h]++;
			}
			e->part_of[2 * idx[i] + h] = (uint32_t)(e->n_part[h] - 1);
		}
	}
	free(idx);
}

/*
 * For senior class scl: every junior class that may mentor it (rank) and
 * whose score with the most bonuses reaches min_score, best class score
 * first (equal scores in class order).
 */
static void build_order(struct engine *e, size_t scl)
{
	size_t start = 0, n = 0;
	long long min_score = (long long)e->in->cf->min_score - e->bonus_all;
	int gap = rank_gap(rules_of(e->in));
	while (start < e->jc.n && (long long)e->jc.rank[start] - e->sc.rank[scl] < gap)
		start++;
	if (e->max_score > MAX_BUCKETS) {
		build_order_sorted(e, scl, start);
		return;
	}
	memset(e->count, 0, ((size_t)e->max_score + 2) * sizeof(*e->count));
	class_rows(e, scl, start);
	for (size_t c = start; c < e->jc.n; c++) {
		if (e->row[c] >= min_score)
			e->count[e->max_score - e->row[c]]++;
	}
	for (size_t v = 0, at = 0; v <= (size_t)e->max_score; v++) {
		size_t k = e->count[v];
		e->count[v] = at;
		at += k;
		n = at;
	}
	for (size_t c = start; c < e->jc.n; c++)
		if (e->row[c] >= min_score)
			e->order[e->count[e->max_score - e->row[c]]++] = c;
	e->n_order = n;
}

/* Append the pair (j, s) to the candidate graph. */
static void add_cand(struct engine *e, size_t j, size_t s, int score)
{
	if (e->n_cand == e->cap_cand)
		e->cand = xgrow(e->cand, &e->cap_cand, e->n_cand + 1, sizeof(*e->cand));
	e->cand[e->n_cand++] = (struct cand){ (uint32_t)j, (uint32_t)s, score };
}

/* Whether junior j is a current mentor of senior s (by number). */
static int is_current(const struct engine *e, size_t j, size_t s)
{
	if (!e->cur_jun)
		return e->cur[s] == j;
	for (size_t k = e->cur_first[s]; k < e->cur_first[s + 1]; k++)
		if (e->cur_jun[k] == j)
			return 1;
	return 0;
}

/* match_check for junior j and senior s by number; checks the class score too (*mismatch set if not). */
static int pair_ok(const struct engine *e, int *mismatch, size_t j, size_t s, int class_sc, int *score)
{
	struct match_terms t = { 0, 0, 0, 0 }; /* set whenever the rules but min_score pass */
	enum match_reason why = check_scored(e->in, &e->chain, e->jun[j], e->sen[s], &t, score);
	if (why != MATCH_OK && why != MATCH_R_MIN_SCORE)
		return 0;
	if (t.areas != class_sc)
		*mismatch = 1;
	return why == MATCH_OK;
}

/* The most the bonuses can add to a pair of senior s that is not its current one. */
static int senior_bonus(const struct engine *e, size_t s)
{
	const struct match_rules *r = rules_of(e->in);
	const struct match_person *p = &e->in->people[e->sen[s]];
	int b = 0, tz = r->bonus_same_tz > r->bonus_near_tz ? r->bonus_same_tz : r->bonus_near_tz;
	if (p->department >= 0 && r->bonus_cross_department > 0)
		b += r->bonus_cross_department;
	if (p->tz != MATCH_TZ_UNKNOWN && tz > 0)
		b += tz;
	return b;
}

/* Keep (j, score) among the k best of best[0..*n) (best score first, then junior number). */
static void keep_best(struct cand *best, size_t *n, size_t k, size_t j, size_t s, int score)
{
	size_t i = *n;
	if (i == k) {
		if (best[i - 1].score > score || (best[i - 1].score == score && best[i - 1].j < j))
			return;
		i--;
	} else {
		(*n)++;
	}
	while (i > 0 && (best[i - 1].score < score || (best[i - 1].score == score && best[i - 1].j > j))) {
		best[i] = best[i - 1];
		i--;
	}
	best[i] = (struct cand){ (uint32_t)j, (uint32_t)s, score };
}

/* The current pair (j, s) as a candidate, if it may be made. */
static void seed_current(struct engine *e, size_t j, size_t s)
{
	int score;
	if (e->jc.of[j] != NO_CLASS && e->cap[j] > 0 && match_eligible(e->in, e->jun[j], e->sen[s], &score))
		add_cand(e, j, s, score);
}

/*
 * Senior s's first candidates: its current mentors, then the top_k best
 * pairs found by probing classes best class score first. Within a class the
 * area score is the same but the bonuses differ, so a few members are
 * probed, from an offset that depends on s (so that equal juniors are
 * spread over seniors instead of all seniors listing the same few), and
 * the best kept. Once a class's score with every bonus cannot beat the
 * k-th best pair found, no later class can either.
 */
/* The first place in jc.members in [from, to) whose junior may still be listed, else to. */
static size_t next_open(const struct engine *e, size_t from, size_t to)
{
	while (from < to) {
		uint64_t w = e->open[from / 64] >> (from % 64);
		if (w)
			return from + (size_t)__builtin_ctzll(w) < to ? from + (size_t)__builtin_ctzll(w) : to;
		from = (from / 64 + 1) * 64;
	}
	return to;
}

/*
 * Junior j (at place at in jc.members) was listed once more: once it is on
 * LIST_PER_SLOT lists per unit of capacity it is no longer probed.
 */
static void note_listed(struct engine *e, size_t j, size_t at)
{
	e->listed[j]++;
	if (e->listed[j] >= LIST_PER_SLOT * e->cap[j])
		e->open[at / 64] &= ~(UINT64_C(1) << (at % 64));
}

static void seed_senior(struct engine *e, size_t s, const size_t *place)
{
	size_t found = 0, probe = 2 * e->top_k;
	int score, bonus = senior_bonus(e, s);
	if (e->cur_jun) {
		for (size_t k = e->cur_first[s]; k < e->cur_first[s + 1]; k++)
			seed_current(e, e->cur_jun[k], s);
	} else if (e->cur[s] != NO_CLASS) {
		seed_current(e, e->cur[s], s);
	}
	for (size_t o = 0; o < e->n_order; o++) {
		size_t c = e->order[o], lo = e->jc.first[c], n = e->jc.first[c + 1] - lo, tried = 0, start;
		if (found == e->top_k && (long long)e->row[c] + bonus <= e->best[found - 1].score)
			break;
		if (n == 0)
			continue;
		/* the members from lo + s % n on, round to it: those that may still be
		 * listed, found by their bits (most are full by the later seniors, and
		 * reading each one's count was most of the seeding) */
		start = lo + s % n;
		for (int pass = 0; pass < 2 && tried < probe; pass++) {
			size_t to = pass ? start : lo + n;
			for (size_t at = next_open(e, pass ? lo : start, to); at < to && tried < probe;
			     at = next_open(e, at + 1, to)) {
				size_t j = e->jc.members[at];
				if (is_current(e, j, s))
					continue;
				tried++;
				if (pair_ok(e, &e->model_mismatch, j, s, e->row[c], &score))
					keep_best(e->best, &found, e->top_k, j, s, score);
			}
		}
	}
	for (size_t i = 0; i < found; i++) {
		add_cand(e, e->best[i].j, s, e->best[i].score);
		note_listed(e, e->best[i].j, place[e->best[i].j]);
	}
}

/* The first candidate graph, senior class by senior class. */
static void seed_candidates(struct engine *e)
{
	size_t n_members = e->jc.first[e->jc.n];
	size_t *place = xmalloc((e->n_jun + 1) * sizeof(*place));
	e->open = xcalloc(n_members / 64 + 1, sizeof(*e->open));
	for (size_t at = 0; at < n_members; at++) {
		size_t j = e->jc.members[at];
		place[j] = at;
		if (e->cap[j] > 0 && e->listed[j] < LIST_PER_SLOT * e->cap[j])
			e->open[at / 64] |= UINT64_C(1) << (at % 64);
	}
	for (size_t scl = 0; scl < e->sc.n; scl++) {
		build_order(e, scl);
		for (size_t i = e->sc.first[scl]; i < e->sc.first[scl + 1]; i++)
			seed_senior(e, e->sc.members[i], place);
	}
	free(place);
	free(e->open);
	e->open = NULL;
}

/* Candidates by senior, then junior. */
static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->j < y->j ? -1 : x->j > y->j;
}

/*
 * An earlier solve's final graph: its pairs that are still eligible join
 * the seeds (once each), so a next cycle starts where the last one ended.
 */
static void seed_from_graph(struct engine *e, const struct match_arc *graph, size_t n)
{
	size_t np = e->in->n_people, *jno = xmalloc((np + 1) * sizeof(*jno)), *sno = xmalloc((np + 1) * sizeof(*sno));
	size_t m = 0;
	for (size_t i = 0; i < np; i++)
		jno[i] = sno[i] = NO_CLASS;
	for (size_t j = 0; j < e->n_jun; j++)
		jno[e->jun[j]] = j;
	for (size_t s = 0; s < e->n_sen; s++)
		sno[e->sen[s]] = s;
	for (size_t i = 0; i < n; i++) {
		size_t j = graph[i].junior < np ? jno[graph[i].junior] : NO_CLASS;
		size_t s = graph[i].senior < np ? sno[graph[i].senior] : NO_CLASS;
		int score;
		if (j == NO_CLASS || s == NO_CLASS || e->cap[j] == 0 || e->jc.of[j] == NO_CLASS ||
		    e->sc.of[s] == NO_CLASS || !match_eligible(e->in, e->jun[j], e->sen[s], &score))
			continue;
		add_cand(e, j, s, score);
	}
	if (e->n_cand)
		qsort(e->cand, e->n_cand, sizeof(*e->cand), cmp_cand);
	for (size_t i = 0; i < e->n_cand; i++)
		if (m == 0 || cmp_cand(&e->cand[m - 1], &e->cand[i]) != 0)
			e->cand[m++] = e->cand[i];
	e->n_cand = m;
	free(jno);
	free(sno);
}

/* Weight of candidate c in the one-sum objective. */
static int64_t cand_weight(const struct engine *e, const struct cand *c)
{
	return e->big + (int64_t)c->score * e->tie + (e->tie > 1 && is_current(e, c->j, c->s));
}


/*
 * Whether the duals prove the matching optimal on the candidate graph: both
 * non-negative, every arc covered (jdual + sdual >= weight), and the dual
 * total sum(sdual) + sum(cap * jdual), an upper bound on any matching,
 * equal to the matching's weight. This does not trust the solver; the
 * scans then extend the covering test to every pair outside the graph.
 */
static int duals_prove(const struct engine *e, const struct flow_arc *arcs)
{
	__int128 primal = 0, dual = 0;
	for (size_t j = 0; j < e->n_jun; j++) {
		if (e->jdual[j] < 0)
			return 0;
		dual += (__int128)e->cap[j] * e->jdual[j];
	}
	for (size_t s = 0; s < e->n_sen; s++) {
		if (e->sdual[s] < 0)
			return 0;
		dual += e->sdual[s];
	}
	for (size_t i = 0; i < e->n_cand; i++) {
		const struct cand *c = &e->cand[i];
		if (e->jdual[c->j] + e->sdual[c->s] < arcs[i].weight)
			return 0;
		if (e->mate[c->s] == c->j)
			primal += arcs[i].weight;
	}
	return primal == dual;
}

/*
 * duals_prove with several mentors per senior, on the dual of that
 * network: the duals prove the result optimal on the graph when the
 * result is a b-matching of it (no junior over capacity, no senior over its
 * places, no pair twice), every junior price is non-negative, and the dual
 * objective
 *   sum cap * jdual + sum over seniors of max(0, first_value + sdual)
 *   + (places - 1) * max(0, sdual) + sum over candidates of
 *   max(0, weight - jdual - sdual)
 * equals the result's total (weights plus first_value per senior matched).
 * A pair outside the graph then adds nothing to it while its weight is at
 * most jdual + sdual, which is what the scans test.
 */
static int duals_prove_multi(const struct engine *e, const struct flow_arc *arcs)
{
	__int128 primal = 0, dual = 0;
	size_t *load = xcalloc(e->n_jun + 1, sizeof(*load)), *count = xcalloc(e->n_sen + 1, sizeof(*count));
	int ok = 1;
	for (size_t j = 0; j < e->n_jun; j++) {
		ok &= e->jdual[j] >= 0;
		dual += (__int128)e->cap[j] * e->jdual[j];
	}
	for (size_t i = 0; i < e->n_cand; i++) {
		const struct cand *c = &e->cand[i];
		__int128 over = (__int128)arcs[i].weight - e->jdual[c->j] - e->sdual[c->s];
		dual += over > 0 ? over : 0;
		/* rows are sorted by senior: a pair twice would be side by side */
		ok &= i == 0 || c[-1].j != c->j || c[-1].s != c->s;
		if (!e->used[i])
			continue;
		primal += arcs[i].weight;
		load[c->j]++;
		count[c->s]++;
	}
	for (size_t j = 0; j < e->n_jun; j++)
		ok &= load[j] <= e->cap[j];
	for (size_t s = 0; s < e->n_sen; s++) {
		__int128 f = (__int128)e->first_value[s] + e->sdual[s];
		ok &= count[s] <= e->sunits[s];
		primal += count[s] ? e->first_value[s] : 0;
		if (e->sunits[s] == 0)
			continue;
		dual += f > 0 ? f : 0;
		dual += (__int128)(e->sunits[s] - 1) * (e->sdual[s] > 0 ? e->sdual[s] : 0);
	}
	free(load);
	free(count);
	return ok && primal == dual;
}

/*
 * The solve with several mentors per senior, on the graph in junior rows
 * (used[] in the same order): warm from the last solve's duals and pairs,
 * or from the junior price hint on the first.
 */
static void solve_multi(struct engine *e, const size_t *first, const struct flow_arc *arcs)
{
	struct flow_multi_graph g = { e->n_jun, e->n_sen, e->cap, e->sunits, e->first_value, first, arcs };
	if (e->have_duals)
		flow_solve_multi(&g, e->used, e->jdual, e->sdual, e->jdual, e->sdual);
	else
		flow_solve_multi(&g, e->used, e->jdual, e->sdual, e->hint, NULL);
	e->have_duals = 1;
	if (!duals_prove_multi(e, arcs))
		e->duals_bad = 1;
	if (!e->mates)
		e->mates = xmalloc((e->n_sen * e->units + 1) * sizeof(*e->mates));
	for (size_t k = 0; k < e->n_sen * e->units; k++)
		e->mates[k] = NO_CLASS;
	for (size_t j = 0, i = 0; j < e->n_jun; j++)
		for (; i < first[j + 1]; i++)
			if (e->used[i]) {
				size_t *m = e->mates + (size_t)e->cand[i].s * e->units;
				while (*m != NO_CLASS)
					m++; /* duals_prove_multi checked the room, or the slots end in time */
				if (m < e->mates + ((size_t)e->cand[i].s + 1) * e->units)
					*m = j;
			}
}

/*
 * Whether (j, s) is in the last result with several mentors per senior. Such
 * a pair may be worth more than its two prices (the pair is made once: its
 * own bound carries the rest), so the scans must not add it again.
 */
static int in_result(const struct engine *e, size_t j, size_t s)
{
	const size_t *m = e->mates + s * e->units;
	for (size_t k = 0; k < e->units; k++)
		if (m[k] == j)
			return 1;
	return 0;
}

/* The candidate graph in junior rows sorted by senior, and its exact solve. */
static void solve_graph(struct engine *e)
{
	size_t *first = xcalloc(e->n_jun + 2, sizeof(*first));
	size_t *sfirst = xcalloc(e->n_sen + 2, sizeof(*sfirst));
	struct cand *by_s = xmalloc((e->n_cand + 1) * sizeof(*by_s));
	struct flow_arc *arcs = xmalloc((e->n_cand + 1) * sizeof(*arcs));
	struct flow_graph g = { e->n_jun, e->n_sen, e->cap, first, arcs };
	unsigned char *used_s = NULL, *used = NULL;
	if (e->units > 1) {
		/* the last result's flags follow their pairs; new candidates are unused */
		used_s = xmalloc(e->n_cand + 1);
		used = xcalloc(e->n_cand + 1, 1);
		if (e->used)
			memcpy(used, e->used, e->n_used);
	}
	/* counting sort by senior, then (stable) by junior */
	for (size_t i = 0; i < e->n_cand; i++)
		sfirst[e->cand[i].s + 1]++;
	for (size_t s = 0; s < e->n_sen; s++)
		sfirst[s + 1] += sfirst[s];
	for (size_t i = 0; i < e->n_cand; i++) {
		if (used)
			used_s[sfirst[e->cand[i].s]] = used[i];
		by_s[sfirst[e->cand[i].s]++] = e->cand[i];
	}
	for (size_t i = 0; i < e->n_cand; i++)
		first[by_s[i].j + 1]++;
	for (size_t j = 0; j < e->n_jun; j++)
		first[j + 1] += first[j];
	for (size_t i = 0; i < e->n_cand; i++) {
		size_t at = first[by_s[i].j]++;
		e->cand[at] = by_s[i];
		if (used)
			used[at] = used_s[i];
		arcs[at] = (struct flow_arc){ by_s[i].s, cand_weight(e, &by_s[i]) };
	}
	memmove(first + 1, first, e->n_jun * sizeof(*first));
	first[0] = 0;
	/* the sorting copies go before the solver takes its own share of memory */
	free(sfirst);
	free(by_s);
	if (used) {
		free(used_s);
		free(e->used);
		e->used = used;
		e->n_used = e->n_cand;
		solve_multi(e, first, arcs);
		free(first);
		free(arcs);
		return;
	}
	if (e->rough) {
		flow_solve_rough(e->flow, &g, e->mate, e->jdual, e->sdual, e->hint);
	} else {
		flow_solve_warm(e->flow, &g, e->mate, e->jdual, e->sdual, e->hint);
		if (!duals_prove(e, arcs))
			e->duals_bad = 1;
	}
	free(first);
	free(arcs);
}

/* Junior numbers by price (ctx: the prices), then by number. */
static int cmp_price(const void *a, const void *b, void *ctx)
{
	const int64_t *price = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	if (price[x] != price[y])
		return price[x] < price[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Sort each junior class's members by price, cheapest first, and note the minima. */
static void price_classes(struct engine *e)
{
	size_t n_members = e->jc.first[e->jc.n];
	memcpy(e->by_price, e->jc.members, n_members * sizeof(*e->by_price));
	for (size_t c = 0; c < e->jc.n; c++) {
		size_t lo = e->jc.first[c], n = e->jc.first[c + 1] - lo;
		qsort_r(e->by_price + lo, n, sizeof(*e->by_price), cmp_price, e->jdual);
		e->class_min[c] = e->jdual[e->by_price[lo]];
		e->cheapest[c] = 0;
		while (e->cheapest[c] < n && e->jdual[e->by_price[lo + e->cheapest[c]]] == e->class_min[c])
			e->cheapest[c]++;
	}
	for (size_t i = 0; i < n_members; i++)
		e->by_price_priced[i] = (struct priced){ e->jdual[e->by_price[i]], e->jplace[e->by_price[i]], e->by_price[i] };
}

/* Keep violation v among senior's best add_k (most negative first, then junior order). */
static void keep_violation(struct scanner *sc, size_t *n_found, struct violation v)
{
	struct violation *found = sc->found;
	size_t i = *n_found;
	if (i == sc->e->add_k) {
		const struct violation *w = &found[i - 1];
		sc->truncated = 1; /* one of the two is left out */
		if (v.rc > w->rc || (v.rc == w->rc && v.j > w->j))
			return;
		i--;
	} else {
		(*n_found)++;
	}
	while (i > 0 && (found[i - 1].rc > v.rc || (found[i - 1].rc == v.rc && found[i - 1].j > v.j))) {
		found[i] = found[i - 1];
		i--;
	}
	found[i] = v;
}

/* What junior class c has at trie depth d: its rank, then its levels. */
static int class_attr(const struct engine *e, size_t c, int d)
{
	return d == 0 ? e->jc.rank[c] : e->jc.key[c * e->n_areas + (size_t)(d - 1)];
}

/* The trie over the junior classes, built breadth first (once per solve). */
static void build_trie(struct engine *e)
{
	size_t cap = (e->n_areas + 2) * (e->jc.n + 1) + 1;
	int leaf_depth = (int)e->n_areas + 1;
	int *depth = xmalloc(cap * sizeof(*depth));
	e->trie = xmalloc(cap * sizeof(*e->trie));
	e->trie[0] = (struct tnode){ 0, (uint32_t)e->jc.n, 0, 0, 0 };
	depth[0] = 0;
	e->n_trie = 1;
	for (size_t v = 0; v < e->n_trie; v++) {
		struct tnode *t = &e->trie[v];
		t->child = t->child_end = (uint32_t)e->n_trie;
		if (depth[v] == leaf_depth)
			continue;
		for (uint32_t lo = t->lo; lo < t->hi;) {
			int val = class_attr(e, lo, depth[v]);
			uint32_t hi = lo + 1;
			while (hi < t->hi && class_attr(e, hi, depth[v]) == val)
				hi++;
			e->trie[e->n_trie] = (struct tnode){ lo, hi, 0, 0, val };
			depth[e->n_trie++] = depth[v] + 1;
			lo = hi;
		}
		e->trie[v].child_end = (uint32_t)e->n_trie;
	}
	free(depth);
	e->trie_min = xmalloc((e->n_trie + 1) * sizeof(*e->trie_min));
	e->trie_value = xmalloc((e->n_trie + 1) * sizeof(*e->trie_value));
	for (size_t v = 0; v < e->n_trie; v++)
		e->trie_value[v] = e->trie[v].value;
	e->level_max = 0;
	for (size_t i = 0; i < e->jc.n * e->n_areas; i++)
		e->level_max = e->jc.key[i] > e->level_max ? e->jc.key[i] : e->level_max;
	for (size_t i = 0; i < e->sc.n * e->n_areas; i++)
		e->level_max = e->sc.key[i] > e->level_max ? e->sc.key[i] : e->level_max;
	e->prev_jdual = xmalloc((e->n_jun + 1) * sizeof(*e->prev_jdual));
	e->prev_sdual = xmalloc((e->n_sen + 1) * sizeof(*e->prev_sdual));
	e->dirty = xcalloc(e->n_sen + 1, 1);
	e->lowered = xmalloc((e->n_jun + 1) * sizeof(*e->lowered));
	e->low_first = xmalloc((e->jc.n + 2) * sizeof(*e->low_first));
	e->low_members = xmalloc((e->n_jun + 1) * sizeof(*e->low_members));
	e->low_priced = xmalloc((e->n_jun + 1) * sizeof(*e->low_priced));
	e->low_min = xmalloc((e->jc.n + 1) * sizeof(*e->low_min));
	e->trie_min_low = xmalloc((e->n_trie + 1) * sizeof(*e->trie_min_low));
	e->all = (struct view){ e->jc.first, e->by_price, e->cheapest, e->by_price_priced, e->class_min, e->trie_min };
	e->low = (struct view){ e->low_first, e->low_members, NULL, e->low_priced, e->low_min, e->trie_min_low };
}

/* Each node's cheapest price (cmin per class), leaves up (children come after parents). */
static void price_trie(struct engine *e, const int64_t *cmin, int64_t *tmin)
{
	for (size_t v = e->n_trie; v-- > 0;) {
		const struct tnode *t = &e->trie[v];
		int64_t m = INT64_MAX;
		if (t->child == t->child_end && t->lo < t->hi) /* a leaf; the root of no classes has none */
			m = cmin[t->lo];
		for (uint32_t k = t->child; k < t->child_end; k++)
			m = tmin[k] < m ? tmin[k] : m;
		tmin[v] = m;
	}
}

/* The juniors whose price fell, per class cheapest first, and their trie minima. */
static void price_lowered(struct engine *e, size_t n_low)
{
	memset(e->low_first, 0, (e->jc.n + 2) * sizeof(*e->low_first));
	for (size_t i = 0; i < n_low; i++)
		if (e->jc.of[e->lowered[i]] != NO_CLASS)
			e->low_first[e->jc.of[e->lowered[i]] + 1]++;
	for (size_t c = 0; c < e->jc.n; c++)
		e->low_first[c + 1] += e->low_first[c];
	for (size_t i = 0; i < n_low; i++) {
		size_t c = e->jc.of[e->lowered[i]];
		if (c != NO_CLASS)
			e->low_members[e->low_first[c]++] = e->lowered[i];
	}
	memmove(e->low_first + 1, e->low_first, e->jc.n * sizeof(*e->low_first));
	e->low_first[0] = 0;
	for (size_t c = 0; c < e->jc.n; c++) {
		size_t lo = e->low_first[c], n = e->low_first[c + 1] - lo;
		qsort_r(e->low_members + lo, n, sizeof(*e->low_members), cmp_price, e->jdual);
		e->low_min[c] = n ? e->jdual[e->low_members[lo]] : INT64_MAX;
	}
	for (size_t i = 0; i < e->low_first[e->jc.n]; i++)
		e->low_priced[i] = (struct priced){ e->jdual[e->low_members[i]], e->jplace[e->low_members[i]], e->low_members[i] };
	price_trie(e, e->low_min, e->trie_min_low);
}

/* Senior class scl's area terms per junior level, and the most the areas a.. can add. */
static void senior_table(struct scanner *sc, size_t scl)
{
	const struct engine *e = sc->e;
	const int *m = e->sc.key + scl * e->n_areas;
	size_t width = (size_t)e->level_max + 1;
	int *table = sc->table, *suffix = sc->suffix;
	suffix[e->n_areas] = 0;
	for (size_t a = e->n_areas; a-- > 0;) {
		int best = 0;
		for (size_t v = 0; v < width; v++) {
			int teach = e->digital[a] ? (int)v : m[a], learn = e->digital[a] ? m[a] : (int)v;
			long long t = teach > learn ? (long long)e->weights[a] * (teach - learn) : 0;
			table[a * width + v] = t > INT_MAX ? INT_MAX : (int)t;
			best = table[a * width + v] > best ? table[a * width + v] : best;
		}
		suffix[a] = (int)((long long)suffix[a + 1] + best > INT_MAX ? INT_MAX : suffix[a + 1] + best);
	}
}

/*
 * Senior s's violations in junior class c (area score row, weight bound w):
 * juniors cheapest first until the bound cannot beat their price.
 */
static void scan_class(struct scanner *sc, const struct view *v, size_t s, size_t c, int row, int64_t w,
		       size_t *n_found)
{
	const struct engine *e = sc->e;
	const struct match_rules *rules = rules_of(e->in);
	const struct match_person *p = &e->in->people[e->sen[s]];
	struct place mentee = { p->department, p->tz };
	int64_t u = e->sdual[s];
	size_t lo = v->first[c], hi = v->first[c + 1], taken = 0;
	size_t r = v->cheapest ? v->cheapest[c] : 0, turn = r ? s % r : 0;
	if (*n_found == e->add_k && u + v->cmin[c] - w > sc->found[*n_found - 1].rc) {
		sc->truncated = 1;
		return;
	}
	for (size_t k = 0; lo + k < hi; k++) {
		/* the cheapest run is entered at an offset of s's, to spread seniors out */
		size_t at = lo + (k < r ? (k + turn < r ? k + turn : k + turn - r) : k), j;
		int64_t price = v->priced[at].price, weight;
		int score;
		if (w <= u + price)
			break;
		/* juniors only get dearer: once the list is full, one that cannot beat its last ends the class */
		if (*n_found == e->add_k && u + price - w > sc->found[*n_found - 1].rc) {
			sc->truncated = 1;
			break;
		}
		if (taken == e->add_k) {
			sc->truncated = 1;
			break;
		}
		j = v->priced[at].j;
		if (is_current(e, j, s) || (e->units > 1 && in_result(e, j, s)))
			continue;
		/* the class's score and this pair's own bonuses first: most pairs stop here, before the rules */
		{
			struct match_terms t = { row, 0, 0, 0 };
			place_terms(rules, v->priced[at].place, mentee, &t);
			if (e->big + (int64_t)terms_sum(&t) * e->tie <= u + price)
				continue;
		}
		if (!pair_ok(e, &sc->mismatch, j, s, row, &score))
			continue;
		weight = e->big + (int64_t)score * e->tie;
		if (weight <= u + price)
			continue;
		keep_violation(sc, n_found, (struct violation){ j, score, u + price - weight });
		taken++;
	}
}

/*
 * What a senior's walk compares a node with: its best possible weight
 * big + (bound + bonus) * tie beats the cheapest price u + tmin below it
 * when bound * tie - tmin > u - big - bonus * tie, the right side being
 * the senior's threshold. So seniors of one class with equal thresholds
 * walk alike, and a walk at a lower threshold reaches every leaf a higher
 * one does.
 */
static int64_t senior_threshold(const struct engine *e, size_t s)
{
	return e->sdual[s] - e->big - (int64_t)senior_bonus(e, s) * e->tie;
}

/*
 * The walk of the trie for senior class scl (whose tables are set) at
 * threshold thr: depth first, a subtree skipped when its best possible
 * weight (the areas fixed so far, the most the others can add, the
 * bonuses thr allows for) cannot beat its cheapest junior's price, or
 * cannot reach min_score, or its rank may not mentor the class. Each leaf
 * reached goes to visit(sc, ctx, class, area score, key), in trie order,
 * key being the leaf's side of the test above.
 */
static void walk_trie(struct scanner *sc, const struct view *v, size_t scl, int64_t thr,
		      void (*visit)(struct scanner *, void *, size_t, long long, int64_t), void *ctx)
{
	const struct engine *e = sc->e;
	struct tframe *stack = sc->stack;
	const int *table = sc->table, *suffix = sc->suffix;
	int leaf = (int)e->n_areas + 1;
	long long min_score = (long long)e->in->cf->min_score - e->bonus_all;
	long long min_rank = (long long)e->sc.rank[scl] + rank_gap(rules_of(e->in));
	size_t width = (size_t)e->level_max + 1, top = 0;
	if (suffix[0] < min_score || v->tmin[0] == INT64_MAX || suffix[0] * e->tie - v->tmin[0] <= thr)
		return;
	stack[top++] = (struct tframe){ 0, 0, 0 };
	while (top > 0) {
		struct tframe f = stack[--top];
		const struct tnode *t = &e->trie[f.node];
		if (f.depth == leaf) {
			visit(sc, ctx, t->lo, f.partial, f.partial * e->tie - v->tmin[f.node]);
			continue;
		}
		/* children are tested before they are stacked, last first so that they come off in order */
		for (uint32_t k = t->child_end; k-- > t->child;) {
			long long p = f.partial, bound;
			if (f.depth == 0 && e->trie_value[k] < min_rank)
				break; /* ranks rise from child to child: none before k may mentor s */
			if (f.depth >= 1)
				p += table[(size_t)(f.depth - 1) * width + (size_t)e->trie_value[k]];
			bound = p + suffix[f.depth];
			if (bound < min_score || v->tmin[k] == INT64_MAX || bound * e->tie - v->tmin[k] <= thr)
				continue;
			stack[top++] = (struct tframe){ k, f.depth + 1, p };
		}
	}
}

/* One senior's scan in progress, for walk_trie's visits. */
struct senior_scan {
	const struct view *v;
	size_t s, n_found;
	int bonus;
};

/* Scan the class of a leaf the senior's walk reached. */
static void visit_scan(struct scanner *sc, void *ctx, size_t c, long long partial, int64_t key)
{
	struct senior_scan *ss = ctx;
	const struct engine *e = sc->e;
	(void)key;
	scan_class(sc, ss->v, ss->s, c, (int)partial, e->big + (partial + ss->bonus) * e->tie, &ss->n_found);
}

/*
 * Every eligible pair of senior s (of class scl, whose tables are set) whose
 * weight exceeds the two prices, the add_k most negative kept: the classes
 * its walk of the trie reaches (see walk_trie). The current pair is always
 * in the graph, so its stability bonus is left out.
 */
static size_t scan_senior_trie(struct scanner *sc, const struct view *v, size_t s, size_t scl)
{
	struct senior_scan ss = { v, s, 0, senior_bonus(sc->e, s) };
	walk_trie(sc, v, scl, senior_threshold(sc->e, s), visit_scan, &ss);
	return ss.n_found;
}

/* Note a leaf a class's shared walk reached. */
static void visit_note(struct scanner *sc, void *ctx, size_t c, long long partial, int64_t key)
{
	(void)ctx;
	sc->leaves[sc->n_leaves++] = (struct leaf){ (uint32_t)c, (int)partial, key };
}

/* Whether leaf a comes before leaf b: higher key, then lower class. */
static int leaf_before(const struct leaf *a, const struct leaf *b)
{
	return a->key > b->key || (a->key == b->key && a->c < b->c);
}

/* Move the leaf in heap slot i down to its place. */
static void leaf_down(struct leaf *heap, size_t n, size_t i)
{
	struct leaf x = heap[i];
	for (;;) {
		size_t k = 2 * i + 1;
		if (k >= n)
			break;
		if (k + 1 < n && leaf_before(&heap[k + 1], &heap[k]))
			k++;
		if (!leaf_before(&heap[k], &x))
			break;
		heap[i] = heap[k];
		i = k;
	}
	heap[i] = x;
}

/* The i-th leaf by key (NULL past the last): most seniors stop early, so the heap is sorted only that far. */
static const struct leaf *leaf_at(struct scanner *sc, size_t i)
{
	while (sc->n_sorted <= i && sc->n_leaves > 0) {
		sc->sorted[sc->n_sorted++] = sc->leaves[0];
		sc->leaves[0] = sc->leaves[--sc->n_leaves];
		leaf_down(sc->leaves, sc->n_leaves, 0);
	}
	return i < sc->n_sorted ? &sc->sorted[i] : NULL;
}

/*
 * scan_senior_trie from the leaves of a walk at a threshold no higher than
 * s's, sorted by key: a leaf passes s's test exactly when s's own walk
 * reaches it, since a node's bound is at least any leaf's below it and its
 * cheapest price at most theirs (so only leaves need the test), and those
 * that pass come first. thr - key is the best reduced cost a leaf's class
 * can give s, rising from leaf to leaf, so once add_k violations are found
 * and a leaf cannot beat the last of them, no later one can. What is kept
 * does not depend on the order the classes come in.
 */
static size_t scan_senior_leaves(struct scanner *sc, const struct view *v, size_t s)
{
	const struct engine *e = sc->e;
	struct senior_scan ss = { v, s, 0, senior_bonus(e, s) };
	int64_t thr = senior_threshold(e, s);
	const struct leaf *l;
	for (size_t i = 0; (l = leaf_at(sc, i)) != NULL && l->key > thr; i++) {
		if (ss.n_found == e->add_k && thr - l->key > sc->found[ss.n_found - 1].rc) {
			sc->truncated = 1;
			break;
		}
		scan_class(sc, v, s, l->c, l->partial, e->big + ((long long)l->partial + ss.bonus) * e->tie,
			   &ss.n_found);
	}
	return ss.n_found;
}

/* Append the pair (j, s) to a scanner's findings. */
static void scanner_add(struct scanner *sc, size_t j, size_t s, int score)
{
	if (sc->n_out == sc->cap_out)
		sc->out = xgrow(sc->out, &sc->cap_out, sc->n_out + 1, sizeof(*sc->out));
	sc->out[sc->n_out++] = (struct cand){ (uint32_t)j, (uint32_t)s, score };
}

/* Which juniors senior s is scanned against (whole: every junior, else see certify). */
static const struct view *senior_view(const struct engine *e, size_t s, int whole)
{
	return whole || e->dirty[s] || e->sdual[s] < e->prev_sdual[s] ? &e->all : &e->low;
}

/*
 * The seniors of class scl that are scanned against view v share one walk
 * of the trie, at the lowest of their thresholds, its leaves sorted by key
 * (when the areas' bounds are exact sums, which the leaves' test needs);
 * returns whether sc->leaves holds it.
 */
static int share_walk(struct scanner *sc, const struct view *v, size_t scl, char whole)
{
	const struct engine *e = sc->e;
	size_t n = 0, lo = e->sc.first[scl];
	int64_t thr = INT64_MAX;
	sc->n_leaves = sc->n_sorted = 0;
	if (sc->suffix[0] >= INT_MAX)
		return 0;
	for (size_t i = lo; i < e->sc.first[scl + 1]; i++) {
		size_t s = e->sc.members[i];
		int64_t t;
		if (sc->whole[i - lo] != whole)
			continue;
		n++;
		t = senior_threshold(e, s);
		thr = t < thr ? t : thr;
	}
	if (n == 0)
		return 0;
	walk_trie(sc, v, scl, thr, visit_note, NULL);
	for (size_t i = sc->n_leaves / 2; i-- > 0;)
		leaf_down(sc->leaves, sc->n_leaves, i);
	return 1;
}

/* Scan the seniors of one chunk. */
static void scan_chunk(struct scanner *sc, struct chunk *ch, int whole)
{
	struct engine *e = sc->e;
	ch->out_lo = sc->n_out;
	for (size_t scl = ch->scl_lo; scl < ch->scl_hi; scl++) {
		size_t lo = e->sc.first[scl];
		senior_table(sc, scl);
		/* the views are chosen first: the scans below change dirty[] */
		for (size_t i = lo; i < e->sc.first[scl + 1]; i++)
			sc->whole[i - lo] = senior_view(e, e->sc.members[i], whole) == &e->all;
		for (char pass = 1; pass >= 0; pass--) {
			const struct view *v = pass ? &e->all : &e->low;
			int shared = share_walk(sc, v, scl, pass);
			for (size_t i = lo; i < e->sc.first[scl + 1]; i++) {
				size_t s = e->sc.members[i], n;
				if (sc->whole[i - lo] != pass)
					continue;
				sc->truncated = 0;
				n = shared ? scan_senior_leaves(sc, v, s) : scan_senior_trie(sc, v, s, scl);
				e->dirty[s] = (char)sc->truncated;
				for (size_t k = 0; k < n; k++)
					scanner_add(sc, sc->found[k].j, s, sc->found[k].score);
			}
		}
	}
	ch->out_hi = sc->n_out;
}

/* A pair a scan found, by reduced cost, then senior; at: its place among the pairs found. */
struct found_pair {
	uint32_t s;
	int64_t rc;
	size_t at;
};

static int cmp_found_pair(const void *a, const void *b)
{
	const struct found_pair *x = a, *y = b;
	if (x->rc != y->rc)
		return x->rc < y->rc ? -1 : 1;
	return x->s < y->s ? -1 : x->s > y->s;
}

/*
 * Of the pairs a scan added (the graph from first on), keep each junior's
 * add_per_junior most negative (then lowest senior number) and drop the
 * rest; returns how many stay. A junior whose price is far too low shows up
 * in the scans of most seniors, but only a few of them can take it: the
 * next solve raises its price and leaves nearly all of those pairs slack,
 * yet every later solve would carry them. The seniors of dropped pairs are
 * scanned whole next time, as after a truncated scan, so nothing is lost.
 * The pairs are bucketed by junior; only a bucket over the limit is sorted.
 */
static size_t limit_per_junior(struct engine *e, size_t first)
{
	size_t n = e->n_cand - first, m = 0;
	size_t *start = xcalloc(e->n_jun + 2, sizeof(*start));
	struct found_pair *v = xmalloc((n + 1) * sizeof(*v));
	char *keep = xmalloc(n + 1);
	memset(keep, 1, n);
	for (size_t i = 0; i < n; i++)
		start[e->cand[first + i].j + 1]++;
	for (size_t j = 0; j < e->n_jun; j++)
		start[j + 1] += start[j];
	for (size_t i = 0; i < n; i++) {
		const struct cand *c = &e->cand[first + i];
		v[start[c->j]++] = (struct found_pair){ c->s, e->jdual[c->j] + e->sdual[c->s] - cand_weight(e, c), i };
	}
	for (size_t j = 0, lo = 0; j < e->n_jun; lo = start[j++]) {
		if (start[j] - lo <= e->add_per_junior)
			continue;
		qsort(v + lo, start[j] - lo, sizeof(*v), cmp_found_pair);
		for (size_t i = lo + e->add_per_junior; i < start[j]; i++) {
			keep[v[i].at] = 0;
			e->dirty[v[i].s] = 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			e->cand[first + m++] = e->cand[first + i];
	e->n_cand = first + m;
	free(start);
	free(v);
	free(keep);
	return m;
}

/* What a scanning thread does: every n_workers-th chunk from its own number on. */
struct scan_job {
	struct scanner *sc;
	size_t worker, n_workers;
	int whole;
};

static void *scan_worker(void *arg)
{
	struct scan_job *job = arg;
	struct engine *e = job->sc->e;
	for (size_t k = job->worker; k < e->n_chunks; k += job->n_workers) {
		e->chunks[k].worker = job->worker;
		scan_chunk(job->sc, &e->chunks[k], job->whole);
	}
	return NULL;
}

/*
 * Every senior's scan, on e->threads threads taking the chunks of senior
 * classes in turn (chunks are small, so each thread gets a fair share of
 * cheap and costly ones); then the pairs found join the graph chunk by
 * chunk, so the graph is the same whatever the number of threads. The
 * share of a thread that cannot be started is scanned here.
 */
static size_t scan_all(struct engine *e, int whole)
{
	size_t n_workers = e->threads < e->n_chunks ? e->threads : e->n_chunks, first = e->n_cand;
	pthread_t *tid = xmalloc((n_workers + 1) * sizeof(*tid));
	struct scan_job *jobs = xmalloc((n_workers + 1) * sizeof(*jobs));
	char *started = xcalloc(n_workers + 1, 1);
	for (size_t w = 0; w < n_workers; w++) {
		e->scanners[w].n_out = 0;
		jobs[w] = (struct scan_job){ &e->scanners[w], w, n_workers, whole };
	}
	for (size_t w = 1; w < n_workers; w++)
		started[w] = pthread_create(&tid[w], NULL, scan_worker, &jobs[w]) == 0;
	if (n_workers > 0)
		scan_worker(&jobs[0]);
	for (size_t w = 1; w < n_workers; w++) {
		if (started[w])
			pthread_join(tid[w], NULL);
		else
			scan_worker(&jobs[w]);
	}
	for (size_t k = 0; k < e->n_chunks; k++) {
		const struct chunk *ch = &e->chunks[k];
		const struct scanner *sc = &e->scanners[ch->worker];
		for (size_t i = ch->out_lo; i < ch->out_hi; i++)
			add_cand(e, sc->out[i].j, sc->out[i].s, sc->out[i].score);
	}
	for (size_t w = 0; w < n_workers; w++)
		e->model_mismatch |= e->scanners[w].mismatch;
	free(tid);
	free(jobs);
	free(started);
	return limit_per_junior(e, first);
}

/*
 * One certification scan over all pairs; returns how many pairs it added to
 * the graph. After the first, a senior is scanned against every junior only
 * if its price fell or its last scan left violations out (or added only some
 * of them: limit_per_junior); otherwise only
 * its pairs with juniors whose price fell can have become violations, since
 * every other pair was covered by the last scan's prices and still is.
 */
static size_t certify(struct engine *e)
{
	size_t added, n_low = 0;
	int whole = !e->have_prev;
	price_classes(e);
	price_trie(e, e->class_min, e->trie_min);
	for (size_t j = 0; !whole && j < e->n_jun; j++)
		if (e->jdual[j] < e->prev_jdual[j])
			e->lowered[n_low++] = j;
	if (!whole)
		price_lowered(e, n_low);
	added = scan_all(e, whole);
	memcpy(e->prev_jdual, e->jdual, e->n_jun * sizeof(*e->jdual));
	memcpy(e->prev_sdual, e->sdual, e->n_sen * sizeof(*e->sdual));
	e->have_prev = 1;
	return added;
}

/* How many threads to scan on: the option, or the online CPUs (at most MAX_THREADS). */
static size_t thread_count(const struct match_options *opt)
{
	long n;
	if (opt && opt->threads > 0)
		return opt->threads < THREADS_LIMIT ? opt->threads : THREADS_LIMIT;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (size_t)n;
}

/*
 * The scanners and the chunks: senior classes in order, cut where a chunk
 * has about CHUNKS_PER_THREAD times fewer seniors than a thread's share,
 * so that taking every n-th chunk spreads the costly ones evenly.
 */
static void alloc_scanners(struct engine *e, const struct match_options *opt)
{
	size_t n_stack = (e->n_areas + 2) * (e->n_trie + 1) + 1, per = 0, want;
	size_t n_table = e->n_areas * ((size_t)e->level_max + 1) + 1, largest = 0;
	e->threads = thread_count(opt);
	for (size_t scl = 0; scl < e->sc.n; scl++)
		if (e->sc.first[scl + 1] - e->sc.first[scl] > largest)
			largest = e->sc.first[scl + 1] - e->sc.first[scl];
	want = e->n_sen / (e->threads * CHUNKS_PER_THREAD) + 1;
	e->chunks = xmalloc((e->sc.n + 1) * sizeof(*e->chunks));
	e->n_chunks = 0;
	for (size_t scl = 0; scl < e->sc.n; scl++) {
		if (per == 0)
			e->chunks[e->n_chunks++] = (struct chunk){ scl, scl + 1, 0, 0, 0 };
		e->chunks[e->n_chunks - 1].scl_hi = scl + 1;
		per += e->sc.first[scl + 1] - e->sc.first[scl];
		if (per >= want)
			per = 0;
	}
	e->scanners = xcalloc(e->threads, sizeof(*e->scanners));
	for (size_t w = 0; w < e->threads; w++) {
		struct scanner *sc = &e->scanners[w];
		sc->e = e;
		sc->stack = xmalloc(n_stack * sizeof(*sc->stack));
		sc->table = xmalloc(n_table * sizeof(*sc->table));
		sc->suffix = xmalloc((e->n_areas + 2) * sizeof(*sc->suffix));
		sc->found = xmalloc((e->add_k + 1) * sizeof(*sc->found));
		sc->leaves = xmalloc((e->jc.n + 1) * sizeof(*sc->leaves));
		sc->sorted = xmalloc((e->jc.n + 1) * sizeof(*sc->sorted));
		sc->whole = xmalloc(largest + 1);
	}
}

static void scanners_free(struct engine *e)
{
	for (size_t w = 0; e->scanners && w < e->threads; w++) {
		struct scanner *sc = &e->scanners[w];
		free(sc->stack);
		free(sc->table);
		free(sc->suffix);
		free(sc->found);
		free(sc->out);
		free(sc->leaves);
		free(sc->sorted);
		free(sc->whole);
	}
	free(e->scanners);
	free(e->chunks);
}

/* --- set-up, result, entry points ------------------------------------------- */

/* Junior numbers, ascending. */
static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Per senior every current junior (current_mentor's and current's), by
 * number, each once; e->cur[s] becomes the first of them.
 */
static void setup_current(struct engine *e, const size_t *junior_no)
{
	const struct match_input *in = e->in;
	size_t *senior_no = xmalloc((in->n_people + 1) * sizeof(*senior_no)), *fill, n = 0;
	for (size_t i = 0; i < in->n_people; i++)
		senior_no[i] = NO_CLASS;
	for (size_t s = 0; s < e->n_sen; s++)
		senior_no[e->sen[s]] = s;
	e->cur_first = xcalloc(e->n_sen + 2, sizeof(*e->cur_first));
	for (size_t s = 0; s < e->n_sen; s++)
		e->cur_first[s + 1] += e->cur[s] != NO_CLASS;
	for (size_t i = 0; i < in->n_current; i++)
		if (senior_no[in->current[i].senior] != NO_CLASS && junior_no[in->current[i].junior] != NO_CLASS)
			e->cur_first[senior_no[in->current[i].senior] + 1]++;
	for (size_t s = 0; s < e->n_sen; s++)
		e->cur_first[s + 1] += e->cur_first[s];
	e->cur_jun = xmalloc((e->cur_first[e->n_sen] + 1) * sizeof(*e->cur_jun));
	fill = xmalloc((e->n_sen + 1) * sizeof(*fill));
	memcpy(fill, e->cur_first, e->n_sen * sizeof(*fill));
	for (size_t s = 0; s < e->n_sen; s++)
		if (e->cur[s] != NO_CLASS)
			e->cur_jun[fill[s]++] = e->cur[s];
	for (size_t i = 0; i < in->n_current; i++) {
		size_t s = senior_no[in->current[i].senior], j = junior_no[in->current[i].junior];
		if (s != NO_CLASS && j != NO_CLASS)
			e->cur_jun[fill[s]++] = j;
	}
	/* sorted and each once, packed in place */
	for (size_t s = 0; s < e->n_sen; s++) {
		size_t lo = e->cur_first[s], hi = e->cur_first[s + 1];
		qsort(e->cur_jun + lo, hi - lo, sizeof(*e->cur_jun), cmp_size);
		e->cur_first[s] = n;
		for (size_t k = lo; k < hi; k++)
			if (k == lo || e->cur_jun[k] != e->cur_jun[k - 1])
				e->cur_jun[n++] = e->cur_jun[k];
		e->cur[s] = n > e->cur_first[s] ? e->cur_jun[e->cur_first[s]] : NO_CLASS;
	}
	e->cur_first[e->n_sen] = n;
	free(fill);
	free(senior_no);
}

/* Sorted sides, capacities, current mentors by number, the classes. */
static void setup(struct engine *e)
{
	const struct match_input *in = e->in;
	size_t *junior_no = xmalloc((in->n_people + 1) * sizeof(*junior_no));
	char *usable;
	e->n_areas = in->cf->n_areas;
	e->jun = match_sorted_unique(in->people, in->juniors, in->n_juniors, &e->n_jun);
	e->sen = match_sorted_unique(in->people, in->seniors, in->n_seniors, &e->n_sen);
	e->cap = xmalloc((e->n_jun + 1) * sizeof(*e->cap));
	e->cur = xmalloc((e->n_sen + 1) * sizeof(*e->cur));
	usable = xmalloc(e->n_jun + e->n_sen + 1);
	for (size_t i = 0; i < in->n_people; i++)
		junior_no[i] = NO_CLASS;
	for (size_t j = 0; j < e->n_jun; j++) {
		const struct match_person *p = &in->people[e->jun[j]];
		e->cap[j] = p->capacity > 0 ? (size_t)p->capacity : 0;
		usable[j] = p->capacity > 0 && person_rank(rules_of(in), p) != INT_MIN;
		junior_no[e->jun[j]] = j;
	}
	e->jplace = xmalloc((e->n_jun + 1) * sizeof(*e->jplace));
	for (size_t j = 0; j < e->n_jun; j++)
		e->jplace[j] = (struct place){ in->people[e->jun[j]].department, in->people[e->jun[j]].tz };
	build_classes(in, e->jun, e->n_jun, usable, &e->jc);
	for (size_t s = 0; s < e->n_sen; s++) {
		size_t m = in->current_mentor ? in->current_mentor[e->sen[s]] : MATCH_NONE;
		e->cur[s] = m < in->n_people ? junior_no[m] : NO_CLASS;
		usable[s] = person_rank(rules_of(in), &in->people[e->sen[s]]) != INT_MIN;
	}
	build_classes(in, e->sen, e->n_sen, usable, &e->sc);
	if (in->n_current)
		setup_current(e, junior_no);
	free(usable);
	free(junior_no);
}

/*
 * The scales with several mentors per senior. A pair is worth
 * big + score * tie + current, and a senior's first mentor adds big more
 * (first_value). The most seniors matched and the most pairs can always be
 * had together (an augmenting path never unmatches a senior), so big above
 * any result's total of score * tie + current makes seniors, then pairs,
 * then score, then current pairs the order. That total is at most
 * n_pairs * (pair_max * tie + 1), n_pairs the most pairs there can be; tie
 * exceeds the number of current pairs (or is 1 if that would not fit, and
 * current pairs lose their say).
 */
static void set_scales_multi(struct engine *e, long long pair_max)
{
	size_t places = 0, room = 0, n_cur = 0, n_pairs;
	for (size_t s = 0; s < e->n_sen; s++) {
		places += e->sunits[s];
		if (e->cur_jun)
			n_cur += e->cur_first[s + 1] - e->cur_first[s];
		else
			n_cur += e->cur[s] != NO_CLASS;
	}
	for (size_t j = 0; j < e->n_jun; j++)
		room += e->cap[j];
	n_pairs = places < room ? places : room;
	n_cur = n_cur < n_pairs ? n_cur : n_pairs;
	e->tie = (int64_t)n_cur + 1;
	if ((double)pair_max * (double)e->tie * (double)(n_pairs + 1) * (double)(n_pairs + 1) > 0x1p61)
		e->tie = 1;
	e->big = ((int64_t)n_pairs * ((int64_t)pair_max * e->tie + 1)) + 1;
	for (size_t s = 0; s < e->n_sen; s++)
		e->first_value[s] = e->first_value[s] ? e->big : 0;
}

/*
 * The weights' scales: the highest class score sets the tie scale and big.
 * big exceeds any matching's total of score * tie + current, so one more
 * senior always wins; tie exceeds the number of current pairs, so a score
 * point always beats them. If that would not fit, current pairs lose their
 * say (tie 1, weights score + 0), as in the oracle.
 */
static void set_scales(struct engine *e)
{
	const struct match_rules *r = rules_of(e->in);
	long long max = 0, pair_max;
	int tz = r->bonus_same_tz > r->bonus_near_tz ? r->bonus_same_tz : r->bonus_near_tz;
	e->weights = xmalloc((e->n_areas + 1) * sizeof(*e->weights));
	e->digital = xmalloc(e->n_areas + 1);
	for (size_t a = 0; a < e->n_areas; a++) {
		int jhi = INT_MIN, jlo = INT_MAX, shi = INT_MIN, slo = INT_MAX;
		e->weights[a] = model_score_weight(e->in->cf, a);
		e->digital[a] = e->in->cf->areas[a].direction == CONF_DIR_DIGITAL;
		for (size_t c = 0; c < e->jc.n; c++) {
			int v = e->jc.key[c * e->n_areas + a];
			jhi = v > jhi ? v : jhi;
			jlo = v < jlo ? v : jlo;
		}
		for (size_t c = 0; c < e->sc.n; c++) {
			int v = e->sc.key[c * e->n_areas + a];
			shi = v > shi ? v : shi;
			slo = v < slo ? v : slo;
		}
		if (e->jc.n && e->sc.n && e->weights[a] > 0) {
			long long hi = e->digital[a] ? jhi : shi, lo = e->digital[a] ? slo : jlo;
			if (hi > lo)
				max += (long long)e->weights[a] * (hi - lo);
		}
	}
	e->max_score = max > INT_MAX ? INT_MAX : (int)max;
	e->bonus_all = (r->bonus_cross_department > 0 ? r->bonus_cross_department : 0) + (tz > 0 ? tz : 0) +
		       (r->bonus_stability > 0 ? r->bonus_stability : 0);
	pair_max = (long long)e->max_score + e->bonus_all;
	if (pair_max > INT_MAX)
		pair_max = INT_MAX;
	if (e->units > 1) {
		set_scales_multi(e, pair_max);
	} else {
		e->tie = (int64_t)e->n_sen + 1;
		if ((double)pair_max * (double)e->tie * (double)(e->n_sen + 1) * (double)(e->n_sen + 1) > 0x1p61)
			e->tie = 1;
		e->big = ((int64_t)e->n_sen * ((int64_t)pair_max * e->tie + 1)) + 1;
	}
	e->row = xmalloc((e->jc.n + 1) * sizeof(*e->row));
	e->order = xmalloc((e->jc.n + 1) * sizeof(*e->order));
	e->count = xmalloc(((e->max_score > MAX_BUCKETS ? 0 : (size_t)e->max_score) + 2) *
			   sizeof(*e->count));
}

/* Scratch for the solves and the scans. */
static void alloc_rounds(struct engine *e)
{
	e->mate = xmalloc((e->n_sen + 1) * sizeof(*e->mate));
	e->jdual = xmalloc((e->n_jun + 1) * sizeof(*e->jdual));
	e->sdual = xmalloc((e->n_sen + 1) * sizeof(*e->sdual));
	e->by_price = xmalloc((e->jc.first[e->jc.n] + 1) * sizeof(*e->by_price));
	e->by_price_priced = xmalloc((e->jc.first[e->jc.n] + 1) * sizeof(*e->by_price_priced));
	e->class_min = xmalloc((e->jc.n + 1) * sizeof(*e->class_min));
	e->cheapest = xmalloc((e->jc.n + 1) * sizeof(*e->cheapest));
	e->best = xmalloc((e->top_k + 1) * sizeof(*e->best));
	e->listed = xcalloc(e->n_jun + 1, sizeof(*e->listed));
	e->flow = flow_state_new();
}

static void engine_free(struct engine *e)
{
	void *owned[] = {
		e->jun, e->sen, e->jplace, e->cap, e->cur, e->weights, e->digital, e->cand, e->mate, e->jdual, e->sdual,
		e->row, e->order, e->count, e->by_price, e->by_price_priced, e->low_priced, e->class_min, e->cheapest, e->best,
		e->trie, e->trie_min, e->trie_value, e->prev_jdual, e->prev_sdual, e->dirty,
		e->lowered, e->low_first, e->low_members, e->low_min, e->trie_min_low, e->listed,
		e->cur_first, e->cur_jun, e->used, e->sunits, e->first_value, e->mates,
		e->part_of, e->part_key, e->part_sum,
	};
	scanners_free(e);
	classes_free(&e->jc);
	classes_free(&e->sc);
	chain_free(&e->chain);
	flow_state_free(e->flow);
	free(e->hint);
	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		free(owned[i]);
}

/* The result's candidates by senior, then junior number (id order). */
static int cmp_cand_senior(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->j < y->j ? -1 : x->j > y->j;
}

/* collect with several mentors per senior: the used candidates by senior, then junior. */
static void collect_multi(struct engine *e, struct match_pair **pairs, size_t *n_pairs, struct match_stats *st)
{
	struct cand *res = xmalloc((e->n_cand + 1) * sizeof(*res));
	size_t n = 0;
	for (size_t i = 0; i < e->n_cand; i++)
		if (e->used[i])
			res[n++] = e->cand[i];
	qsort(res, n, sizeof(*res), cmp_cand_senior);
	*pairs = xmalloc((n + 1) * sizeof(**pairs));
	for (size_t i = 0; i < n; i++) {
		int score = 0;
		match_eligible(e->in, e->jun[res[i].j], e->sen[res[i].s], &score);
		(*pairs)[i] = (struct match_pair){ e->jun[res[i].j], e->sen[res[i].s], score, 0 };
		st->total_score += score;
		st->current_kept += is_current(e, res[i].j, res[i].s);
		st->matched += i == 0 || res[i - 1].s != res[i].s;
	}
	*n_pairs = st->pairs = n;
	free(res);
}

/* The pairs in senior order (senior id order), and the figures for the stats. */
static void collect(struct engine *e, struct match_pair **pairs, size_t *n_pairs,
		    struct match_stats *st)
{
	size_t n = 0;
	if (e->units > 1) {
		collect_multi(e, pairs, n_pairs, st);
		return;
	}
	*pairs = xmalloc((e->n_sen + 1) * sizeof(**pairs));
	for (size_t s = 0; s < e->n_sen; s++) {
		int score = 0;
		if (e->mate[s] == FLOW_NONE)
			continue;
		match_eligible(e->in, e->jun[e->mate[s]], e->sen[s], &score);
		(*pairs)[n++] = (struct match_pair){ e->jun[e->mate[s]], e->sen[s], score, 0 };
		st->total_score += score;
		st->current_kept += is_current(e, e->mate[s], s);
	}
	*n_pairs = st->matched = st->pairs = n;
}

/* The final candidate graph with people indices, for the stats. */
static void export_graph(const struct engine *e, int tight, struct match_stats *st)
{
	size_t n = 0;
	st->graph = xmalloc((e->n_cand + 1) * sizeof(*st->graph));
	for (size_t i = 0; i < e->n_cand; i++) {
		const struct cand *c = &e->cand[i];
		int64_t w = cand_weight(e, c);
		if (tight && e->jdual[c->j] + e->sdual[c->s] != w && !(e->units > 1 && e->used[i]))
			continue;
		st->graph[n++] = (struct match_arc){ e->jun[c->j], e->sen[c->s], (long long)w };
	}
	st->n_graph = n;
}

/* Seconds since *t, and *t moved to now. */
static double lap(struct timespec *t)
{
	struct timespec now;
	double d;
	clock_gettime(CLOCK_MONOTONIC, &now);
	d = (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
	*t = now;
	return d;
}

/* Seniors the last solve matched. */
static size_t solve_matched(const struct engine *e)
{
	size_t n = 0;
	for (size_t s = 0; s < e->n_sen; s++) {
		const size_t *m = e->units > 1 ? e->mates + s * e->units : &e->mate[s];
		n += *m != (e->units > 1 ? NO_CLASS : FLOW_NONE);
	}
	return n;
}

/*
 * A rough round's scan: the pairs that beat their two prices by at least
 * a quarter of a score point (by one unit if the tie scale is 1), since a
 * rough solve's prices are off by about a unit of weight.
 */
static size_t certify_rough(struct engine *e)
{
	int64_t margin = e->tie / 4 > 1 ? e->tie / 4 : 1;
	size_t added;
	for (size_t s = 0; s < e->n_sen; s++)
		e->sdual[s] += margin;
	added = certify(e);
	for (size_t s = 0; s < e->n_sen; s++)
		e->sdual[s] -= margin;
	return added;
}

/*
 * Solve and certify until a scan finds nothing to add; with log, what each
 * round did. A first graph built from scratch (no graph_in) grows in rough
 * rounds first: each a rough solve (one unit of weight from the optimum,
 * at a fraction of an exact solve's cost), warm from the last, and a scan
 * with its prices; until one adds pairs for fewer than 1% of the seniors
 * (or ROUGH_MAX rounds). The exact rounds then start from the last rough
 * solve; only they can end the loop, so the result is certified as before.
 */
static void run_rounds(struct engine *e, struct match_stats *st, struct timespec *t, int log)
{
	size_t cap_log = 0;
	for (;;) {
		struct match_round r = { .candidates = e->n_cand, .rough = e->rough };
		solve_graph(e);
		st->rounds++;
		r.sec_solve = lap(t);
		st->sec_solve += r.sec_solve;
		r.added = r.rough ? certify_rough(e) : certify(e);
		r.sec_certify = lap(t);
		st->sec_certify += r.sec_certify;
		if (log) {
			r.matched = solve_matched(e);
			st->round_log = xgrow(st->round_log, &cap_log, st->rounds, sizeof(*st->round_log));
			st->round_log[st->rounds - 1] = r;
		}
		if (!r.rough && (r.added == 0 || e->duals_bad))
			break;
		if (r.rough && (r.added == 0 || r.added * 100 < e->n_sen || st->rounds >= ROUGH_MAX))
			e->rough = 0;
		e->n_added += r.added;
	}
}

/*
 * Prices from an earlier solve, as start prices for this one: a price is
 * a * big + b * tie + c there (c < tie), so it is a * big + b * tie + c here,
 * which keeps its meaning (seniors, score points, current pairs) when the
 * number of seniors or the highest score changed in between.
 */
static void set_hint(struct engine *e, const struct match_options *opt)
{
	long long ob = opt->prices_in_big, ot = opt->prices_in_tie;
	if (!opt->prices_in || ob <= 0 || ot <= 0)
		return;
	e->hint = xmalloc((e->n_jun + 1) * sizeof(*e->hint));
	for (size_t j = 0; j < e->n_jun; j++) {
		long long p = opt->prices_in[e->jun[j]], a, b, c;
		__int128 v;
		if (p <= 0) {
			e->hint[j] = 0;
			continue;
		}
		a = p / ob;
		b = (p % ob) / ot;
		c = (p % ob) % ot;
		v = (__int128)a * e->big + (__int128)b * e->tie + (c < e->tie ? c : e->tie - 1);
		e->hint[j] = v > INT64_MAX / 4 ? INT64_MAX / 4 : (int64_t)v;
	}
}

/* Every junior's final price by person index. */
static void export_prices(const struct engine *e, struct match_stats *st)
{
	st->prices = xcalloc(e->in->n_people + 1, sizeof(*st->prices));
	for (size_t j = 0; j < e->n_jun; j++)
		st->prices[e->jun[j]] = e->jdual[j];
}

/*
 * Per senior the places the solve may fill and whether a first mentor
 * still counts (pinned[person]: pins the senior already holds, or NULL).
 */
static void setup_places(struct engine *e, const size_t *pinned)
{
	e->sunits = xmalloc((e->n_sen + 1) * sizeof(*e->sunits));
	e->first_value = xmalloc((e->n_sen + 1) * sizeof(*e->first_value));
	for (size_t s = 0; s < e->n_sen; s++) {
		size_t held = pinned ? pinned[e->sen[s]] : 0;
		e->sunits[s] = held < e->units ? e->units - held : 0;
		e->first_value[s] = held == 0; /* set_scales_multi makes it big */
	}
}

/*
 * The engine on an instance whose pins are taken out: with several mentors
 * per senior, pinned[person] says how many pins a senior holds already
 * (NULL: none).
 */
static void solve_core(const struct match_input *in, const struct match_options *opt, const size_t *pinned,
		       struct match_pair **pairs, size_t *n_pairs, struct match_stats *st)
{
	struct engine e;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	memset(&e, 0, sizeof(e));
	e.in = in;
	e.units = units_of(in);
	e.add_k = opt && opt->add_k ? opt->add_k : DEFAULT_ADD_K;
	e.add_per_junior = opt && opt->add_per_junior ? opt->add_per_junior : DEFAULT_ADD_PER_JUNIOR;
	setup(&e);
	/* no senior can have more distinct mentors than there are juniors */
	if (e.units > 2 && e.units > e.n_jun)
		e.units = e.n_jun > 2 ? e.n_jun : 2;
	e.top_k = opt && opt->top_k ? opt->top_k : DEFAULT_TOP_K * (e.units < 8 ? e.units : 8);
	if (e.units > 1)
		setup_places(&e, pinned);
	set_scales(&e);
	alloc_rounds(&e);
	build_trie(&e);
	split_classes(&e);
	alloc_scanners(&e, opt);
	chain_build(in, &e.chain);
	if (opt)
		set_hint(&e, opt);
	st->warm = e.hint != NULL;
	st->sec_setup = lap(&t);
	seed_candidates(&e);
	if (opt && opt->graph_in)
		seed_from_graph(&e, opt->graph_in, opt->n_graph_in);
	st->sec_candidates = lap(&t);
	e.rough = e.units == 1 && !(opt && opt->graph_in);
	run_rounds(&e, st, &t, opt && opt->want_rounds);
	collect(&e, pairs, n_pairs, st);
	st->certified = !e.model_mismatch && !e.duals_bad;
	st->candidates = e.n_cand;
	st->added = e.n_added;
	st->junior_classes = e.jc.n;
	st->senior_classes = e.sc.n;
	st->threads = e.threads;
	st->big = e.big;
	st->tie_scale = e.tie;
	if (opt && opt->want_graph)
		export_graph(&e, opt->want_graph == MATCH_GRAPH_TIGHT, st);
	if (opt && opt->want_prices)
		export_prices(&e, st);
	engine_free(&e);
}

/* A pin by senior id, then junior id (ctx: the people). */
static int cmp_pin(const void *a, const void *b, void *ctx)
{
	const struct match_person *people = ctx;
	const struct match_pin *x = a, *y = b;
	int c = strcmp(people[x->senior].id, people[y->senior].id);
	if (c)
		return c;
	if ((c = strcmp(people[x->junior].id, people[y->junior].id)) != 0)
		return c;
	return x->junior < y->junior ? -1 : x->junior > y->junior;
}

/* Pairs by senior id, then junior id (ctx: the people). */
static int cmp_pair_senior(const void *a, const void *b, void *ctx)
{
	const struct match_person *people = ctx;
	const struct match_pair *x = a, *y = b;
	int c = strcmp(people[x->senior].id, people[y->senior].id);
	if (c)
		return c;
	if (x->senior != y->senior)
		return x->senior < y->senior ? -1 : 1;
	if ((c = strcmp(people[x->junior].id, people[y->junior].id)) != 0)
		return c;
	return x->junior < y->junior ? -1 : x->junior > y->junior;
}

/* Bans by (junior, senior). */
static int cmp_ban(const void *a, const void *b)
{
	const struct match_ban *x = a, *y = b;
	if (x->junior != y->junior)
		return x->junior < y->junior ? -1 : 1;
	return x->senior < y->senior ? -1 : x->senior > y->senior;
}

/* The instance's bans plus a ban on every pinned pair (it is made already), sorted. */
static struct match_ban *bans_with_pins(const struct match_input *in, const struct match_pair *fixed,
					size_t n_fixed, size_t *n_bans)
{
	struct match_ban *bans = xmalloc((in->n_bans + n_fixed + 1) * sizeof(*bans));
	if (in->n_bans)
		memcpy(bans, in->bans, in->n_bans * sizeof(*bans));
	for (size_t i = 0; i < n_fixed; i++)
		bans[in->n_bans + i] = (struct match_ban){ fixed[i].junior, fixed[i].senior, MATCH_BAN_FORBID };
	*n_bans = in->n_bans + n_fixed;
	qsort(bans, *n_bans, sizeof(*bans), cmp_ban);
	return bans;
}

/* The figures of the whole result (pins and the engine's pairs, sorted by senior). */
static void count_result(const struct match_input *in, const struct match_pair *pairs, size_t n,
			 struct match_stats *st)
{
	st->matched = st->pairs = 0;
	st->total_score = 0;
	st->current_kept = 0;
	for (size_t i = 0; i < n; i++) {
		st->matched += i == 0 || pairs[i - 1].senior != pairs[i].senior;
		st->total_score += pairs[i].score;
		st->current_kept += is_current_pair(in, pairs[i].junior, pairs[i].senior);
	}
	st->pairs = n;
}

/* With no stats wanted (stats NULL), what the options asked to be returned in them is freed. */
static void stats_drop(const struct match_stats *stats, struct match_stats *st)
{
	if (stats)
		return;
	free(st->graph);
	free(st->prices);
	free(st->round_log);
}

/*
 * Pins first: each usable pin (both listed, the pair allowed by every hard
 * constraint but min_score, the junior with room, the senior with room and
 * the pair not kept already) becomes a pair and its junior's capacity
 * shrinks. With one mentor per senior a pinned senior leaves the instance;
 * with several it stays with the places its pins left, its pinned pairs
 * banned from the rest, and it counts as matched already.
 */
int match_solve_stats(const struct match_input *in, const struct match_options *opt,
		      struct match_pair **pairs, size_t *n_pairs, struct match_stats *stats)
{
	struct match_stats local;
	struct match_stats *st = stats ? stats : &local;
	struct match_input rest;
	struct match_person *people;
	struct match_pin *pins;
	struct match_pair *fixed, *more;
	struct match_ban *bans = NULL;
	size_t *seniors, *held, n_fixed = 0, n_more = 0, n_seniors = 0, units;
	char *role;
	memset(st, 0, sizeof(*st));
	if (!match_input_valid(in) || in->n_juniors >= UINT32_MAX || in->n_seniors >= UINT32_MAX)
		return -1;
	if (in->n_pins == 0) {
		solve_core(in, opt, NULL, pairs, n_pairs, st);
		stats_drop(stats, st);
		return 0;
	}
	units = units_of(in);
	people = xmalloc((in->n_people + 1) * sizeof(*people));
	memcpy(people, in->people, in->n_people * sizeof(*people));
	role = xcalloc(in->n_people + 1, 1); /* 1 junior, 2 senior */
	held = xcalloc(in->n_people + 1, sizeof(*held)); /* pins a senior holds */
	for (size_t i = 0; i < in->n_juniors; i++)
		role[in->juniors[i]] |= 1;
	for (size_t i = 0; i < in->n_seniors; i++)
		role[in->seniors[i]] |= 2;
	pins = xmalloc((in->n_pins + 1) * sizeof(*pins));
	memcpy(pins, in->pins, in->n_pins * sizeof(*pins));
	qsort_r(pins, in->n_pins, sizeof(*pins), cmp_pin, (void *)in->people);
	fixed = xmalloc((in->n_pins + 1) * sizeof(*fixed));
	for (size_t i = 0; i < in->n_pins; i++) {
		size_t j = pins[i].junior, s = pins[i].senior;
		struct match_terms t;
		if (!(role[j] & 1) || !(role[s] & 2) || held[s] >= units || people[j].capacity <= 0 ||
		    (n_fixed && fixed[n_fixed - 1].junior == j && fixed[n_fixed - 1].senior == s) ||
		    check_pair(in, j, s) != MATCH_OK)
			continue;
		match_terms(in, j, s, &t);
		fixed[n_fixed++] = (struct match_pair){ j, s, terms_sum(&t), 1 };
		people[j].capacity--;
		held[s]++;
	}
	seniors = xmalloc((in->n_seniors + 1) * sizeof(*seniors));
	for (size_t i = 0; i < in->n_seniors; i++)
		if (held[in->seniors[i]] < units && (units > 1 || held[in->seniors[i]] == 0))
			seniors[n_seniors++] = in->seniors[i];
	rest = *in;
	rest.people = people;
	rest.seniors = seniors;
	rest.n_seniors = n_seniors;
	rest.pins = NULL;
	rest.n_pins = 0;
	if (units > 1 && n_fixed) {
		bans = bans_with_pins(in, fixed, n_fixed, &rest.n_bans);
		rest.bans = bans;
	}
	solve_core(&rest, opt, units > 1 ? held : NULL, &more, &n_more, st);
	*pairs = xmalloc((n_more + n_fixed + 1) * sizeof(**pairs));
	memcpy(*pairs, more, n_more * sizeof(*more));
	memcpy(*pairs + n_more, fixed, n_fixed * sizeof(*fixed));
	*n_pairs = n_more + n_fixed;
	qsort_r(*pairs, *n_pairs, sizeof(**pairs), cmp_pair_senior, (void *)in->people);
	count_result(in, *pairs, *n_pairs, st);
	st->pinned = n_fixed;
	free(more);
	free(fixed);
	free(seniors);
	free(pins);
	free(role);
	free(held);
	free(bans);
	free(people);
	stats_drop(stats, st);
	return 0;
}

int match_solve(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs)
{
	return match_solve_stats(in, NULL, pairs, n_pairs, NULL);
}
