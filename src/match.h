/*
 * Matching: juniors mentor seniors. Pure C over plain arrays, no I/O.
 *
 * A senior takes up to rules->mentors_per_senior distinct juniors (0 or 1:
 * one mentor). The result is optimal and deterministic, lexicographically:
 *   1. the most seniors matched (with at least one mentor);
 *   2. then the most pairs (only differs from 1. with several mentors);
 *   3. then the highest total score;
 *   4. then the most current pairs kept (match_input.current_mentor and
 *      match_input.current);
 *   5. then ties broken by stable ids: the same people give the same pairs
 *      whatever order the input arrays list them in;
 * subject to the hard constraints (see enum match_reason)
 *   - a junior mentors at most its capacity, a senior has at most
 *     mentors_per_senior mentors, and a pair is made at most once;
 *   - the mentor is younger: a younger cohort, or, with rules->seniority_gap,
 *     at least that many fewer years of service;
 *   - no pair within one management chain (either is a manager, at any
 *     depth, of the other);
 *   - neither names the other on their avoid list;
 *   - their time zones are at most rules->max_tz_diff minutes apart;
 *   - the pair is not forbidden and not cooling down (bans);
 *   - the pair's score is at least min_score.
 * Pinned pairs are kept whatever their score (see match_input.pins); they
 * count in every tier.
 *
 * The score of a pair (junior j mentors senior s), an integer:
 *   sum over digital areas a:               w_a * max(0, min(j_a, std_a) - s_a)
 * + sum over leadership and business areas: w_a * max(0, min(s_a, std_a) - j_a)
 * + bonus_cross_department  if both departments are known and differ
 * + bonus_same_tz           if both time zones are known and equal,
 *   or bonus_near_tz        if they differ by at most near_tz minutes
 * + bonus_stability         if (j, s) is a current pair.
 */
#ifndef MENTORD_MATCH_H
#define MENTORD_MATCH_H

#include <stddef.h>

#define MATCH_NONE ((size_t)-1)
#define MATCH_TZ_UNKNOWN (-100000) /* time zone not known: no tz constraint or bonus */

/* One person known to the matcher. Everyone synced is listed, so that management chains can be walked. */
struct match_person {
	const char *id;        /* stable id (entryUUID); orders ties */
	int cohort;            /* cohort index, higher = younger; -1 unknown */
	size_t manager;        /* index of the manager in people[], or MATCH_NONE */
	int capacity;          /* for juniors: how many seniors they may take (seniors: unused;
				* a senior who opted out is simply not listed) */
	const int *levels;     /* n_areas competence levels, 0 = not assessed */
	int seniority;         /* full years of service, -1 unknown (rules->seniority_gap) */
	int department;        /* department number, -1 unknown */
	int tz;                /* minutes east of UTC, or MATCH_TZ_UNKNOWN */
	const size_t *avoid;   /* people this person must not be paired with (indices) */
	size_t n_avoid;
};

/* The configurable rules; a zeroed struct is the cohort rule with no time zones and no bonuses. */
struct match_rules {
	int seniority_gap;          /* > 0: the mentor needs this many fewer years of service
				     * than the mentee (both known) instead of a younger cohort */
	int max_tz_diff;            /* minutes; pairs further apart are not allowed; < 0: no limit.
				     * Use a negative value when no time zones are configured. */
	int near_tz;                /* minutes: the reach of bonus_near_tz */
	int bonus_cross_department;
	int bonus_same_tz, bonus_near_tz;
	int bonus_stability;        /* for a current pair */
	/*
	 * How many distinct juniors a senior may have: 0 or 1, one mentor (the
	 * engine then works exactly as it always has); N > 1, up to N. The
	 * objective stays lexicographic: seniors matched first, then pairs.
	 */
	int mentors_per_senior;
};

/* Why a pair may not be made (see match_check). */
enum match_reason {
	MATCH_OK = 0,
	MATCH_R_SELF,            /* the same person */
	MATCH_R_NO_CAPACITY,     /* the junior's capacity is 0 */
	MATCH_R_COHORT_UNKNOWN,  /* a birth cohort (or seniority) is not known */
	MATCH_R_NOT_YOUNGER,     /* the mentor's cohort is not younger / seniority gap too small */
	MATCH_R_CHAIN,           /* one manages the other, at any depth */
	MATCH_R_AVOID,           /* on an avoid list */
	MATCH_R_TIMEZONE,        /* time zones too far apart */
	MATCH_R_FORBIDDEN,       /* forbidden pair */
	MATCH_R_COOLDOWN,        /* paired too recently */
	MATCH_R_MIN_SCORE,       /* score below min_score */
	MATCH_N_REASONS
};

