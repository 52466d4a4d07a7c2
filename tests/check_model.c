/*
 * Unit tests for the model module: strict parsing of birth years, hire dates
 * and competence values, cohorts, seniority, the pair score and objectives.
 * The configuration is built by hand, so these tests do not depend on conf.c.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/check_main.h"
#include "model.h"

static struct conf_cohort default_cohorts[] = {
	{ "Baby Boomers", 1946, 1964 },
	{ "Generation X", 1965, 1979 },
	{ "Generation Y", 1980, 2000 },
	{ "Generation Z", 2001, 2010 },
};

/* A digital area with id, standard and weight (direction, competences: none). */
#define AREA(i, n, s, w) { .id = (i), .name = (n), .standard = (s), .weight = (w) }

/* Four areas with different standards and weights, to exercise both. */
static struct conf_area weighted_areas[] = {
	AREA("digcomp.1", "Information", 4, 1),
	AREA("digcomp.2", "Communication", 6, 3),
	AREA("digcomp.3", "Content", 5, 2),
	AREA("digcomp.4", "Safety", 4, 0),
};

static struct conf_area plain_areas[] = {
	AREA("a", "a", 4, 1),
	AREA("b", "b", 4, 1),
	AREA("c", "c", 4, 1),
};

/*
 * Both directions and both granularities: digcomp.1 is assessed by three
 * competences, "lead" by one, and "lead.vision" is an area whose id "lead"
 * prefixes (so resolving must not take it for a competence of "lead").
 */
static struct conf_area mixed_areas[] = {
	{ .id = "digcomp.1", .name = "Information", .standard = 4, .weight = 1,
	  .first_competence = 0, .n_competences = 3 },
	{ .id = "digcomp.2", .name = "Communication", .standard = 6, .weight = 3 },
	{ .id = "lead.vision", .name = "Vision", .standard = 5, .weight = 2,
	  .direction = CONF_DIR_LEADERSHIP },
	{ .id = "biz.planning", .name = "Business planning", .standard = 4, .weight = 1,
	  .direction = CONF_DIR_BUSINESS },
	{ .id = "lead", .name = "Leadership", .standard = 4, .weight = 1,
	  .direction = CONF_DIR_LEADERSHIP, .first_competence = 3, .n_competences = 1 },
};

static struct conf_competence mixed_competences[] = {
	{ .id = "digcomp.1.1", .name = "Browsing", .area = 0, .standard = 4 },
	{ .id = "digcomp.1.2", .name = "Evaluating", .area = 0, .standard = 4 },
	{ .id = "digcomp.1.3", .name = "Managing data", .area = 0, .standard = 5 },
	{ .id = "lead.goals", .name = "Goal setting", .area = 4, .standard = 4 },
};

static char *mixed_levels[] = { "Foundation 1", "Foundation 2", "Intermediate 3",
				"Intermediate 4", "Advanced 5", "Advanced 6",
				"Highly specialised 7", "Highly specialised 8", NULL };

static struct conf make_conf(struct conf_area *areas, size_t n_areas)
{
	struct conf cf;
	memset(&cf, 0, sizeof(cf));
	cf.cohorts = default_cohorts;
	cf.n_cohorts = sizeof(default_cohorts) / sizeof(default_cohorts[0]);
	cf.scale = 8;
	cf.areas = areas;
	cf.n_areas = n_areas;
	cf.capacity = 3;
	return cf;
}

/* The mixed model: five areas, four competences, named levels. */
static struct conf mixed_conf(void)
{
	struct conf cf = make_conf(mixed_areas, 5);
	cf.competences = mixed_competences;
	cf.n_competences = 4;
	cf.level_names = mixed_levels;
	return cf;
}

/* UTC seconds of a calendar instant. */
static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

START_TEST(year_valid)
{
	int y = 0;
	ck_assert_int_eq(model_parse_year("1975", &y), 0);
	ck_assert_int_eq(y, 1975);
	ck_assert_int_eq(model_parse_year("1900", &y), 0);
	ck_assert_int_eq(y, 1900);
	ck_assert_int_eq(model_parse_year("2100", &y), 0);
	ck_assert_int_eq(y, 2100);
}
END_TEST

