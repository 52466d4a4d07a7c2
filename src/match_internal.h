/*
 * Pieces shared by the matching engine (match.c) and the exact oracle
 * (match_exact.c); not part of the module's interface.
 */
#ifndef MENTORD_MATCH_INTERNAL_H
#define MENTORD_MATCH_INTERNAL_H

#include <stddef.h>

#include "match.h"

/*
 * The people idx[0..n) sorted by stable id (then index), duplicates dropped:
 * the order every solver works in, so that input order never matters.
 * Returns a new array (caller frees) of *out_n indices.
 */
size_t *match_sorted_unique(const struct match_person *people, const size_t *idx, size_t n, size_t *out_n);

/* Non-zero if every index and pointer a solver will follow is usable. */
int match_input_valid(const struct match_input *in);

#endif