/* A short name of a reason ("management chain", ...). */
const char *match_reason_name(enum match_reason r);

/* A pair of people (junior, senior: indices into people[]) and, for bans, why. */
enum match_ban_kind { MATCH_BAN_FORBID, MATCH_BAN_COOLDOWN };
struct match_ban {
	size_t junior, senior;
	enum match_ban_kind kind;
};
struct match_pin {
	size_t junior, senior;
};

struct match_input {
	const struct match_person *people;
	size_t n_people;
	const size_t *juniors; /* indices into people[] */
	size_t n_juniors;
	const size_t *seniors; /* indices into people[] */
	size_t n_seniors;
	const struct conf *cf; /* the model (areas, standards, weights) and min_score */
	/*
	 * Current pairs, for rules->bonus_stability and for the tie-break that
	 * keeps the most of them, so that a change in one place does not
	 * reshuffle pairs elsewhere. Either or both of:
	 *  - current_mentor: NULL, or per person the index of their one current
	 *    mentor (MATCH_NONE if none);
	 *  - current: n_current pairs (junior, senior: indices into people[]),
	 *    sorted by (senior, junior), each listed once: any number per senior,
	 *    for seniors with several mentors.
	 * A pair is current if either names it.
	 */
	const size_t *current_mentor;
	const struct match_pin *current;
	size_t n_current;
	const struct match_rules *rules; /* NULL: all zero (cohort rule, no tz, no bonuses) */
	/* Pairs that may not be made, sorted by (junior, senior); one kind per pair. */
	const struct match_ban *bans;
	size_t n_bans;
	/*
	 * Pairs HR pinned: kept whatever their score, if both are participants,
	 * the pair passes every other hard constraint, the junior has room and
	 * the senior has room (pins are taken in senior id, then junior id
	 * order): a senior keeps its first mentors_per_senior usable pins (its
	 * first one with one mentor), a pair listed twice is kept once. The
	 * engine fills a senior's remaining places around its pins.
	 */
	const struct match_pin *pins;
	size_t n_pins;
};

struct match_pair {
	size_t junior, senior; /* indices into people[] */
	int score;
	int pinned;            /* kept because HR pinned it */
};

/*
 * Whether people[j] may mentor people[s] under the hard constraints: MATCH_OK
 * (0) and *score set, or the first reason that rules the pair out, in the
 * order of enum match_reason. Capacity counts only as 0 or not.
 */
enum match_reason match_check(const struct match_input *in, size_t j, size_t s, int *score);

/* Non-zero if match_check gives MATCH_OK. */
int match_eligible(const struct match_input *in, size_t j, size_t s, int *score);

/* A pair's score term by term (their sum is the score match_check gives). */
struct match_terms {
	int areas;              /* the area terms: model_pair_term summed */
	int cross_department, timezone, stability;
};
void match_terms(const struct match_input *in, size_t j, size_t s, struct match_terms *t);

/*
 * Why a participant (people[who], a junior if is_junior, else a senior) has
 * no partner in a result: per reason, how many people of the other side
 * rule the pair out (counts[MATCH_OK] is the eligible ones), and of the
 * eligible ones how many are full in pairs[] (taken: a junior at its
 * capacity, a senior with mentors_per_senior mentors, at least one). A
 * participant with eligible partners that are not full lost to the
 * objective (more seniors matched, more pairs, a higher total).
 */
struct match_why {
	size_t counts[MATCH_N_REASONS];
	size_t taken;
};
void match_why(const struct match_input *in, size_t who, int is_junior, const struct match_pair *pairs,
	       size_t n_pairs, struct match_why *why);

/*
 * Solve with the scalable engine (sparse candidates, min-cost flow, then a
 * scan of every eligible pair against the dual prices until none can
 * improve the result). On success returns 0 and a new array of pairs sorted
 * by senior id, then junior id (caller frees *pairs): up to
 * mentors_per_senior pairs per senior; *n_pairs may be 0. Returns -1 only if
 * the instance is malformed (an index out of range) or lists 2^32 or more
 * juniors or seniors.
 */