START_TEST(year_malformed)
{
	static const char *bad[] = {
		"", "1899", "2101", "0000", "9999", "19x5", " 1975", "1975 ", "197", "19750",
		"+975", "-975", "1975\n", "\xef\xbc\x91\xef\xbc\x99\xef\xbc\x97\xef\xbc\x95",
		"1e03", "0x7b",
	};
	int y = 42;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(model_parse_year(bad[i], &y) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(y, 42);
	}
	ck_assert_int_eq(model_parse_year(NULL, &y), -1);
}
END_TEST

/* Parses s and checks the date it gave. */
static void expect_date(const char *s, int y, int m, int d)
{
	int yy = 0, mm = 0, dd = 0;
	ck_assert_msg(model_parse_date(s, &yy, &mm, &dd) == 0, "rejected \"%s\"", s);
	ck_assert_msg(yy == y && mm == m && dd == d, "\"%s\" gave %d-%d-%d", s, yy, mm, dd);
}

START_TEST(date_valid)
{
	expect_date("20150301000000Z", 2015, 3, 1);
	expect_date("20150301000000.0Z", 2015, 3, 1);
	expect_date("20201129000000.123456Z", 2020, 11, 29);
	expect_date("20150301000000,5Z", 2015, 3, 1);
	expect_date("2015030112Z", 2015, 3, 1);
	expect_date("201503011230Z", 2015, 3, 1);
	expect_date("2015030112.5Z", 2015, 3, 1);
	expect_date("20150301235959Z", 2015, 3, 1);
	expect_date("20161231235960Z", 2016, 12, 31);
	expect_date("20150301123000+0100", 2015, 3, 1);
	expect_date("20150301233000-0530", 2015, 3, 1);
	expect_date("20150301000000-05", 2015, 3, 1);
	expect_date("20160229000000Z", 2016, 2, 29);
	expect_date("2015-03-01", 2015, 3, 1);
	expect_date("2016-02-29", 2016, 2, 29);
	expect_date("2000-02-29", 2000, 2, 29);
	expect_date("2015-12-31", 2015, 12, 31);
	expect_date("1900-01-01", 1900, 1, 1);
}
END_TEST

START_TEST(date_malformed)
{
	static const char *bad[] = {
		"", " ", "2015", "20150301", "20150301000000", "2015030100000Z",
		"201503010Z", "20150301000Z", "20150301000000.Z", "20150301000000.0",
		"20150301000000.0Zjunk", "20150301000000Z ", " 20150301000000Z",
		"20150230000000Z", "20150229000000Z", "21000229000000Z", "20151301000000Z",
		"20150001000000Z", "20150300000000Z", "20150431000000Z", "20150301240000Z",
		"20150301006000Z", "20150301000061Z", "20150301000000+2400",
		"20150301000000+0160", "20150301000000+1", "20150301000000+01000",
		"20150301000000z", "2015030100000aZ", "18991231000000Z", "21010101000000Z",
		"2015-02-29", "1900-02-29", "2015-02-30", "2015-04-31", "2015-13-01",
		"2015-00-10", "2015-01-00", "2015-3-01", "2015-03-1", "2015/03/01",
		"2015-03-01Z", "2015-03-01 ", "2015-03-01T00:00:00Z", "15-03-01",
		"+015-03-01", "2015-+3-01", "2015-03--1",
	};
	int y = 7, m = 7, d = 7;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(model_parse_date(bad[i], &y, &m, &d) == -1, "accepted \"%s\"", bad[i]);
		ck_assert(y == 7 && m == 7 && d == 7);
	}
	ck_assert_int_eq(model_parse_date(NULL, &y, &m, &d), -1);
}
END_TEST

START_TEST(seniority_anniversary)
{
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2020, 6, 14, 23, 59, 59)), 9);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2020, 6, 15, 0, 0, 0)), 10);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2020, 12, 31, 12, 0, 0)), 10);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2021, 1, 1, 0, 0, 0)), 10);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2010, 6, 15, 8, 0, 0)), 0);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2010, 7, 1, 0, 0, 0)), 0);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2011, 6, 14, 0, 0, 0)), 0);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2011, 6, 15, 0, 0, 0)), 1);
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2010, 6, 14, 0, 0, 0)), 0);
	ck_assert_int_eq(model_seniority_years(2030, 1, 1, utc(2020, 6, 14, 0, 0, 0)), 0);
}
END_TEST

