/*
 * bench/match: the matching engine on a deterministic synthetic programme.
 *
 *   match -j J -s S [--seed N] [-k TOP_K] [--add-k N] [--add-per-junior N] [-t THREADS]
 *         [--dimacs FILE] [--no-greedy] [--no-incumbents] [--seniority-gap N] [--mentors N]
 *
 * The programme: J juniors and S seniors among J + S + (J + S) / 8 staff; the
 * rest are managers in an org tree (each manager under an earlier one),
 * staff report to managers and about 8% of juniors to a senior, so some
 * pairs share a management chain. Twelve departments, four birth cohorts
 * (juniors Y/Z, seniors Boomers/X/Y), years of service, DigComp-style levels
 * 0..8 in five digital areas (juniors stronger on average) and one
 * leadership area (seniors stronger), capacities 3 with some overrides and
 * opt-outs, 24 sites over 12 time zones (pairs at most 6 hours apart), an
 * incumbent mentor for 20% of the seniors and 0.2% avoid pairs. The rules:
 * the cohort rule (or --seniority-gap N), bonuses 2 for a cross-department
 * pair, 2 for the same time zone, 1 within 2 hours, 5 for the current pair.
 *
 * It prints the engine's wall time (and where it went), peak RSS, seniors
 * matched, total score, current pairs kept, whether the result is certified
 * and in how many rounds; then a greedy baseline (best-scoring eligible
 * pairs first) on the same instance and the gap. With J <= 300 the exact
 * oracle solves too and must agree ("oracle: equal"), else the exit status
 * is 1. --dimacs writes the final candidate graph as a DIMACS min-cost-flow
 * problem (source 1, sink 2, juniors, then seniors; a source -> sink arc is
 * the "stay unmatched" path), whose optimum is minus the engine's weight.
 * --next-cycle then changes 1% of the people's levels and solves again, cold
 * and from the first solve's prices and final graph, as a daemon's next
 * cycle does. --mentors N lets a senior take up to N mentors (the greedy
 * baseline and --dimacs only know one; the oracle runs with J <= 100 then).
 * -t sets the certification scans' threads (default: the online CPUs); the
 * pairs do not depend on it.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "conf.h"
#include "match.h"
#include "match_exact.h"
#include "model.h"
#include "util.h"

#define AREAS 6         /* five digital areas, then one leadership area */
#define DIGITAL 5
#define SITES 24
#define ZONES 12
#define DEPARTMENTS 12

