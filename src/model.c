/*
 * The competence model and the facts derived from staff data. Everything
 * here validates raw directory values strictly (birth years, hire dates,
 * competence values) or computes on already-validated integers (cohorts,
 * seniority, the roll-up from competences to areas, the pair score and the
 * objectives in both directions). Pure: no I/O, no logging; the caller knows
 * which entry a value came from and logs there.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "model.h"
#include "util.h"

/* Years accepted in birth years and hire dates; anything else is bad data. */
#define YEAR_MIN 1900
#define YEAR_MAX 2100

/* Value of exactly n ASCII digits at s, or -1 (locale-independent, no sign). */
static int parse_digits(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Gregorian leap years. */
static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1..12) of year y. */
static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Whether y-m-d is a real calendar date in the accepted year range. */
static int valid_date(int y, int m, int d)
{
	if (y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12)
		return 0;
	return d >= 1 && d <= days_in_month(y, m);
}

/* Exactly four ASCII digits, nothing else. */
int model_parse_year(const char *s, int *year)
{
	int y;
	if (!s || strlen(s) != 4)
		return -1;
	y = parse_digits(s, 4);
	if (y < YEAR_MIN || y > YEAR_MAX)
		return -1;
	*year = y;
	return 0;
}

/* Read two digits in [min, max] at *p and advance; -1 if absent or out of range. */
static int take2(const char **p, int min, int max)
{
	int v = parse_digits(*p, 2);
	if (v < min || v > max)
		return -1;
	*p += 2;
	return v;
}

/* Whether two more digits follow at p. */
static int two_digits_at(const char *p)
{
	return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9';
}

/*
 * The time part of a GeneralizedTime after YYYYMMDD (RFC 4517 3.3.13):
 * hour [minute [second]] [fraction] then Z or +/-hh[mm]. Second 60 is the
 * leap second the syntax allows. 0 if p holds exactly that.
 */
static int parse_gtime_tail(const char *p)
{
	if (take2(&p, 0, 23) < 0)
		return -1;
	if (two_digits_at(p)) {
		if (take2(&p, 0, 59) < 0)
			return -1;
		if (two_digits_at(p) && take2(&p, 0, 60) < 0)
			return -1;
	}
	if (*p == '.' || *p == ',') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'Z')
		return p[1] == '\0' ? 0 : -1;
	if (*p != '+' && *p != '-')
		return -1;
	p++;
	if (take2(&p, 0, 23) < 0)
		return -1;
	if (*p && take2(&p, 0, 59) < 0)
		return -1;
	return *p == '\0' ? 0 : -1;
}

/*
 * The calendar date is returned as written: a value with an offset
 * ("...+0200") is not moved to UTC, since a hire date is a day in the
 * company's own calendar, not an instant.
 */
int model_parse_date(const char *s, int *y, int *m, int *d)
{
	int yy, mm, dd;
	if (!s)
		return -1;
	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		yy = parse_digits(s, 4);
		mm = parse_digits(s + 5, 2);
		dd = parse_digits(s + 8, 2);
	} else {
		if (strlen(s) < 11)
			return -1;
		yy = parse_digits(s, 4);
		mm = parse_digits(s + 4, 2);
		dd = parse_digits(s + 6, 2);
		if (parse_gtime_tail(s + 8) < 0)
			return -1;
	}
	if (!valid_date(yy, mm, dd))
		return -1;
	*y = yy;
	*m = mm;
	*d = dd;
	return 0;
}

/*
 * Someone hired on 29 February completes a year on 1 March in common years
 * (the anniversary has not been reached on 28 February).
 */
int model_seniority_years(int y, int m, int d, time_t now)
{
	struct tm tm;
	int years, month, day;
	if (!gmtime_r(&now, &tm))
		return 0;
	month = tm.tm_mon + 1;
	day = tm.tm_mday;
	years = tm.tm_year + 1900 - y;
	if (month < m || (month == m && day < d))
		years--;
	return years < 0 ? 0 : years;
}

/* A linear scan: there are a handful of cohorts. */
int model_cohort_of(const struct conf *cf, int birth_year)
{
	for (size_t i = 0; i < cf->n_cohorts; i++)
		if (birth_year >= cf->cohorts[i].from && birth_year <= cf->cohorts[i].to)
			return i > INT_MAX ? -1 : (int)i;
	return -1;
}