START_TEST(seniority_leap_day)
{
	ck_assert_int_eq(model_seniority_years(2016, 2, 29, utc(2017, 2, 28, 12, 0, 0)), 0);
	ck_assert_int_eq(model_seniority_years(2016, 2, 29, utc(2017, 3, 1, 0, 0, 0)), 1);
	ck_assert_int_eq(model_seniority_years(2016, 2, 29, utc(2020, 2, 28, 23, 0, 0)), 3);
	ck_assert_int_eq(model_seniority_years(2016, 2, 29, utc(2020, 2, 29, 0, 0, 0)), 4);
}
END_TEST

/* The day boundary is UTC's, not the local zone's. */
START_TEST(seniority_uses_utc)
{
	setenv("TZ", "UTC-14", 1); /* POSIX sign: local time is UTC+14 */
	tzset();
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2020, 6, 14, 23, 30, 0)), 9);
	setenv("TZ", "UTC+12", 1);
	tzset();
	ck_assert_int_eq(model_seniority_years(2010, 6, 15, utc(2020, 6, 15, 0, 30, 0)), 10);
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(cohort_boundaries)
{
	struct conf cf = make_conf(plain_areas, 3);
	ck_assert_int_eq(model_cohort_of(&cf, 1945), -1);
	ck_assert_int_eq(model_cohort_of(&cf, 1946), 0);
	ck_assert_int_eq(model_cohort_of(&cf, 1964), 0);
	ck_assert_int_eq(model_cohort_of(&cf, 1965), 1);
	ck_assert_int_eq(model_cohort_of(&cf, 1979), 1);
	ck_assert_int_eq(model_cohort_of(&cf, 1980), 2);
	ck_assert_int_eq(model_cohort_of(&cf, 2000), 2);
	ck_assert_int_eq(model_cohort_of(&cf, 2001), 3);
	ck_assert_int_eq(model_cohort_of(&cf, 2010), 3);
	ck_assert_int_eq(model_cohort_of(&cf, 2011), -1);
	ck_assert_int_eq(model_cohort_of(&cf, 0), -1);
}
END_TEST

START_TEST(cohort_gaps_and_empty)
{
	static struct conf_cohort gappy[] = { { "old", 1950, 1959 }, { "young", 1970, 1979 } };
	struct conf cf = make_conf(plain_areas, 3);
	cf.cohorts = gappy;
	cf.n_cohorts = 2;
	ck_assert_int_eq(model_cohort_of(&cf, 1955), 0);
	ck_assert_int_eq(model_cohort_of(&cf, 1965), -1);
	ck_assert_int_eq(model_cohort_of(&cf, 1979), 1);
	cf.n_cohorts = 0;
	ck_assert_int_eq(model_cohort_of(&cf, 1955), -1);
}
END_TEST

/* Parses s on scale 8 and checks area and level. */
static void expect_competence(const char *s, const char *area, int level)
{
	char got[MODEL_AREA_MAX];
	int lv = -1;
	ck_assert_msg(model_parse_competence(s, 8, got, &lv) == 0, "rejected \"%s\"", s);
	ck_assert_str_eq(got, area);
	ck_assert_int_eq(lv, level);
}

START_TEST(competence_valid)
{
	char id63[80], want[80];
	expect_competence("digcomp.1=4", "digcomp.1", 4);
	expect_competence("DigComp.1=0", "digcomp.1", 0);
	expect_competence("digcomp.1=8", "digcomp.1", 8);
	expect_competence("a_b-C.9=1", "a_b-c.9", 1);
	expect_competence("x=03", "x", 3);
	memset(id63, 'A', 63);
	strcpy(id63 + 63, "=2");
	memset(want, 'a', 63);
	want[63] = '\0';
	expect_competence(id63, want, 2);
}
END_TEST

