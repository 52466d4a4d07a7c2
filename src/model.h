/*
 * The competence model and the facts derived from staff data: birth cohort,
 * seniority, competence values, the pair score and the pair objectives.
 * Pure functions over plain data; no I/O, no directory, no SQL.
 */
#ifndef MENTORD_MODEL_H
#define MENTORD_MODEL_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

/* Longest competence area id accepted, including the NUL. */
#define MODEL_AREA_MAX 64

/*
 * Parse a birth year value ("1975"). 0 and *year on success; -1 if it is not
 * a plain four-digit year between 1900 and 2100.
 */
int model_parse_year(const char *s, int *year);

/*
 * Parse a hire date: LDAP GeneralizedTime ("20150301000000Z", with optional
 * fraction, e.g. "20150301000000.0Z") or ISO "2015-03-01". 0 on success with
 * y, m and d set and validated as a real calendar date; -1 otherwise.
 */
int model_parse_date(const char *s, int *y, int *m, int *d);

/* Full years between the date y-m-d and now (UTC); 0 if the date is in the future. */
int model_seniority_years(int y, int m, int d, time_t now);

/*
 * Index of the cohort (in cf->cohorts, sorted by from year, oldest first)
 * that contains birth_year, or -1 if none does. A higher index is a younger
 * cohort.
 */
int model_cohort_of(const struct conf *cf, int birth_year);

/*
 * Parse a competence value "<area>=<level>". The area id is 1..63
 * characters of [A-Za-z0-9._-]; the level is an integer 0..scale. On success
 * returns 0, copies the area id (lower-cased) into area[MODEL_AREA_MAX] and
 * sets *level. Returns -1 on bad syntax, -2 on a level outside 0..scale.
 */
int model_parse_competence(const char *s, int scale, char area[MODEL_AREA_MAX], int *level);

/*
 * The pair score: for each area a, with standard std_a and weight w_a,
 *   cover_a = max(0, min(mentor_a, std_a) - mentee_a)
 *   score   = sum_a w_a * cover_a
 * i.e. how many levels of the mentee's gap to the minimum standard the mentor
 * can close, weighted by strategy. Levels are arrays of cf->n_areas values,
 * 0 meaning "not assessed" (counted as level 0).
 */
int model_pair_score(const struct conf *cf, const int *mentor_levels, const int *mentee_levels);

/*
 * The pair's objectives, most important first: one line per area where the
 * mentor can close part of the mentee's gap, formatted
 *   "mentee <area> <current>-><target>"
 * with target = min(mentor level, standard), ranked by cover x weight, ties by
 * area order. Returns the number of lines written to out[max] (each a new
 * string the caller frees).
 */
size_t model_objectives(const struct conf *cf, const int *mentor_levels, const int *mentee_levels,
			char **out, size_t max);

#endif