/* The generated programme; owns everything. */
struct programme {
	size_t n_people, n_jun, n_sen, n_mgr;
	struct match_person *people;
	int *levels;               /* n_people x AREAS */
	char (*ids)[20];
	int *dept, *site;
	size_t *juniors, *seniors, *current;
	size_t n_current, n_avoid, n_same_chain_reports;
	size_t *avoid;             /* pairs: junior, senior */
	struct conf cf;
	struct conf_area areas[AREAS];
	struct conf_cohort cohorts[4];
	struct match_rules rules;
	size_t *avoid_of;          /* per person: the one person it avoids (avoid_n 0 or 1) */
	struct match_input in;
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

/* Uniform in [0, n). */
static size_t below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

/* A level 0..8 around mean (sum of two dice, shifted). */
static int level_around(int mean)
{
	int v = mean - 4 + (int)below(5) + (int)below(5);
	return v < 0 ? 0 : v > 8 ? 8 : v;
}

/* The competence model: five DigComp-style areas, standard 4, strategic weights. */
static void make_model(struct programme *p)
{
	static char *names[AREAS] = { "digcomp.1", "digcomp.2", "digcomp.3", "digcomp.4",
				      "digcomp.5", "lead.people" };
	static const int weight[AREAS] = { 3, 2, 2, 1, 1, 1 };
	static const struct conf_cohort cohorts[4] = {
		{ "Baby Boomers", 1946, 1964 }, { "Generation X", 1965, 1979 },
		{ "Generation Y", 1980, 2000 }, { "Generation Z", 2001, 2010 },
	};
	memcpy(p->cohorts, cohorts, sizeof(cohorts));
	for (size_t a = 0; a < AREAS; a++)
		p->areas[a] = (struct conf_area){ .id = names[a], .name = names[a], .standard = a < DIGITAL ? 4 : 3,
						  .weight = weight[a],
						  .direction = a < DIGITAL ? CONF_DIR_DIGITAL : CONF_DIR_LEADERSHIP };
	p->cf.areas = p->areas;
	p->cf.n_areas = AREAS;
	p->cf.scale = 8;
	p->cf.cohorts = p->cohorts;
	p->cf.n_cohorts = 4;
	p->cf.capacity = 3;
	p->cf.min_score = 1;
	p->rules = (struct match_rules){ .seniority_gap = 0, .max_tz_diff = 6 * 60, .near_tz = 2 * 60,
					 .bonus_cross_department = 2, .bonus_same_tz = 2, .bonus_near_tz = 1,
					 .bonus_stability = 5 };
}

/* Person i: a junior, a senior or a manager, with everything but the manager link. */
static void make_person(struct programme *p, size_t i)
{
	struct match_person *m = &p->people[i];
	int junior = i < p->n_jun, senior = !junior && i < p->n_jun + p->n_sen;
	snprintf(p->ids[i], sizeof(p->ids[i]), "%016llx", (unsigned long long)rng());
	m->id = p->ids[i];
	m->levels = p->levels + i * AREAS;
	m->cohort = junior ? 2 + (below(3) == 0) : senior ? (int)below(10) / 4 : (int)below(2);
	m->capacity = 0;
	if (junior) {
		size_t r = below(100);
		m->capacity = r < 3 ? 0 : r < 8 ? 1 : r < 13 ? 2 : 3;
	}
	for (size_t a = 0; a < AREAS; a++)
		p->levels[i * AREAS + a] = level_around(a < DIGITAL ? (junior ? 4 : 3) : (junior ? 2 : 4));
	p->dept[i] = (int)below(DEPARTMENTS);
	p->site[i] = (int)below(SITES);
	m->department = p->dept[i];
	m->tz = (p->site[i] / 2 - 5) * 60; /* two sites per zone, UTC-5 .. UTC+6 */
	m->seniority = junior ? (int)below(8) : senior ? 8 + (int)below(30) : (int)below(30);
}

/* The org tree: managers under earlier managers, staff under managers, some juniors under seniors. */
static void make_org(struct programme *p)
{
	size_t first_mgr = p->n_jun + p->n_sen;
	for (size_t i = 0; i < p->n_people; i++) {
		size_t k = i - first_mgr;
		if (i >= first_mgr)
			p->people[i].manager = k == 0 ? MATCH_NONE : first_mgr + below(k);
		else if (i < p->n_jun && below(100) < 8) {
			p->people[i].manager = p->n_jun + below(p->n_sen);
			p->n_same_chain_reports++;
		} else
			p->people[i].manager = first_mgr + below(p->n_mgr);
	}
}

/* Incumbent mentors for 20% of seniors (eligible ones; a few tries) and 0.2% avoid pairs. */
static void make_history(struct programme *p)
{
	p->current = xmalloc(p->n_people * sizeof(*p->current));
	for (size_t i = 0; i < p->n_people; i++)
		p->current[i] = MATCH_NONE;
	p->in.current_mentor = p->current;
	for (size_t k = 0; k < p->n_sen; k++) {
		size_t s = p->seniors[k];
		if (below(5) != 0)
			continue;
		for (int t = 0; t < 8; t++) {
			size_t j = p->juniors[below(p->n_jun)];
			int score;
			if (match_eligible(&p->in, j, s, &score)) {
				p->current[s] = j;
				p->n_current++;
				break;
			}
		}
	}
	/* 0.2% of the seniors avoid one junior each (one person per list keeps it simple) */
	p->n_avoid = (p->n_sen * 2 + 999) / 1000;
	p->avoid = xmalloc((2 * p->n_avoid + 1) * sizeof(*p->avoid));
	p->avoid_of = xmalloc((p->n_people + 1) * sizeof(*p->avoid_of));
	for (size_t i = 0; i < p->n_avoid; i++) {
		size_t j = p->juniors[below(p->n_jun)], s = p->seniors[below(p->n_sen)];
		p->avoid[2 * i] = j;
		p->avoid[2 * i + 1] = s;
		if (p->people[s].n_avoid == 0) {
			p->avoid_of[s] = j;
			p->people[s].avoid = &p->avoid_of[s];
			p->people[s].n_avoid = 1;
		}
	}
}

/* The whole programme for seed. */
static struct programme *make_programme(size_t nj, size_t ns, uint64_t seed)
{
	struct programme *p = xcalloc(1, sizeof(*p));
	rng_state = seed * UINT64_C(0x2545f4914f6cdd1d) + 1;
	p->n_jun = nj;
	p->n_sen = ns;
	p->n_mgr = (nj + ns) / 8 + 1;
	p->n_people = nj + ns + p->n_mgr;
	p->people = xcalloc(p->n_people, sizeof(*p->people));
	p->levels = xcalloc(p->n_people * AREAS, sizeof(*p->levels));
	p->ids = xcalloc(p->n_people, sizeof(*p->ids));
	p->dept = xcalloc(p->n_people, sizeof(*p->dept));
	p->site = xcalloc(p->n_people, sizeof(*p->site));
	p->juniors = xmalloc((nj + 1) * sizeof(*p->juniors));
	p->seniors = xmalloc((ns + 1) * sizeof(*p->seniors));
	make_model(p);
	for (size_t i = 0; i < p->n_people; i++)
		make_person(p, i);
	make_org(p);
	for (size_t i = 0; i < nj; i++)
		p->juniors[i] = i;
	for (size_t i = 0; i < ns; i++)
		p->seniors[i] = nj + i;
	p->in = (struct match_input){ .people = p->people, .n_people = p->n_people, .juniors = p->juniors,
				      .n_juniors = nj, .seniors = p->seniors, .n_seniors = ns, .cf = &p->cf,
				      .rules = &p->rules };
	make_history(p);
	return p;
}

static void programme_free(struct programme *p)
{
	free(p->people);
	free(p->levels);
	free(p->ids);
	free(p->dept);
	free(p->site);
	free(p->juniors);
	free(p->seniors);
	free(p->current);
	free(p->avoid);
	free(p->avoid_of);
	free(p);
}

/* Sites per time zone and people per site, one line each. */
static void print_sites(const struct programme *p)
{
	size_t per_site[SITES] = { 0 };
	for (size_t i = 0; i < p->n_people; i++)
		per_site[p->site[i]]++;
	printf("sites:     %d over %d time zones (site k in UTC%+d..):", SITES, ZONES, -5);
	for (int s = 0; s < SITES; s++)
		printf(" %d:UTC%+d/%zu", s, s / 2 - 5, per_site[s]);
	printf("\n");
}

/* Wall-clock seconds. */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Peak resident set so far, MiB. */
static double peak_rss_mib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

/* --- greedy baseline ---------------------------------------------------------- */

#define LEVEL_CODES 3125 /* 5^5: five digital areas capped at standard 4 */

/* A person's capped digital levels as one number (standard 4 in every digital area). */
static size_t level_code(const struct programme *p, size_t i)
{
	size_t code = 0;
	for (size_t a = 0; a < DIGITAL; a++) {
		int v = p->levels[i * AREAS + a];
		code = code * 5 + (size_t)(v > 4 ? 4 : v);
	}
	return code;
}

/* The digital levels a code stands for (the others 0). */
static void code_levels(size_t code, int *levels)
{
	levels[DIGITAL] = 0;
	for (size_t a = DIGITAL; a-- > 0;) {
		levels[a] = (int)(code % 5);
		code /= 5;
	}
}

/* People grouped by (level code, cohort): bucket b = code * 4 + cohort. */
struct buckets {
	size_t *first, *members;
	size_t *open;   /* per bucket: juniors with room / seniors unmatched */
};

static void bucket_people(const struct programme *p, const size_t *idx, size_t n,
			  struct buckets *b)
{
	size_t nb = LEVEL_CODES * 4, *fill = xcalloc(nb + 1, sizeof(*fill));
	b->first = xcalloc(nb + 2, sizeof(*b->first));
	b->members = xmalloc((n + 1) * sizeof(*b->members));
	b->open = xcalloc(nb + 1, sizeof(*b->open));
	for (size_t i = 0; i < n; i++)
		b->first[level_code(p, idx[i]) * 4 + (size_t)p->people[idx[i]].cohort + 1]++;
	for (size_t k = 0; k < nb; k++)
		b->first[k + 1] += b->first[k];
	for (size_t i = 0; i < n; i++) {
		size_t k = level_code(p, idx[i]) * 4 + (size_t)p->people[idx[i]].cohort;
		b->members[b->first[k] + fill[k]++] = idx[i];
		b->open[k] += p->people[idx[i]].capacity > 0 || idx[i] >= p->n_jun;
	}
	free(fill);
}

/* Pair the unmatched seniors of one bucket with the juniors with room of another. */
static void greedy_buckets(const struct programme *p, struct buckets *jb, size_t kj,
			   struct buckets *sb, size_t ks, size_t *load, char *matched,
			   size_t *n, long long *total)
{
	for (size_t a = sb->first[ks]; a < sb->first[ks + 1] && jb->open[kj] && sb->open[ks]; a++) {
		size_t s = sb->members[a];
		if (matched[s])
			continue;
		for (size_t b = jb->first[kj]; b < jb->first[kj + 1]; b++) {
			size_t j = jb->members[b];
			int score;
			if (load[j] >= (size_t)p->people[j].capacity ||
			    !match_eligible(&p->in, j, s, &score))
				continue;
			if (++load[j] == (size_t)p->people[j].capacity)
				jb->open[kj]--;
			matched[s] = 1;
			sb->open[ks]--;
			(*n)++;
			*total += score;
			break;
		}
	}
}

/*
 * Best-scoring pairs first, as a simple tool would do it: digital level-code
 * pairs in score order, then cohorts, then people, each pair taken if it is
 * eligible (same rules) and both have room. Its scores are the real ones.
 */
static void greedy(const struct programme *p, size_t *n_matched, long long *total)
{
	struct buckets jb, sb;
	int lj[AREAS], ls[AREAS];
	int max_score = 0;
	int *score = xmalloc((size_t)LEVEL_CODES * LEVEL_CODES * sizeof(*score));
	size_t *count, *order = xmalloc((size_t)LEVEL_CODES * LEVEL_CODES * sizeof(*order));
	size_t *load = xcalloc(p->n_people, sizeof(*load));
	char *matched = xcalloc(p->n_people, 1);
	*n_matched = 0;
	*total = 0;
	bucket_people(p, p->juniors, p->n_jun, &jb);
	bucket_people(p, p->seniors, p->n_sen, &sb);
	for (size_t cj = 0; cj < LEVEL_CODES; cj++) {
		code_levels(cj, lj);
		for (size_t cs = 0; cs < LEVEL_CODES; cs++) {
			code_levels(cs, ls);
			score[cj * LEVEL_CODES + cs] = model_pair_score(&p->cf, lj, ls);
			if (score[cj * LEVEL_CODES + cs] > max_score)
				max_score = score[cj * LEVEL_CODES + cs];
		}
	}
	count = xcalloc((size_t)max_score + 2, sizeof(*count));
	for (size_t k = 0; k < (size_t)LEVEL_CODES * LEVEL_CODES; k++)
		count[max_score - score[k] + 1]++;
	for (int v = 0; v <= max_score; v++)
		count[v + 1] += count[v];
	for (size_t k = 0; k < (size_t)LEVEL_CODES * LEVEL_CODES; k++)
		order[count[max_score - score[k]]++] = k;
	for (size_t o = 0; o < (size_t)LEVEL_CODES * LEVEL_CODES; o++) {
		size_t k = order[o], cj = k / LEVEL_CODES, cs = k % LEVEL_CODES;
		if ((long long)score[k] + 4 * 5 < p->cf.min_score) /* leadership and bonuses add at most 20 */
			break;
		for (size_t c_s = 0; c_s < 4; c_s++)
			for (size_t c_j = p->rules.seniority_gap > 0 ? 0 : c_s + 1; c_j < 4; c_j++)
				greedy_buckets(p, &jb, cj * 4 + c_j, &sb, cs * 4 + c_s, load, matched,
					       n_matched, total);
	}
	free(score);
	free(order);
	free(count);
	free(load);
	free(matched);
	free(jb.first);
	free(jb.members);
	free(jb.open);
	free(sb.first);
	free(sb.members);
	free(sb.open);
}

/* --- output ------------------------------------------------------------------ */

/* The final candidate graph as a DIMACS min-cost-flow problem. */
static int write_dimacs(const char *path, const struct programme *p, const struct match_stats *st)
{
	size_t *node = xmalloc(p->n_people * sizeof(*node));
	size_t nj = p->n_jun, ns = p->n_sen;
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		free(node);
		return -1;
	}
	/* nodes: 1 source, 2 sink, 3.. juniors, then seniors (input order) */
	for (size_t i = 0; i < nj; i++)
		node[p->juniors[i]] = 3 + i;
	for (size_t i = 0; i < ns; i++)
		node[p->seniors[i]] = 3 + nj + i;
	fprintf(f, "c mentord bench/match candidate graph: weight = big + score * tie + current\n");
	fprintf(f, "c big %lld tie %lld; min cost = -(total weight of the optimum)\n", st->big,
		st->tie_scale);
	fprintf(f, "p min %zu %zu\n", nj + ns + 2, nj + ns + st->n_graph + 1);
	fprintf(f, "n 1 %zu\nn 2 -%zu\n", ns, ns);
	for (size_t i = 0; i < nj; i++)
		fprintf(f, "a 1 %zu 0 %d 0\n", 3 + i,
			p->people[p->juniors[i]].capacity > 0 ? p->people[p->juniors[i]].capacity : 0);
	for (size_t i = 0; i < st->n_graph; i++)
		fprintf(f, "a %zu %zu 0 1 %lld\n", node[st->graph[i].junior], node[st->graph[i].senior],
			-st->graph[i].weight);
	for (size_t i = 0; i < ns; i++)
		fprintf(f, "a %zu 2 0 1 0\n", 3 + nj + i);
	fprintf(f, "a 1 2 0 %zu 0\n", ns);
	free(node);
	if (fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* The exact oracle on the same instance; 0 if it agrees with the engine. */
static int check_oracle(const struct programme *p, const struct match_stats *st)
{
	struct match_pair *pairs;
	size_t n, kept = 0, matched = 0;
	long long total = 0;
	if (match_exact_solve(&p->in, &pairs, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		total += pairs[i].score;
		kept += p->in.current_mentor && p->current[pairs[i].senior] == pairs[i].junior;
		matched += i == 0 || pairs[i - 1].senior != pairs[i].senior;
	}
	free(pairs);
	if (matched == st->matched && n == st->pairs && total == st->total_score && kept == st->current_kept) {
		printf("oracle:    equal (%zu matched, %zu pairs, score %lld, %zu kept)\n", matched, n, total, kept);
		return 0;
	}
	printf("oracle:    DIFFERENT: oracle %zu matched, %zu pairs, score %lld, %zu kept\n", matched, n, total,
	       kept);
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: match -j JUNIORS -s SENIORS [--seed N] [-k TOP_K] [--add-k N] [--add-per-junior N]\n"
			"             [-t THREADS] [--dimacs FILE] [--no-greedy] [--no-incumbents]\n"
			"             [--seniority-gap N] [--next-cycle] [--mentors N]\n");
	exit(2);
}

/* Options. */
struct args {
	long juniors, seniors, seed, gap, mentors;
	struct match_options opt;
	const char *dimacs;
	int greedy, no_incumbents, next_cycle;
};

static void parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 'S' }, { "dimacs", required_argument, NULL, 'd' },
		{ "greedy", no_argument, NULL, 'g' },     { "no-greedy", no_argument, NULL, 'G' },
		{ "add-k", required_argument, NULL, 'a' }, { "no-incumbents", no_argument, NULL, 'I' },
		{ "seniority-gap", required_argument, NULL, 'y' },
		{ "next-cycle", no_argument, NULL, 'n' },
		{ "mentors", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "add-per-junior", required_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	long v;
	memset(a, 0, sizeof(*a));
	a->juniors = a->seniors = -1;
	a->seed = 1;
	a->greedy = 1;
	while ((c = getopt_long(argc, argv, "j:s:k:t:", longopts, NULL)) != -1) {
		if (c == 'g' || c == 'G') {
			a->greedy = c == 'g';
			continue;
		}
		if (c == 'd') {
			a->dimacs = optarg;
			continue;
		}
		if (c == 'I') {
			a->no_incumbents = 1;
			continue;
		}
		if (c == 'n') {
			a->next_cycle = 1;
			continue;
		}
		if (c == '?' || parse_long(optarg, 0, 100000000, &v) != 0)
			usage();
		if (c == 'j')
			a->juniors = v;
		else if (c == 's')
			a->seniors = v;
		else if (c == 'S')
			a->seed = v;
		else if (c == 'y')
			a->gap = v;
		else if (c == 'm')
			a->mentors = v;
		else if (c == 'k')
			a->opt.top_k = (size_t)v;
		else if (c == 'a')
			a->opt.add_k = (size_t)v;
		else if (c == 't')
			a->opt.threads = (size_t)v;
		else if (c == 'J')
			a->opt.add_per_junior = (size_t)v;
	}
	if (a->juniors < 1 || a->seniors < 1 || optind != argc || (a->mentors > 1 && a->dimacs) ||
	    a->mentors > 1000)
		usage();
	if (a->mentors > 1)
		a->greedy = 0;
	a->opt.want_graph = a->dimacs ? MATCH_GRAPH_ALL : a->next_cycle ? MATCH_GRAPH_TIGHT : 0;
	a->opt.want_prices = a->next_cycle;
	a->opt.want_rounds = 1;
}

/* The next cycle: 1% of the people's levels change; solve cold, then from st's prices. */
static int next_cycle(struct programme *p, const struct match_options *base, const struct match_stats *st)
{
	struct match_options opt = *base;
	struct match_stats cold, warm;
	struct match_pair *pairs;
	size_t n;
	double t0, t_cold, t_warm;
	for (size_t k = 0; k < p->n_people / 100; k++) {
		size_t i = below(p->n_people);
		p->levels[i * AREAS + below(AREAS)] = level_around(4);
	}
	opt.want_graph = 0;
	opt.want_rounds = 0;
	t0 = now();
	if (match_solve_stats(&p->in, &opt, &pairs, &n, &cold) != 0)
		return -1;
	t_cold = now() - t0;
	free(pairs);
	opt.prices_in = st->prices;
	opt.prices_in_big = st->big;
	opt.prices_in_tie = st->tie_scale;
	opt.graph_in = st->graph;
	opt.n_graph_in = st->n_graph;
	t0 = now();
	if (match_solve_stats(&p->in, &opt, &pairs, &n, &warm) != 0)
		return -1;
	t_warm = now() - t0;
	free(pairs);
	printf("next:      1%% of levels changed: cold %.3f s (%u rounds), from the last prices and graph %.3f s "
	       "(%u rounds); both matched %zu/%zu, score %lld/%lld, certified %s/%s\n",
	       t_cold, cold.rounds, t_warm, warm.rounds, cold.matched, warm.matched, cold.total_score,
	       warm.total_score, cold.certified ? "yes" : "NO", warm.certified ? "yes" : "NO");
	return cold.certified && warm.certified && cold.matched == warm.matched &&
			       cold.total_score == warm.total_score
		       ? 0
		       : -1;
}

/* The engine's run, its figures and its time split. */
static void print_engine(const struct match_stats *st, double wall, double rss)
{
	printf("engine:    %.3f s wall, peak RSS %.0f MiB\n", wall, rss);
	printf("           setup %.3f s, candidates %.3f s, solve %.3f s, certify %.3f s\n",
	       st->sec_setup, st->sec_candidates, st->sec_solve, st->sec_certify);
	printf("           classes %zu junior x %zu senior; candidate pairs %zu (%zu added by "
	       "certification)\n",
	       st->junior_classes, st->senior_classes, st->candidates, st->added);
	printf("result:    matched %zu, pairs %zu, score %lld, current pairs kept %zu\n", st->matched,
	       st->pairs, st->total_score, st->current_kept);
	printf("certified: %s over all eligible pairs, %u rounds\n", st->certified ? "yes" : "NO",
	       st->rounds);
	for (unsigned r = 0; st->round_log && r < st->rounds; r++) {
		const struct match_round *x = &st->round_log[r];
		printf("round %2u:  %zu pairs, %zu matched, %s solve %.3f s; certify %.3f s, %zu added\n", r + 1,
		       x->candidates, x->matched, x->rough ? "rough" : "exact", x->sec_solve, x->sec_certify,
		       x->added);
	}
}

int main(int argc, char **argv)
{
	struct args a;
	struct programme *p;
	struct match_stats st;
	struct match_pair *pairs;
	size_t n;
	double t0, wall, rss;
	int rc = 0;
	parse_args(argc, argv, &a);
	t0 = now();
	p = make_programme((size_t)a.juniors, (size_t)a.seniors, (uint64_t)a.seed);
	p->rules.seniority_gap = (int)a.gap;
	p->rules.mentors_per_senior = (int)a.mentors;
	printf("instance:  %ld juniors x %ld seniors, %zu staff (%zu managers), seed %ld, "
	       "generated in %.2f s\n",
	       a.juniors, a.seniors, p->n_people, p->n_mgr, a.seed, now() - t0);
	printf("history:   %zu incumbent pairs, %zu avoid pairs, %zu juniors "
	       "report to a senior, %d departments\n",
	       p->n_current, p->n_avoid, p->n_same_chain_reports, DEPARTMENTS);
	print_sites(p);
	if (a.no_incumbents)
		p->in.current_mentor = NULL;
	t0 = now();
	if (match_solve_stats(&p->in, &a.opt, &pairs, &n, &st) != 0) {
		fprintf(stderr, "match: malformed instance\n");
		return 1;
	}
	wall = now() - t0;
	rss = peak_rss_mib();
	print_engine(&st, wall, rss);
	free(pairs);
	if (a.juniors <= (a.mentors > 1 ? 100 : 300) && check_oracle(p, &st) != 0)
		rc = 1;
	if (a.mentors > 1)
		printf("row:       | %ld x %ld, %ld mentors | %.2f s | %.0f MiB | %zu | %zu | %lld | %s |\n", a.juniors,
		       a.seniors, a.mentors, wall, rss, st.matched, st.pairs, st.total_score,
		       st.certified ? "yes" : "no");
	if (a.greedy) {
		size_t gm;
		long long gs;
		t0 = now();
		greedy(p, &gm, &gs);
		printf("row:       | %ld x %ld | %.2f s | %.0f MiB | %zu | %lld | %s | %.1f%% seniors, %.1f%% score |\n",
		       a.juniors, a.seniors, wall, rss, st.matched, st.total_score,
		       st.certified ? "yes" : "no",
		       st.matched ? 100.0 * ((double)st.matched - (double)gm) / (double)st.matched : 0.0,
		       st.total_score ? 100.0 * (double)(st.total_score - gs) / (double)st.total_score : 0.0);
		printf("greedy:    matched %zu, score %lld (%.2f s); engine gains %zu seniors "
		       "(%.1f%%) and %lld score (%.1f%%)\n",
		       gm, gs, now() - t0, st.matched - gm,
		       st.matched ? 100.0 * (double)(st.matched - gm) / (double)st.matched : 0.0,
		       st.total_score - gs,
		       st.total_score ? 100.0 * (double)(st.total_score - gs) / (double)st.total_score
				      : 0.0);
	}
	if (a.dimacs && write_dimacs(a.dimacs, p, &st) != 0)
		rc = 1;
	if (a.next_cycle && next_cycle(p, &a.opt, &st) != 0)
		rc = 1;
	if (!st.certified)
		rc = 1;
	free(st.graph);
	free(st.prices);
	free(st.round_log);
	programme_free(p);
	return rc;
}