START_TEST(competence_malformed)
{
	static const char *bad[] = {
		"", "=", "=3", "a=", "a=3x", "a=-1", "a=+1", "a= 3", "a =3", " a=3", "a=3 ",
		"a==3", "a b=3", "a", "a=3=4", "a/b=3", "\xc3\xa9=3", "a=0x1", "a=1.0", "a=\t1",
		"a=3\n", "a:3",
	};
	char id64[80], area[MODEL_AREA_MAX];
	int lv = 99;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(model_parse_competence(bad[i], 8, area, &lv) == -1, "accepted \"%s\"",
			      bad[i]);
		ck_assert_int_eq(lv, 99);
	}
	memset(id64, 'a', 64);
	strcpy(id64 + 64, "=2");
	ck_assert_int_eq(model_parse_competence(id64, 8, area, &lv), -1);
	ck_assert_int_eq(model_parse_competence(NULL, 8, area, &lv), -1);
	ck_assert_int_eq(lv, 99);
}
END_TEST

START_TEST(competence_out_of_range)
{
	char area[MODEL_AREA_MAX];
	int lv = 99;
	ck_assert_int_eq(model_parse_competence("digcomp.1=9", 8, area, &lv), -2);
	ck_assert_int_eq(model_parse_competence("digcomp.1=99999999999999999999", 8, area, &lv), -2);
	ck_assert_int_eq(model_parse_competence("a=6", 5, area, &lv), -2);
	ck_assert_int_eq(lv, 99);
	ck_assert_int_eq(model_parse_competence("a=5", 5, area, &lv), 0);
	ck_assert_int_eq(lv, 5);
	/* a syntax error wins over a range error */
	ck_assert_int_eq(model_parse_competence("a=9x", 8, area, &lv), -1);
}
END_TEST

START_TEST(score_hand_computed)
{
	struct conf cf = make_conf(weighted_areas, 4);
	static const int mentor[] = { 7, 5, 3, 8 }, mentee[] = { 2, 1, 4, 0 };
	static const int zero[] = { 0, 0, 0, 0 }, top[] = { 8, 8, 8, 8 };
	/* area 1: min(7,4)-2 = 2, x1; area 2: min(5,6)-1 = 4, x3; area 3: none; area 4: weight 0 */
	ck_assert_int_eq(model_pair_score(&cf, mentor, mentee), 2 + 12);
	/* reversed: only area 3 is covered, min(4,5)-3 = 1, x2 */
	ck_assert_int_eq(model_pair_score(&cf, mentee, mentor), 2);
	/* a mentor above standard only closes the gap to the standard */
	ck_assert_int_eq(model_pair_score(&cf, top, zero), 4 * 1 + 6 * 3 + 5 * 2 + 4 * 0);
	ck_assert_int_eq(model_pair_score(&cf, zero, zero), 0);
	ck_assert_int_eq(model_pair_score(&cf, top, top), 0);
	ck_assert_int_eq(model_pair_score(&cf, zero, top), 0);
}
END_TEST

START_TEST(score_clamped)
{
	static struct conf_area heavy[] = { AREA("a", "a", 8, INT_MAX), AREA("b", "b", 8, INT_MAX) };
	static const int mentor[] = { 8, 8 }, mentee[] = { 0, 0 };
	struct conf cf = make_conf(heavy, 2);
	ck_assert_int_eq(model_pair_score(&cf, mentor, mentee), INT_MAX);
}
END_TEST

static void free_lines(char **out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(out[i]);
}

START_TEST(objectives_ranked)
{
	struct conf cf = make_conf(weighted_areas, 4);
	static const int mentor[] = { 7, 5, 3, 8 }, mentee[] = { 2, 1, 4, 0 };
	char *out[8];
	size_t n = model_objectives(&cf, mentor, mentee, out, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0], "mentee digcomp.2 1->5");
	ck_assert_str_eq(out[1], "mentee digcomp.1 2->4");
	ck_assert_str_eq(out[2], "mentee digcomp.4 0->4");
	free_lines(out, n);
	n = model_objectives(&cf, mentor, mentee, out, 2);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0], "mentee digcomp.2 1->5");
	ck_assert_str_eq(out[1], "mentee digcomp.1 2->4");
	free_lines(out, n);
	ck_assert_uint_eq(model_objectives(&cf, mentor, mentee, out, 0), 0);
	ck_assert_uint_eq(model_objectives(&cf, mentee, mentor, out, 8), 1);
	ck_assert_str_eq(out[0], "mentee digcomp.3 3->4");
	free(out[0]);
}
END_TEST