/* The characters an area id may contain. */
static int is_area_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/*
 * Digits only: no sign, no blanks, no trailing junk. Leading zeros are
 * harmless and accepted. A syntactically fine level outside 0..scale is -2,
 * so the caller can tell a typo from an assessment on another scale; the
 * area id is copied in that case too, so the message can name it.
 */
int model_parse_competence(const char *s, int scale, char area[MODEL_AREA_MAX], int *level)
{
	size_t n = 0;
	long long v = 0;
	const char *p;
	if (!s)
		return -1;
	while (is_area_char(s[n]))
		n++;
	if (n == 0 || n >= MODEL_AREA_MAX || s[n] != '=')
		return -1;
	p = s + n + 1;
	if (*p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v <= INT_MAX)
			v = v * 10 + (*p - '0');
	}
	memcpy(area, s, n);
	area[n] = '\0';
	ascii_lower(area);
	if (v > scale)
		return -2;
	*level = (int)v;
	return 0;
}

/* Whether id is "<prefix>.<more>", comparing the prefix ignoring case. */
static int id_below(const char *id, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncasecmp(id, prefix, n) == 0 && id[n] == '.';
}

/* The areas first, then only the competences of areas whose id + "." starts id. */
int model_resolve(const struct conf *cf, const char *id, int *area, int *competence)
{
	for (size_t a = 0; a < cf->n_areas; a++)
		if (strcasecmp(cf->areas[a].id, id) == 0) {
			*area = (int)a;
			*competence = -1;
			return 0;
		}
	for (size_t a = 0; a < cf->n_areas; a++) {
		const struct conf_area *ar = &cf->areas[a];
		if (!ar->n_competences || !id_below(id, ar->id))
			continue;
		for (size_t c = ar->first_competence; c < ar->first_competence + ar->n_competences; c++)
			if (strcasecmp(cf->competences[c].id, id) == 0) {
				*area = (int)a;
				*competence = (int)c;
				return 1;
			}
	}
	return -1;
}

/* floor(mean) of the competence values > 0 of area a; 0 if there are none. */
static int competence_mean(const struct conf_area *a, const int *competence_values)
{
	long long sum = 0;
	int n = 0;
	for (size_t c = a->first_competence; competence_values &&
					     c < a->first_competence + a->n_competences; c++)
		if (competence_values[c] > 0) {
			sum += competence_values[c];
			n++;
		}
	return n ? (int)(sum / n) : 0;
}

void model_rollup(const struct conf *cf, const int *area_values, const int *competence_values,
		  int *area_levels)
{
	for (size_t a = 0; a < cf->n_areas; a++)
		area_levels[a] = area_values[a] > 0
					 ? area_values[a]
					 : competence_mean(&cf->areas[a], competence_values);
}

const char *model_level_name(const struct conf *cf, int level)
{
	if (!cf->level_names || level < 1 || level > cf->scale)
		return NULL;
	return cf->level_names[level - 1];
}

int model_score_weight(const struct conf *cf, size_t a)
{
	return cf->areas[a].weight;
}

/* How many levels of the learner's gap to the standard of area a the teacher can close. */
static int area_cover(const struct conf *cf, size_t a, const int *teacher, const int *learner)
{
	int reach = teacher[a] < cf->areas[a].standard ? teacher[a] : cf->areas[a].standard;
	return reach > learner[a] ? reach - learner[a] : 0;
}

/* The sum is clamped to INT_MAX; only absurd weights could reach it. */
/* Digital areas: the mentor teaches; leadership and business areas: the mentee does. */
static long long term(const struct conf *cf, size_t a, const int *mentor_levels, const int *mentee_levels)
{
	int cover = cf->areas[a].direction == CONF_DIR_DIGITAL ? area_cover(cf, a, mentor_levels, mentee_levels)
							       : area_cover(cf, a, mentee_levels, mentor_levels);
	return (long long)cf->areas[a].weight * cover;
}

int model_pair_term(const struct conf *cf, size_t a, const int *mentor_levels, const int *mentee_levels)
{
	long long t = term(cf, a, mentor_levels, mentee_levels);
	return t > INT_MAX ? INT_MAX : (int)t;
}

