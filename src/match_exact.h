/*
 * The exact matcher: successive shortest paths over every eligible pair.
 * Slow at scale (it builds all J x S pairs) but small and independent of the
 * engine, so the tests and the benchmark use it as the oracle.
 */
#ifndef MENTORD_MATCH_EXACT_H
#define MENTORD_MATCH_EXACT_H

#include "match.h"

/*
 * The same contract as match_solve: the optimum (most seniors, then highest
 * total score, then most current pairs kept), pairs sorted by senior id in a
 * new array the caller frees. Returns -1 only on a malformed instance.
 */
int match_exact_solve(const struct match_input *in, struct match_pair **pairs, size_t *n_pairs);

#endif