START_TEST(objectives_ties_by_area_order)
{
	struct conf cf = make_conf(plain_areas, 3);
	static const int mentor[] = { 4, 4, 6 }, mentee[] = { 2, 3, 2 }, none[] = { 0, 0, 0 };
	char *out[3];
	size_t n = model_objectives(&cf, mentor, mentee, out, 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0], "mentee a 2->4");
	ck_assert_str_eq(out[1], "mentee c 2->4");
	ck_assert_str_eq(out[2], "mentee b 3->4");
	free_lines(out, n);
	ck_assert_uint_eq(model_objectives(&cf, none, mentee, out, 3), 0);
	ck_assert_uint_eq(model_objectives(&cf, mentee, mentor, out, 3), 0);
}
END_TEST

/* Resolves id and checks what it names. */
static void expect_resolve(const struct conf *cf, const char *id, int rc, int area, int comp)
{
	int a = 99, c = 99;
	ck_assert_msg(model_resolve(cf, id, &a, &c) == rc, "\"%s\": not %d", id, rc);
	ck_assert_msg(a == (rc < 0 ? 99 : area) && c == (rc < 0 ? 99 : comp),
		      "\"%s\": area %d competence %d", id, a, c);
}

START_TEST(resolve_areas_and_competences)
{
	struct conf cf = mixed_conf();
	expect_resolve(&cf, "digcomp.1", 0, 0, -1);
	expect_resolve(&cf, "DigComp.2", 0, 1, -1);
	expect_resolve(&cf, "digcomp.1.1", 1, 0, 0);
	expect_resolve(&cf, "digcomp.1.3", 1, 0, 2);
	expect_resolve(&cf, "LEAD.GOALS", 1, 4, 3);
	expect_resolve(&cf, "lead", 0, 4, -1);
	expect_resolve(&cf, "lead.vision", 0, 2, -1);
	static const char *const unknown[] = { "digcomp", "digcomp.1.", "digcomp.1.4",
					       "digcomp.2.1", "lead.vision.1", "lead.goals.x",
					       "biz", "", "digcomp.11" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		expect_resolve(&cf, unknown[i], -1, 0, 0);
	/* An area-level model has no competences at all. */
	cf = make_conf(weighted_areas, 4);
	expect_resolve(&cf, "digcomp.3", 0, 2, -1);
	expect_resolve(&cf, "digcomp.3.1", -1, 0, 0);
}
END_TEST

START_TEST(rollup_rule)
{
	struct conf cf = mixed_conf();
	int levels[5];
	/* area value wins; floor(mean of 3, 4) = 3 with 0 ignored; lead from its one competence */
	static const int area_values[5] = { 0, 5, 2, 0, 0 }, comp_values[4] = { 3, 0, 4, 6 };
	static const int given[5] = { 7, 0, 0, 0, 0 }, none[4] = { 0, 0, 0, 0 };
	static const int no_area[5] = { 0, 0, 0, 0, 0 };
	static const int all3[4] = { 8, 7, 7, 0 };
	model_rollup(&cf, area_values, comp_values, levels);
	ck_assert_int_eq(levels[0], 3);
	ck_assert_int_eq(levels[1], 5);
	ck_assert_int_eq(levels[2], 2);
	ck_assert_int_eq(levels[3], 0);
	ck_assert_int_eq(levels[4], 6);
	model_rollup(&cf, given, comp_values, levels);
	ck_assert_int_eq(levels[0], 7); /* the area's own value, not the mean 3 */
	model_rollup(&cf, given, none, levels);
	ck_assert_int_eq(levels[0], 7);
	ck_assert_int_eq(levels[4], 0);
	model_rollup(&cf, no_area, all3, levels);
	ck_assert_int_eq(levels[0], 7); /* floor(22 / 3) */
	/* In place, and without competences. */
	{
		struct conf plain = make_conf(plain_areas, 3);
		int v[3] = { 1, 0, 8 };
		model_rollup(&plain, v, NULL, v);
		ck_assert(v[0] == 1 && v[1] == 0 && v[2] == 8);
	}
}
END_TEST

START_TEST(level_names)
{
	struct conf cf = mixed_conf();
	ck_assert_str_eq(model_level_name(&cf, 1), "Foundation 1");
	ck_assert_str_eq(model_level_name(&cf, 8), "Highly specialised 8");
	ck_assert_ptr_null(model_level_name(&cf, 0));
	ck_assert_ptr_null(model_level_name(&cf, 9));
	cf.level_names = NULL;
	ck_assert_ptr_null(model_level_name(&cf, 1));
}
END_TEST

START_TEST(score_both_directions)
{
	struct conf cf = mixed_conf();
	/* digcomp.1: min(6,4)-1 = 3 x1; digcomp.2: min(8,6)-2 = 4 x3; the mentee knows no more
	 * than the mentor in the leadership and business areas, so they add nothing */
	static const int mentor[5] = { 6, 8, 8, 8, 8 }, mentee[5] = { 1, 2, 0, 0, 0 };
	ck_assert_int_eq(model_pair_score(&cf, mentor, mentee), 3 + 12);
	/* the other way round the senior teaches: lead.vision min(8,5)-0 = 5 x2,
	 * biz.planning min(8,4)-0 = 4 x1, lead min(8,4)-0 = 4 x1; no digital term */
	ck_assert_int_eq(model_pair_score(&cf, mentee, mentor), 10 + 4 + 4);
	ck_assert_int_eq(model_pair_term(&cf, 2, mentee, mentor), 10);
	ck_assert_int_eq(model_pair_term(&cf, 0, mentee, mentor), 0);
	ck_assert_int_eq(model_score_weight(&cf, 0), 1);
	ck_assert_int_eq(model_score_weight(&cf, 1), 3);
	ck_assert_int_eq(model_score_weight(&cf, 2), 2);
	ck_assert_int_eq(model_score_weight(&cf, 3), 1);
	ck_assert_int_eq(model_score_weight(&cf, 4), 1);
}
END_TEST

START_TEST(objectives_both_directions)
{
	struct conf cf = mixed_conf();
	/* The junior mentor is strong in digital, weak in leadership/business; the senior the reverse. */
	static const int mentor[5] = { 6, 5, 1, 2, 4 }, mentee[5] = { 2, 3, 7, 3, 8 };
	struct model_objective obj[8];
	char *out[8], line[MODEL_OBJECTIVE_MAX];
	size_t n = model_objective_list(&cf, mentor, mentee, obj, 8);
	ck_assert_uint_eq(n, 4);
	/* mentee: digcomp.2 2x3 = 6, digcomp.1 2x1 = 2; mentor: lead.vision 4x2 = 8, biz 1x1 */
	ck_assert(obj[0].learner == MODEL_MENTEE && obj[0].area == 1 && obj[0].value == 6);
	ck_assert(obj[1].learner == MODEL_MENTEE && obj[1].area == 0 && obj[1].value == 2);
	ck_assert(obj[2].learner == MODEL_MENTOR && obj[2].area == 2 && obj[2].value == 8);
	ck_assert(obj[3].learner == MODEL_MENTOR && obj[3].area == 3 && obj[3].value == 1);
	ck_assert_int_eq(model_objective_format(&cf, &obj[2], line, sizeof(line)), 23);
	ck_assert_str_eq(line, "mentor lead.vision 1->5");
	n = model_objectives(&cf, mentor, mentee, out, 8);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(out[0], "mentee digcomp.2 3->5");
	ck_assert_str_eq(out[1], "mentee digcomp.1 2->4");
	ck_assert_str_eq(out[2], "mentor lead.vision 1->5");
	ck_assert_str_eq(out[3], "mentor biz.planning 2->3");
	free_lines(out, n);
	/* lead (standard 4): the mentor is at standard already, so nothing to develop. */
	/* Swapped roles: nothing either way (the senior is no digital teacher here). */
	ck_assert_uint_eq(model_objective_list(&cf, mentee, mentor, obj, 8), 0);
}
END_TEST

START_TEST(objectives_split_when_limited)
{
	struct conf cf = mixed_conf();
	static const int mentor[5] = { 6, 5, 1, 2, 4 }, mentee[5] = { 2, 3, 7, 3, 8 };
	/* Only the mentor has objectives; only the mentee has objectives. */
	static const int mentor_learns[5] = { 0, 0, 1, 2, 0 }, senior[5] = { 0, 0, 8, 8, 8 };
	static const int junior[5] = { 6, 5, 5, 4, 4 }, weak[5] = { 1, 1, 8, 8, 8 };
	struct model_objective obj[4];
	char *out[4];
	size_t n = model_objectives(&cf, mentor, mentee, out, 3);
	/* 2 + 2 candidates, 3 places: the mentor side keeps 3 / 2 = 1, the best one. */
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0], "mentee digcomp.2 3->5");
	ck_assert_str_eq(out[1], "mentee digcomp.1 2->4");
	ck_assert_str_eq(out[2], "mentor lead.vision 1->5");
	free_lines(out, n);
	n = model_objectives(&cf, mentor, mentee, out, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0], "mentee digcomp.2 3->5");
	free_lines(out, n);
	n = model_objectives(&cf, mentor, mentee, out, 2);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0], "mentee digcomp.2 3->5");
	ck_assert_str_eq(out[1], "mentor lead.vision 1->5");
	free_lines(out, n);
	/* One side empty: the other takes every place. */
	ck_assert_uint_eq(model_objective_list(&cf, mentor_learns, senior, obj, 4), 3);
	ck_assert_uint_eq(model_objective_list(&cf, mentor_learns, senior, obj, 1), 1);
	ck_assert(obj[0].learner == MODEL_MENTOR && obj[0].area == 2 && obj[0].value == 8);
	ck_assert_uint_eq(model_objective_list(&cf, junior, weak, obj, 2), 2);
	ck_assert(obj[0].learner == MODEL_MENTEE && obj[0].area == 1 && obj[0].target == 5);
	ck_assert(obj[1].learner == MODEL_MENTEE && obj[1].area == 0 && obj[1].target == 4);
	ck_assert_uint_eq(model_objective_list(&cf, junior, weak, obj, 0), 0);
}
END_TEST

