/*
 * The competence model and the facts derived from staff data: birth cohort,
 * seniority, competence values and their roll-up from competences to areas,
 * the pair score and the pair objectives in both directions. Pure functions
 * over plain data; no I/O, no directory, no SQL.
 *
 * How sync turns a person's mentoringCompetence values into the area-level
 * array that scoring and objectives take: for each value,
 * model_parse_competence() gives id and level, model_resolve() says whether
 * the id is an area or a competence; the level goes into an area_values
 * (cf->n_areas) or competence_values (cf->n_competences) array, zeroed
 * first; then model_rollup() gives the area levels.
 */
#ifndef MENTORD_MODEL_H
#define MENTORD_MODEL_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

/* Longest area or competence id accepted, including the NUL. */
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
 * Parse a competence value "<id>=<level>", where id names an area
 * ("digcomp.2") or a competence ("digcomp.2.4"; see model_resolve). The id
 * is 1..63 characters of [A-Za-z0-9._-]; the level is an integer 0..scale.
 * On success returns 0, copies the id (lower-cased) into area[MODEL_AREA_MAX]
 * and sets *level. Returns -1 on bad syntax, -2 on a level outside 0..scale.
 */
int model_parse_competence(const char *s, int scale, char area[MODEL_AREA_MAX], int *level);

/*
 * What the id of a competence value names: an area or a competence of the
 * model, compared ignoring case. Returns 0 for an area (*area its index in
 * cf->areas, *competence -1), 1 for a competence (*competence its index in
 * cf->competences, *area the index of its area), -1 if the model has no such
 * id (*area and *competence untouched). No allocation; a handful of string
 * compares (the areas, then the competences of the area whose id prefixes id).
 */
int model_resolve(const struct conf *cf, const char *id, int *area, int *competence);

/*
 * Roll one person's values up to area levels. area_values has cf->n_areas
 * entries, competence_values cf->n_competences (it may be NULL when there are
 * none); in both, 0 means "no value". For each area a:
 *   area_levels[a] = area_values[a]                  if area_values[a] > 0,
 *                  = floor(mean of the competence values > 0 of area a)
 *                                                    if there is any,
 *                  = 0 (not assessed)                otherwise.
 * A value given for the area itself wins over its competences. area_levels
 * (cf->n_areas entries, caller-owned) may be area_values itself. No allocation.
 */
void model_rollup(const struct conf *cf, const int *area_values, const int *competence_values,
		  int *area_levels);

/* The name of level 1..cf->scale ("Foundation 1", or "3" by default); NULL for any other. */
const char *model_level_name(const struct conf *cf, int level);

/*
 * The weight area a counts with in model_pair_score (its configured weight,
 * in either direction). Code that scores pairs by area (match.c's class
 * keys) uses this instead of cf->areas[a].weight.
 */
int model_score_weight(const struct conf *cf, size_t a);

/*
 * The area part of a pair's score: for each area a, with standard std_a and
 * weight w_a,
 *   digital area:                 cover_a = max(0, min(mentor_a, std_a) - mentee_a)
 *   leadership or business area:  cover_a = max(0, min(mentee_a, std_a) - mentor_a)
 *   score = sum_a w_a * cover_a
 * i.e. how many levels of each side's gap to the minimum standard the other
 * can close, weighted by strategy: the junior mentor lifts the senior in the
 * digital areas, the senior lifts the junior in leadership and business.
 * Levels are area-level arrays of cf->n_areas values (rolled up with
 * model_rollup), 0 meaning "not assessed" (counted as level 0). Clamped to
 * INT_MAX. No allocation; called once per candidate pair.
 */
int model_pair_score(const struct conf *cf, const int *mentor_levels, const int *mentee_levels);

/* The term of area a in model_pair_score: weight x cover in the area's direction. */
int model_pair_term(const struct conf *cf, size_t a, const int *mentor_levels, const int *mentee_levels);

/* Who develops in an objective. */
enum model_learner {
	MODEL_MENTEE, /* a digital area: the junior mentor teaches the senior mentee */
	MODEL_MENTOR, /* a leadership or business area: the senior mentee teaches the mentor */
};

/* One pair objective: the learner's area, where they are and where the pair aims. */
struct model_objective {
	enum model_learner learner;
	size_t area;     /* index in cf->areas */
	int current;     /* the learner's level now */
	int target;      /* min(the teacher's level, the area's standard) > current */
	long long value; /* (target - current) x weight: the rank */
};

/* Room for one formatted objective, including the NUL. */
#define MODEL_OBJECTIVE_MAX (MODEL_AREA_MAX + 32)

/*
 * The pair's objectives, in both directions, as a function of the two
 * area-level arrays and the model only (so they change only when an
 * assessment does):
 *   - mentee objectives: each digital area where the mentor's level and the
 *     standard are both above the mentee's: current = mentee level,
 *     target = min(mentor level, standard);
 *   - mentor objectives: each leadership or business area where the mentee's
 *     level and the standard are both above the mentor's: current = mentor
 *     level, target = min(mentee level, standard).
 * out[] holds the mentee objectives then the mentor objectives, each ranked
 * by value (gap closed x weight), highest first, ties by area order. When
 * there are more than max, the mentor objectives keep up to max / 2 places
 * and the mentee objectives the rest; places one side does not need go to
 * the other. Returns the number written to out[max] (caller-owned). No
 * allocation.
 */
size_t model_objective_list(const struct conf *cf, const int *mentor_levels,
			    const int *mentee_levels, struct model_objective *out, size_t max);

/*
 * Format o as the mentoringObjective value
 *   "<learner> <area id> <current>-><target>"
 * e.g. "mentee digcomp.2 1->5" or "mentor lead.vision 2->4", into buf[size]
 * (MODEL_OBJECTIVE_MAX is always enough). Returns snprintf's result.
 */
int model_objective_format(const struct conf *cf, const struct model_objective *o, char *buf,
			   size_t size);

/*
 * model_objective_list() formatted with model_objective_format(): returns
 * the number of lines written to out[max], each a new string the caller
 * frees. The same order and the same limit rule.
 */
size_t model_objectives(const struct conf *cf, const int *mentor_levels, const int *mentee_levels,
			char **out, size_t max);

#endif
