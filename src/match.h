/*
 * Matching: juniors mentor seniors. Pure C over plain arrays, no I/O.
 *
 * The result is optimal and deterministic: first the most seniors matched,
 * then the highest total score, subject to the hard constraints
 *   - a junior mentors at most its capacity, a senior has at most one mentor;
 *   - no pair within one management chain (either is a manager, at any
 *     depth, of the other);
 *   - the mentor's cohort is younger than the mentee's (both known);
 *   - the pair's score is at least min_score.
 */
#ifndef MENTORD_MATCH_H
#define MENTORD_MATCH_H

#include <stddef.h>

#define MATCH_NONE ((size_t)-1)

/* One person known to the matcher. Everyone synced is listed, so that management chains can be walked. */
struct match_person {
	const char *id;        /* stable id (entryUUID); orders ties */
	int cohort;            /* cohort index, higher = younger; -1 unknown */
	size_t manager;        /* index of the manager in people[], or MATCH_NONE */
	int capacity;          /* for juniors: how many seniors they may take */
	const int *levels;     /* n_areas competence levels, 0 = not assessed */
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
	 * NULL, or per person the index of their current mentor (MATCH_NONE if
	 * none). Among solutions with the same number of seniors matched and the
	 * same total score, the one keeping the most current pairs wins, so that
	 * a change in one place does not reshuffle pairs elsewhere.
	 */
	const size_t *current_mentor;
};

struct match_pair {
	size_t junior, senior; /* indices into people[] */
	int score;
};

/*
 * Non-zero if people[j] may mentor people[s] under the hard constraints
 * (capacity aside); *score gets the pair's score when it may.
 */
int match_eligible(const struct match_input *in, size_t j, size_t s, int *score);

/*
 * Solve with the scalable engine (sparse candidates, min-cost flow, then a
 * scan of every eligible pair against the dual prices until none can
 * improve the result). On success returns 0 and a new array of pairs sorted
 * by senior id (caller frees *pairs); *n_pairs may be 0. Returns -1 only if
 * the instance is malformed (an index out of range) or lists 2^32 or more
 * juniors or seniors.
 */
int match_solve(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs);

/* Tuning for match_solve_stats; a zeroed struct (or NULL) means the defaults. */
struct match_options {
	size_t top_k;          /* candidates per senior before certification; 0: 4 */
	size_t add_k;          /* most pairs one certification round adds per senior; 0: 32 */
	int want_graph;        /* non-zero: return the final candidate graph in the stats */
};

/* One arc of the candidate graph: matching it is worth weight (see below). */
struct match_arc {
	size_t junior, senior; /* indices into people[] */
	long long weight;
};

/*
 * What one solve did. The engine maximises the sum of
 *   weight = big + score * tie_scale + (1 if the pair is current)
 * over candidate pairs, which is the lexicographic objective, then proves the
 * result over every eligible pair with the dual prices (certified).
 */
struct match_stats {
	int certified;         /* 1: optimal over all eligible pairs, proven */
	unsigned rounds;       /* solves of the candidate graph */
	size_t candidates;     /* pairs in the final candidate graph */
	size_t added;          /* of which certification rounds added */
	size_t matched;        /* seniors matched */
	long long total_score;
	size_t current_kept;   /* current pairs in the result */
	size_t junior_classes, senior_classes; /* distinct (cohort, levels) keys */
	long long big, tie_scale;
	double sec_setup, sec_candidates, sec_solve, sec_certify;
	struct match_arc *graph; /* with want_graph: the final candidate graph (caller frees) */
	size_t n_graph;
};

/*
 * match_solve with options (NULL: defaults) and a report (NULL: none). The
 * result is optimal whatever the options; which of several equally good
 * matchings comes back may depend on them (with the defaults it is
 * match_solve's). Returns -1 only on a malformed instance (then *stats is
 * zeroed). Not yet: passing prices in and out to warm-start the next cycle.
 */
int match_solve_stats(const struct match_input *in, const struct match_options *opt,
		      struct match_pair **pairs, size_t *n_pairs, struct match_stats *stats);

#endif