START_TEST(objectives_stable)
{
	struct conf cf = mixed_conf();
	static const int mentor[5] = { 6, 5, 1, 2, 4 }, mentee[5] = { 2, 3, 7, 3, 8 };
	struct model_objective a[8], b[8];
	size_t n = model_objective_list(&cf, mentor, mentee, a, 8);
	ck_assert_uint_eq(model_objective_list(&cf, mentor, mentee, b, 8), n);
	ck_assert(memcmp(a, b, n * sizeof(a[0])) == 0);
	/* Ties keep area order in both directions. */
	{
		static const int m2[5] = { 5, 0, 4, 3, 0 }, s2[5] = { 3, 0, 5, 4, 0 };
		char *out[4];
		struct conf_area tie_areas[5];
		memcpy(tie_areas, mixed_areas, sizeof(tie_areas));
		tie_areas[2].weight = 1;
		cf.areas = tie_areas;
		n = model_objectives(&cf, m2, s2, out, 4);
		ck_assert_uint_eq(n, 3);
		ck_assert_str_eq(out[0], "mentee digcomp.1 3->4");
		ck_assert_str_eq(out[1], "mentor lead.vision 4->5");
		ck_assert_str_eq(out[2], "mentor biz.planning 3->4");
		free_lines(out, n);
	}
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, year_valid);
	tcase_add_test(tc, year_malformed);
	tcase_add_test(tc, date_valid);
	tcase_add_test(tc, date_malformed);
	tcase_add_test(tc, competence_valid);
	tcase_add_test(tc, competence_malformed);
	tcase_add_test(tc, competence_out_of_range);
	suite_add_tcase(s, tc);
	tc = tcase_create("derive");
	tcase_add_test(tc, seniority_anniversary);
	tcase_add_test(tc, seniority_leap_day);
	tcase_add_test(tc, seniority_uses_utc);
	tcase_add_test(tc, cohort_boundaries);
	tcase_add_test(tc, cohort_gaps_and_empty);
	suite_add_tcase(s, tc);
	tc = tcase_create("score");
	tcase_add_test(tc, score_hand_computed);
	tcase_add_test(tc, score_clamped);
	tcase_add_test(tc, objectives_ranked);
	tcase_add_test(tc, objectives_ties_by_area_order);
	tcase_add_test(tc, score_both_directions);
	tcase_add_test(tc, objectives_both_directions);
	tcase_add_test(tc, objectives_split_when_limited);
	tcase_add_test(tc, objectives_stable);
	suite_add_tcase(s, tc);
	tc = tcase_create("rollup");
	tcase_add_test(tc, resolve_areas_and_competences);
	tcase_add_test(tc, rollup_rule);
	tcase_add_test(tc, level_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(model_suite());
}
