/*
 * The competence model and the facts derived from staff data. Everything
 * here validates raw directory values strictly (birth years, hire dates,
 * competence values) or computes on already-validated integers (cohorts,
 * seniority, the pair score and objectives). Pure: no I/O, no logging; the
 * caller knows which entry a value came from and logs there.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
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

/* How many levels of the mentee's gap to the standard of area a the mentor can close. */
static int area_cover(const struct conf *cf, size_t a, const int *mentor, const int *mentee)
{
	int reach = mentor[a] < cf->areas[a].standard ? mentor[a] : cf->areas[a].standard;
	return reach > mentee[a] ? reach - mentee[a] : 0;
}

/* Weighted cover of one area, in long long so a sum of many cannot overflow. */
static long long area_value(const struct conf *cf, size_t a, const int *mentor, const int *mentee)
{
	return (long long)cf->areas[a].weight * area_cover(cf, a, mentor, mentee);
}

/* The sum is clamped to INT_MAX; only absurd weights could reach it. */
int model_pair_score(const struct conf *cf, const int *mentor_levels, const int *mentee_levels)
{
	long long sum = 0;
	for (size_t a = 0; a < cf->n_areas; a++) {
		sum += area_value(cf, a, mentor_levels, mentee_levels);
		if (sum > INT_MAX)
			return INT_MAX;
	}
	return (int)sum;
}

/* One area the mentor can help with, and what that is worth. */
struct objective {
	size_t area;
	long long value;
};

/* Most valuable first; equal values keep the configured area order. */
static int cmp_objective(const void *a, const void *b)
{
	const struct objective *x = a, *y = b;
	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return x->area < y->area ? -1 : x->area > y->area;
}

/* Collect the areas with a cover, rank them, format the first max. */
size_t model_objectives(const struct conf *cf, const int *mentor_levels, const int *mentee_levels,
			char **out, size_t max)
{
	struct objective *obj = xcalloc(cf->n_areas, sizeof(*obj));
	size_t n = 0;
	for (size_t a = 0; a < cf->n_areas; a++) {
		if (area_cover(cf, a, mentor_levels, mentee_levels) == 0)
			continue;
		obj[n].area = a;
		obj[n].value = area_value(cf, a, mentor_levels, mentee_levels);
		n++;
	}
	qsort(obj, n, sizeof(*obj), cmp_objective);
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		size_t a = obj[i].area;
		int target = mentor_levels[a] < cf->areas[a].standard ? mentor_levels[a]
								      : cf->areas[a].standard;
		out[i] = xasprintf("mentee %s %d->%d", cf->areas[a].id, mentee_levels[a], target);
	}
	free(obj);
	return n;
}