int match_solve(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs);

struct match_arc;

/* What match_options.want_graph asks for: every candidate pair, or only the tight ones
 * (weight = the two prices: the pairs an optimum is made of; with several mentors the
 * result's pairs too), enough to seed a next cycle. */
#define MATCH_GRAPH_ALL 1
#define MATCH_GRAPH_TIGHT 2

/* Tuning for match_solve_stats; a zeroed struct (or NULL) means the defaults. */
struct match_options {
	size_t top_k;          /* candidates per senior before certification; 0: 4 (times
				* mentors_per_senior with several mentors) */
	size_t add_k;          /* most pairs one certification round adds per senior; 0: 16 */
	size_t add_per_junior; /* and per junior (its most negative); 0: 64 */
	int want_graph;        /* MATCH_GRAPH_ALL or _TIGHT: return the final candidate graph in the stats */
	/*
	 * Warm start from an earlier solve (e.g. the last cycle's): NULL, or per
	 * person index a junior's price as that solve's stats->prices gave it,
	 * with that solve's big and tie_scale; any value is safe, a good one
	 * only makes the first solve faster.
	 */
	const long long *prices_in;
	long long prices_in_big, prices_in_tie;
	/* and its final candidate graph (stats->graph, person indices): pairs still eligible start as candidates */
	const struct match_arc *graph_in;
	size_t n_graph_in;
	int want_prices;       /* non-zero: return every junior's final price in the stats */
	size_t threads;        /* threads for the certification scans; 0: the online CPUs, at most 8.
				* The result does not depend on it. */
	int want_rounds;       /* non-zero: return what each round did in the stats */
};

/* One round: a solve of the candidate graph, then the certification scan that follows it. */
struct match_round {
	size_t candidates;     /* pairs in the graph this round solved */
	size_t matched;        /* seniors its solve matched (with at least one mentor) */
	size_t added;          /* pairs its scan added to the graph (0 on the last round) */
	int rough;             /* a rough round: its solve within a unit of weight per person of the
				* graph's optimum, its scan only growing the graph (see match.c) */
	double sec_solve, sec_certify;
};

/* One arc of the candidate graph: matching it is worth weight (see below). */
struct match_arc {
	size_t junior, senior; /* indices into people[] */
	long long weight;
};

/*
 * What one solve did. The engine maximises the sum of
 *   weight = big + score * tie_scale + (1 if the pair is current)
 * over candidate pairs, plus big once per senior matched when seniors take
 * several mentors (then a senior's first mentor is worth more than its
 * next ones), which is the lexicographic objective, then proves the result
 * over every eligible pair with the dual prices (certified). With several
 * mentors a senior's price may be negative.
 */
struct match_stats {
	int certified;         /* 1: optimal over all eligible pairs, proven */
	unsigned rounds;       /* solves of the candidate graph */
	size_t candidates;     /* pairs in the final candidate graph */
	size_t added;          /* of which certification rounds added */
	size_t matched;        /* seniors matched (with at least one mentor) */
	size_t pairs;          /* pairs in the result (= matched with one mentor per senior) */
	long long total_score;
	size_t current_kept;   /* current pairs in the result */
	size_t pinned;         /* pins kept (pairs) */
	size_t junior_classes, senior_classes; /* distinct (cohort, levels) keys */
	size_t threads;        /* threads the certification scans ran on */
	long long big, tie_scale;
	double sec_setup, sec_candidates, sec_solve, sec_certify;
	struct match_arc *graph; /* with want_graph: the final candidate graph (caller frees) */
	size_t n_graph;
	long long *prices;     /* with want_prices: per person index, a junior's price (others 0; caller frees) */
	int warm;              /* the first solve started from prices_in */
	struct match_round *round_log; /* with want_rounds: rounds entries (caller frees) */
};

/*
 * match_solve with options (NULL: defaults) and a report (NULL: none). The
 * result is optimal whatever the options; which of several equally good
 * matchings comes back may depend on them (with the defaults it is
 * match_solve's). Returns -1 only on a malformed instance (then *stats is
 * zeroed). With prices_in and want_prices, one cycle's prices start the next.
 */
int match_solve_stats(const struct match_input *in, const struct match_options *opt,
		      struct match_pair **pairs, size_t *n_pairs, struct match_stats *stats);

#endif