int model_pair_score(const struct conf *cf, const int *mentor_levels, const int *mentee_levels)
{
	long long sum = 0;
	for (size_t a = 0; a < cf->n_areas; a++) {
		sum += term(cf, a, mentor_levels, mentee_levels);
		if (sum > INT_MAX)
			return INT_MAX;
	}
	return (int)sum;
}

/* Whether area a gives objectives to who: digital areas to the mentee, the others to the mentor. */
static int is_side(const struct conf *cf, size_t a, enum model_learner who)
{
	return (cf->areas[a].direction == CONF_DIR_DIGITAL) == (who == MODEL_MENTEE);
}

/* The objective of area a for who, if there is one; 1 and *o set, else 0. */
static int objective_at(const struct conf *cf, size_t a, enum model_learner who,
			const int *teacher, const int *learner, struct model_objective *o)
{
	int cover;
	if (!is_side(cf, a, who) || (cover = area_cover(cf, a, teacher, learner)) == 0)
		return 0;
	o->learner = who;
	o->area = a;
	o->current = learner[a];
	o->target = learner[a] + cover;
	o->value = (long long)cf->areas[a].weight * cover;
	return 1;
}

/* How many objectives who has in this pair. */
static size_t count_side(const struct conf *cf, enum model_learner who, const int *teacher,
			 const int *learner)
{
	struct model_objective o;
	size_t n = 0;
	for (size_t a = 0; a < cf->n_areas; a++)
		n += (size_t)objective_at(cf, a, who, teacher, learner, &o);
	return n;
}

/*
 * The best quota objectives of who into out[quota], ranked: each new one
 * goes after those worth as much or more, which keeps area order among
 * equals. Returns how many were written.
 */
static size_t rank_side(const struct conf *cf, enum model_learner who, const int *teacher,
			const int *learner, struct model_objective *out, size_t quota)
{
	struct model_objective o;
	size_t n = 0;
	for (size_t a = 0; a < cf->n_areas; a++) {
		size_t pos = n, end;
		if (!objective_at(cf, a, who, teacher, learner, &o))
			continue;
		while (pos > 0 && out[pos - 1].value < o.value)
			pos--;
		if (pos >= quota)
			continue;
		end = n < quota ? n : quota - 1;
		memmove(&out[pos + 1], &out[pos], (end - pos) * sizeof(*out));
		out[pos] = o;
		if (n < quota)
			n++;
	}
	return n;
}

/* Split max between the sides: the mentor side gets up to max / 2 unless the mentee needs less. */
size_t model_objective_list(const struct conf *cf, const int *mentor_levels,
			    const int *mentee_levels, struct model_objective *out, size_t max)
{
	size_t n_mentee = count_side(cf, MODEL_MENTEE, mentor_levels, mentee_levels);
	size_t n_mentor = count_side(cf, MODEL_MENTOR, mentee_levels, mentor_levels);
	size_t q_mentor = n_mentor < max / 2 ? n_mentor : max / 2;
	size_t q_mentee = n_mentee < max - q_mentor ? n_mentee : max - q_mentor;
	size_t n;
	q_mentor = n_mentor < max - q_mentee ? n_mentor : max - q_mentee;
	n = rank_side(cf, MODEL_MENTEE, mentor_levels, mentee_levels, out, q_mentee);
	return n + rank_side(cf, MODEL_MENTOR, mentee_levels, mentor_levels, out + n, q_mentor);
}

int model_objective_format(const struct conf *cf, const struct model_objective *o, char *buf,
			   size_t size)
{
	return snprintf(buf, size, "%s %s %d->%d", o->learner == MODEL_MENTOR ? "mentor" : "mentee",
			cf->areas[o->area].id, o->current, o->target);
}

/* The structured list, then one string per objective. */
size_t model_objectives(const struct conf *cf, const int *mentor_levels, const int *mentee_levels,
			char **out, size_t max)
{
	size_t room = max < cf->n_areas ? max : cf->n_areas;
	struct model_objective *obj = xcalloc(room ? room : 1, sizeof(*obj));
	size_t n = model_objective_list(cf, mentor_levels, mentee_levels, obj, room);
	for (size_t i = 0; i < n; i++) {
		char line[MODEL_OBJECTIVE_MAX];
		model_objective_format(cf, &obj[i], line, sizeof(line));
		out[i] = xstrdup(line);
	}
	free(obj);
	return n;
}
