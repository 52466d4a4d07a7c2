/*
 * The matching engine: the optimal capacitated assignment of seniors to
 * junior mentors (most seniors matched, then the highest total score, then
 * the most current pairs kept), proven optimal over every eligible pair
 * without building them all.
 *
 * 1. Classes. A pair's score depends only on the mentor's levels capped at
 *    each standard and the mentee's levels capped the same way, so people
 *    fall into few classes: (cohort, capped levels). With five areas and
 *    standard 4 there are at most 5^5 level keys per cohort, whatever the
 *    headcount. Juniors that can never mentor (capacity 0, cohort unknown)
 *    and seniors that can never be mentored (cohort unknown) get no class.
 * 2. Candidates. Each senior takes its top_k eligible juniors by score
 *    (junior classes best score first; within a class, where all scores
 *    are equal, from an offset that depends on the senior, and skipping
 *    juniors already on LIST_PER_SLOT lists per unit of capacity, so that
 *    the strongest juniors do not fill every list) plus its current mentor.
 *    Eligibility itself is always match_eligible.
 * 3. Solve the candidate graph exactly (match_flow.c), with weights
 *    big + score * tie_scale + current, which make the lexicographic
 *    objective one sum; the solver also returns exact dual prices.
 * 4. Certify. A pair (j, s) outside the graph could improve the result only
 *    if its weight exceeds jdual[j] + sdual[s]. The scan visits every senior
 *    and, per junior class (cohorts that cannot pair are skipped as a range),
 *    bounds the weight by the class score and the class's cheapest junior:
 *    whole classes drop out at once, and within a class juniors are visited
 *    cheapest first until none can violate. Violating pairs (at most add_k
 *    per senior, most negative first) join the graph and it is solved again,
 *    until a scan finds none: then the duals prove the result over all pairs.
 *    Each solve's duals are checked against the graph before use
 *    (duals_prove), so the certificate does not rest on the solver.
 *
 * Each round re-solves the grown graph from scratch with successive
 * shortest paths; that, not the scans, is where the time goes at scale.
 *
 * Determinism: juniors and seniors are sorted by id first and every later
 * order derives from that and from the data, so the same people give the
 * same pairs whatever order the input arrays list them in. Single-threaded.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match.h"
#include "match_internal.h"
#include "match_flow.h"
#include "model.h"
#include "util.h"

#define NO_CLASS SIZE_MAX
#define DEFAULT_TOP_K 4
#define DEFAULT_ADD_K 32
#define MAX_BUCKETS (1 << 20)
#define LIST_PER_SLOT 4 /* first lists a junior may be on, per unit of capacity */

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

