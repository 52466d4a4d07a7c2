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
 * Solve. On success returns 0 and a new array of pairs sorted by senior id
 * (caller frees *pairs); *n_pairs may be 0. Returns -1 only if the instance is
 * malformed (an index out of range).
 */
int match_solve(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs);

#endif