/* Cheap tests first; the chain walks last. A junior with no capacity has no pairs. */
int match_eligible(const struct match_input *in, size_t j, size_t s, int *score)
{
	const struct match_person *mentor, *mentee;
	int sc;
	if (j == s || j >= in->n_people || s >= in->n_people)
		return 0;
	mentor = &in->people[j];
	mentee = &in->people[s];
	if (mentor->capacity <= 0 || mentor->cohort < 0 || mentee->cohort < 0 ||
	    mentor->cohort <= mentee->cohort)
		return 0;
	sc = model_pair_score(in->cf, mentor->levels, mentee->levels);
	if (sc < in->cf->min_score)
		return 0;
	if (is_above(in, j, s) || is_above(in, s, j))
		return 0;
	*score = sc;
	return 1;
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
	for (size_t i = 0; i < in->n_people; i++) {
		const struct match_person *p = &in->people[i];
		if (!p->id || (p->manager != MATCH_NONE && p->manager >= in->n_people) ||
		    (in->cf->n_areas && !p->levels))
			return 0;
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
	int *cohort;            /* per class */
	int *key;               /* per class: n_areas capped levels */
};

/* A person's class key while sorting. */
struct class_key {
	const int *key;
	size_t n_areas, who;
	int cohort;
};

/* Cohort, then levels area by area, then person number. */
static int cmp_class_key(const void *a, const void *b)
{
	const struct class_key *x = a, *y = b;
	if (x->cohort != y->cohort)
		return x->cohort < y->cohort ? -1 : 1;
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
		k[m++] = (struct class_key){ keys + i * na, na, i, in->people[idx[i]].cohort };
	}
	qsort(k, m, sizeof(*k), cmp_class_key);
	cl->first = xmalloc((m + 2) * sizeof(*cl->first));
	cl->members = xmalloc((m + 1) * sizeof(*cl->members));
	cl->cohort = xmalloc((m + 1) * sizeof(*cl->cohort));
	cl->key = xmalloc((m * na + 1) * sizeof(*cl->key));
	for (size_t i = 0; i < m; i++) {
		if (i == 0 || k[i].cohort != k[i - 1].cohort ||
		    memcmp(k[i].key, k[i - 1].key, na * sizeof(int)) != 0) {
			cl->first[cl->n] = i;
			cl->cohort[cl->n] = k[i].cohort;
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
	free(cl->cohort);
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

struct engine {
	const struct match_input *in;
	size_t top_k, add_k;
	size_t n_jun, n_sen, n_areas;
	size_t *jun, *sen;          /* people indices, sorted by id */
	size_t *cap;                /* per junior */
	size_t *cur;                /* per senior: current mentor's junior number or NO_CLASS */
	struct classes jc, sc;
	int *weights;               /* per area */
	int64_t big, tie;
	int model_mismatch;         /* a score disagreed with its class: no certificate */
	int duals_bad;              /* the last solve's duals did not prove it: no certificate */

	size_t *listed;             /* per junior: first candidate lists it is on */
	struct cand *cand;          /* the candidate graph */
	size_t n_cand, cap_cand, n_added;

	size_t *mate;               /* per senior, from the last solve */
	int64_t *jdual, *sdual;
	struct flow_state *flow;    /* the last solve's prices: the next round starts from them */

	/* per senior class, rebuilt as the scans go */
	int *row;                   /* score per junior class */
	size_t *order;              /* usable junior classes, best score first */
	size_t n_order;
	size_t *count;              /* counting-sort buckets */
	int max_score;

	/* certification */
	size_t *by_price;           /* junior classes' members, cheapest first */
	int64_t *class_min;         /* per junior class: its cheapest junior's price */
	size_t *cheapest;           /* per junior class: how many share that price */
	int64_t price_floor;        /* the cheapest junior's price overall */
	struct violation *found;    /* add_k slots */
};

/* Score of a junior class for a senior class, as model_pair_score gives it on capped levels. */
static int class_score(const struct engine *e, size_t jcl, size_t scl)
{
	const int *r = e->jc.key + jcl * e->n_areas, *m = e->sc.key + scl * e->n_areas;
	long long sum = 0;
	for (size_t a = 0; a < e->n_areas; a++)
		if (r[a] > m[a])
			sum += (long long)e->weights[a] * (r[a] - m[a]);
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
		if (e->row[c] >= e->in->cf->min_score)
			v[n++] = (struct scored){ e->row[c], c };
	}
	qsort(v, n, sizeof(*v), cmp_scored);
	for (size_t i = 0; i < n; i++)
		e->order[i] = v[i].c;
	e->n_order = n;
	free(v);
}

/*
 * For senior class scl: every junior class of a younger cohort with a score
 * of at least min_score, best score first (equal scores in class order).
 */
static void build_order(struct engine *e, size_t scl)
{
	size_t start = 0, n = 0;
	int min_score = e->in->cf->min_score;
	while (start < e->jc.n && e->jc.cohort[start] <= e->sc.cohort[scl])
		start++;
	if (e->max_score > MAX_BUCKETS) {
		build_order_sorted(e, scl, start);
		return;
	}
	memset(e->count, 0, ((size_t)e->max_score + 2) * sizeof(*e->count));
	for (size_t c = start; c < e->jc.n; c++) {
		e->row[c] = class_score(e, c, scl);
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
	e->cand = xgrow(e->cand, &e->cap_cand, e->n_cand + 1, sizeof(*e->cand));
	e->cand[e->n_cand++] = (struct cand){ (uint32_t)j, (uint32_t)s, score };
}

/* match_eligible for junior j and senior s by number; checks the class score too. */
static int pair_ok(struct engine *e, size_t j, size_t s, int class_sc, int *score)
{
	if (!match_eligible(e->in, e->jun[j], e->sen[s], score))
		return 0;
	if (*score != class_sc)
		e->model_mismatch = 1;
	return 1;
}

/*
 * Senior s's first candidates: its current mentor, then top_k more, best
 * class first. Within a class all scores are equal; the walk starts at an
 * offset that depends on s, so that equal juniors are spread over seniors
 * instead of all seniors listing the same few.
 */
static void seed_senior(struct engine *e, size_t s)
{
	size_t found = 0;
	int score;
	if (e->cur[s] != NO_CLASS && e->jc.of[e->cur[s]] != NO_CLASS &&
	    match_eligible(e->in, e->jun[e->cur[s]], e->sen[s], &score))
		add_cand(e, e->cur[s], s, score);
	for (size_t o = 0; o < e->n_order && found < e->top_k; o++) {
		size_t c = e->order[o], lo = e->jc.first[c], n = e->jc.first[c + 1] - lo;
		for (size_t i = 0; i < n && found < e->top_k; i++) {
			size_t j = e->jc.members[lo + (s + i) % n];
			if (j != e->cur[s] && e->listed[j] < LIST_PER_SLOT * e->cap[j] &&
			    pair_ok(e, j, s, e->row[c], &score)) {
				add_cand(e, j, s, score);
				e->listed[j]++;
				found++;
			}
		}
	}
}

/* The first candidate graph, senior class by senior class. */
static void seed_candidates(struct engine *e)
{
	for (size_t scl = 0; scl < e->sc.n; scl++) {
		build_order(e, scl);
		for (size_t i = e->sc.first[scl]; i < e->sc.first[scl + 1]; i++)
			seed_senior(e, e->sc.members[i]);
	}
}

/* Weight of candidate c in the one-sum objective. */
static int64_t cand_weight(const struct engine *e, const struct cand *c)
{
	return e->big + (int64_t)c->score * e->tie + (e->tie > 1 && e->cur[c->s] == c->j);
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

/* The candidate graph in junior rows sorted by senior, and its exact solve. */
static void solve_graph(struct engine *e)
{
	size_t *first = xcalloc(e->n_jun + 2, sizeof(*first));
	size_t *sfirst = xcalloc(e->n_sen + 2, sizeof(*sfirst));
	struct cand *by_s = xmalloc((e->n_cand + 1) * sizeof(*by_s));
	struct flow_arc *arcs = xmalloc((e->n_cand + 1) * sizeof(*arcs));
	struct flow_graph g = { e->n_jun, e->n_sen, e->cap, first, arcs };
	/* counting sort by senior, then (stable) by junior */
	for (size_t i = 0; i < e->n_cand; i++)
		sfirst[e->cand[i].s + 1]++;
	for (size_t s = 0; s < e->n_sen; s++)
		sfirst[s + 1] += sfirst[s];
	for (size_t i = 0; i < e->n_cand; i++)
		by_s[sfirst[e->cand[i].s]++] = e->cand[i];
	for (size_t i = 0; i < e->n_cand; i++)
		first[by_s[i].j + 1]++;
	for (size_t j = 0; j < e->n_jun; j++)
		first[j + 1] += first[j];
	for (size_t i = 0; i < e->n_cand; i++) {
		size_t at = first[by_s[i].j]++;
		e->cand[at] = by_s[i];
		arcs[at] = (struct flow_arc){ by_s[i].s, cand_weight(e, &by_s[i]) };
	}
	memmove(first + 1, first, e->n_jun * sizeof(*first));
	first[0] = 0;
	/* the sorting copies go before the solver takes its own share of memory */
	free(sfirst);
	free(by_s);
	flow_solve_warm(e->flow, &g, e->mate, e->jdual, e->sdual, NULL);
	if (!duals_prove(e, arcs))
		e->duals_bad = 1;
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
	e->price_floor = INT64_MAX;
	memcpy(e->by_price, e->jc.members, n_members * sizeof(*e->by_price));
	for (size_t c = 0; c < e->jc.n; c++) {
		size_t lo = e->jc.first[c], n = e->jc.first[c + 1] - lo;
		qsort_r(e->by_price + lo, n, sizeof(*e->by_price), cmp_price, e->jdual);
		e->class_min[c] = e->jdual[e->by_price[lo]];
		e->cheapest[c] = 0;
		while (e->cheapest[c] < n && e->jdual[e->by_price[lo + e->cheapest[c]]] == e->class_min[c])
			e->cheapest[c]++;
		if (e->class_min[c] < e->price_floor)
			e->price_floor = e->class_min[c];
	}
}

/* Keep violation v among senior's best add_k (most negative first, then junior order). */
static void keep_violation(struct engine *e, size_t *n_found, struct violation v)
{
	size_t i = *n_found;
	if (i == e->add_k) {
		const struct violation *w = &e->found[i - 1];
		if (v.rc > w->rc || (v.rc == w->rc && v.j > w->j))
			return;
		i--;
	} else {
		(*n_found)++;
	}
	while (i > 0 && (e->found[i - 1].rc > v.rc ||
			 (e->found[i - 1].rc == v.rc && e->found[i - 1].j > v.j))) {
		e->found[i] = e->found[i - 1];
		i--;
	}
	e->found[i] = v;
}

/*
 * Every eligible pair of senior s whose weight exceeds the two prices, the
 * add_k most negative kept. Classes come best score first; once a class's
 * weight cannot beat the price floor, no later one can either.
 */
static size_t scan_senior(struct engine *e, size_t s)
{
	int64_t u = e->sdual[s];
	size_t n_found = 0;
	for (size_t o = 0; o < e->n_order; o++) {
		size_t c = e->order[o], lo = e->jc.first[c], hi = e->jc.first[c + 1], taken = 0;
		int64_t w = e->big + (int64_t)e->row[c] * e->tie;
		if (w <= u + e->price_floor)
			break;
		if (w <= u + e->class_min[c])
			continue;
		if (n_found == e->add_k && u + e->class_min[c] - w >= e->found[n_found - 1].rc)
			continue;
		for (size_t k = 0; lo + k < hi && taken < e->add_k; k++) {
			/* the cheapest run is entered at an offset of s's, to spread seniors out */
			size_t r = e->cheapest[c], j = e->by_price[lo + (k < r ? (k + s) % r : k)];
			int score;
			if (w <= u + e->jdual[j])
				break;
			if (!pair_ok(e, j, s, e->row[c], &score))
				continue;
			keep_violation(e, &n_found, (struct violation){ j, score, u + e->jdual[j] - w });
			taken++;
		}
	}
	return n_found;
}

/* One certification scan over all pairs; returns how many pairs it added to the graph. */
static size_t certify(struct engine *e)
{
	size_t added = 0;
	price_classes(e);
	for (size_t scl = 0; scl < e->sc.n; scl++) {
		build_order(e, scl);
		for (size_t i = e->sc.first[scl]; i < e->sc.first[scl + 1]; i++) {
			size_t s = e->sc.members[i], n = scan_senior(e, s);
			for (size_t k = 0; k < n; k++)
				add_cand(e, e->found[k].j, s, e->found[k].score);
			added += n;
		}
	}
	return added;
}

/* --- set-up, result, entry points ------------------------------------------- */

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
		usable[j] = p->capacity > 0 && p->cohort >= 0;
		junior_no[e->jun[j]] = j;
	}
	build_classes(in, e->jun, e->n_jun, usable, &e->jc);
	for (size_t s = 0; s < e->n_sen; s++) {
		size_t m = in->current_mentor ? in->current_mentor[e->sen[s]] : MATCH_NONE;
		e->cur[s] = m < in->n_people ? junior_no[m] : NO_CLASS;
		usable[s] = in->people[e->sen[s]].cohort >= 0;
	}
	build_classes(in, e->sen, e->n_sen, usable, &e->sc);
	free(usable);
	free(junior_no);
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
	long long max = 0;
	e->weights = xmalloc((e->n_areas + 1) * sizeof(*e->weights));
	for (size_t a = 0; a < e->n_areas; a++) {
		int hi = INT_MIN, lo = INT_MAX;
		e->weights[a] = model_score_weight(e->in->cf, a);
		for (size_t c = 0; c < e->jc.n; c++)
			hi = e->jc.key[c * e->n_areas + a] > hi ? e->jc.key[c * e->n_areas + a] : hi;
		for (size_t c = 0; c < e->sc.n; c++)
			lo = e->sc.key[c * e->n_areas + a] < lo ? e->sc.key[c * e->n_areas + a] : lo;
		if (e->jc.n && e->sc.n && hi > lo && e->weights[a] > 0)
			max += (long long)e->weights[a] * ((long long)hi - lo);
	}
	e->max_score = max > INT_MAX ? INT_MAX : (int)max;
	e->tie = (int64_t)e->n_sen + 1;
	if ((double)e->max_score * (double)e->tie * (double)(e->n_sen + 1) * (double)(e->n_sen + 1) > 0x1p61)
		e->tie = 1;
	e->big = ((int64_t)e->n_sen * ((int64_t)e->max_score * e->tie + 1)) + 1;
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
	e->class_min = xmalloc((e->jc.n + 1) * sizeof(*e->class_min));
	e->cheapest = xmalloc((e->jc.n + 1) * sizeof(*e->cheapest));
	e->found = xmalloc((e->add_k + 1) * sizeof(*e->found));
	e->listed = xcalloc(e->n_jun + 1, sizeof(*e->listed));
	e->flow = flow_state_new();
}

static void engine_free(struct engine *e)
{
	void *owned[] = {
		e->jun, e->sen, e->cap, e->cur, e->weights, e->cand, e->mate, e->jdual, e->sdual,
		e->row, e->order, e->count, e->by_price, e->class_min, e->cheapest, e->found, e->listed,
	};
	classes_free(&e->jc);
	classes_free(&e->sc);
	flow_state_free(e->flow);
	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		free(owned[i]);
}

/* The pairs in senior order (senior id order), and the figures for the stats. */
static void collect(struct engine *e, struct match_pair **pairs, size_t *n_pairs,
		    struct match_stats *st)
{
	size_t n = 0;
	*pairs = xmalloc((e->n_sen + 1) * sizeof(**pairs));
	for (size_t s = 0; s < e->n_sen; s++) {
		int score = 0;
		if (e->mate[s] == FLOW_NONE)
			continue;
		match_eligible(e->in, e->jun[e->mate[s]], e->sen[s], &score);
		(*pairs)[n++] = (struct match_pair){ e->jun[e->mate[s]], e->sen[s], score };
		st->total_score += score;
		st->current_kept += e->cur[s] == e->mate[s];
	}
	*n_pairs = st->matched = n;
}

/* The final candidate graph with people indices, for the stats. */
static void export_graph(const struct engine *e, struct match_stats *st)
{
	st->graph = xmalloc((e->n_cand + 1) * sizeof(*st->graph));
	st->n_graph = e->n_cand;
	for (size_t i = 0; i < e->n_cand; i++)
		st->graph[i] = (struct match_arc){ e->jun[e->cand[i].j], e->sen[e->cand[i].s],
						   (long long)cand_weight(e, &e->cand[i]) };
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

/* Solve and certify until a scan finds nothing to add. */
static void run_rounds(struct engine *e, struct match_stats *st, struct timespec *t)
{
	for (;;) {
		size_t added;
		solve_graph(e);
		st->rounds++;
		st->sec_solve += lap(t);
		added = certify(e);
		st->sec_certify += lap(t);
		if (added == 0 || e->duals_bad)
			break;
		e->n_added += added;
	}
}

int match_solve_stats(const struct match_input *in, const struct match_options *opt,
		      struct match_pair **pairs, size_t *n_pairs, struct match_stats *stats)
{
	struct engine e;
	struct match_stats local;
	struct timespec t;
	struct match_stats *st = stats ? stats : &local;
	memset(st, 0, sizeof(*st));
	if (!match_input_valid(in) || in->n_juniors >= UINT32_MAX || in->n_seniors >= UINT32_MAX)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	memset(&e, 0, sizeof(e));
	e.in = in;
	e.top_k = opt && opt->top_k ? opt->top_k : DEFAULT_TOP_K;
	e.add_k = opt && opt->add_k ? opt->add_k : DEFAULT_ADD_K;
	setup(&e);
	set_scales(&e);
	alloc_rounds(&e);
	st->sec_setup = lap(&t);
	seed_candidates(&e);
	st->sec_candidates = lap(&t);
	run_rounds(&e, st, &t);
	collect(&e, pairs, n_pairs, st);
	st->certified = !e.model_mismatch && !e.duals_bad;
	st->candidates = e.n_cand;
	st->added = e.n_added;
	st->junior_classes = e.jc.n;
	st->senior_classes = e.sc.n;
	st->big = e.big;
	st->tie_scale = e.tie;
	if (opt && opt->want_graph)
		export_graph(&e, st);
	engine_free(&e);
	return 0;
}

int match_solve(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs)
{
	return match_solve_stats(in, NULL, pairs, n_pairs, NULL);
}
