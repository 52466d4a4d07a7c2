/*
 * Assessment import and the standards report against a real slapd: only
 * changed values are written, a second import writes nothing, bad rows are
 * named by line and reason, --strict imports nothing, --dry-run writes
 * nothing, every import is recorded, and `mentorctl gaps` agrees with a
 * count made by LDAP search.
 */
#include "config.h"

#include <check.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/check_main.h"
#include "lib/testdir.h"
#include "lib/testutil.h"

#define PEOPLE "ou=people," SUFFIX

/* Write a CSV file into the test directory; returns its path (static buffer). */
static const char *write_csv(const char *name, const char *text)
{
	static char path[4300];
	FILE *fp;
	snprintf(path, sizeof(path), "%s/%s", td.dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* Run mentorctl with args; output to DIR/ctl.out, errors to DIR/ctl.err. */
static int mentorctl(const char *args)
{
	return sh("%s -c %s %s >%s/ctl.out 2>%s/ctl.err", build_path("src/mentorctl"), conf_path, args,
		  td.dir, td.dir);
}

/* All competence values of a person, sorted and joined with spaces (caller frees). */
static char *competences(LDAP *ld, const char *uid)
{
	char dn[256], *attrs[] = {"mentoringCompetence", NULL}, *out = calloc(1, 1024);
	LDAPMessage *res, *e;
	struct berval **v;
	snprintf(dn, sizeof(dn), "uid=%s," PEOPLE, uid);
	res = search(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs);
	e = ldap_first_entry(ld, res);
	v = e ? ldap_get_values_len(ld, e, "mentoringCompetence") : NULL;
	for (int i = 0; v && v[i]; i++) {
		strncat(out, v[i]->bv_val, v[i]->bv_len);
		strcat(out, " ");
	}
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return out;
}

/* The entryCSN of a person: it changes when the entry is written. */
static char *csn(LDAP *ld, const char *uid)
{
	char dn[256], *attrs[] = {"entryCSN", NULL}, *out = NULL;
	LDAPMessage *res, *e;
	struct berval **v;
	snprintf(dn, sizeof(dn), "uid=%s," PEOPLE, uid);
	res = search(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs);
	e = ldap_first_entry(ld, res);
	if (e && (v = ldap_get_values_len(ld, e, "entryCSN"))) {
		out = strndup(v[0]->bv_val, v[0]->bv_len);
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	return out;
}

static const char good_csv[] =
	"uid,digcomp.1,digcomp.3,date\n"
	"u000020,7,1,2026-10-01\n"
	"u000021,2,,2026-10-01\n"
	"U000022,8,8,20261001000000Z\n";

START_TEST(import_writes_only_what_changes)
{
	LDAP *ld;
	char *before, *after, *c21;
	const char *path;
	start_company(300);
	ld = admin();
	path = write_csv("good.csv", good_csv);
	ck_assert_int_eq(sh("%s -c %s assess import %s >%s/ctl.out 2>%s/ctl.err", build_path("src/mentorctl"),
			    conf_path, path, td.dir, td.dir), 0);
	ck_assert(output_has("ctl.err", "3 rows: 3 changed, 0 unchanged, 0 bad, 0 refused"));
	c21 = competences(ld, "u000020");
	ck_assert_ptr_nonnull(strstr(c21, "digcomp.1=7 "));
	ck_assert_ptr_nonnull(strstr(c21, "digcomp.3=1 "));
	ck_assert_ptr_null(strstr(c21, "digcomp.1=7 digcomp.1")); /* the old value went */
	free(c21);
	/* the other areas were not touched */
	c21 = competences(ld, "u000021");
	ck_assert_ptr_nonnull(strstr(c21, "digcomp.1=2 "));
	ck_assert_int_eq((int)(strstr(c21, "digcomp.2=") != NULL), 1);
	free(c21);
	/* the same file again: nothing is written */
	before = csn(ld, "u000020");
	ck_assert_int_eq(mentorctl("assess import no-such-file.csv"), 1);
	ck_assert(output_has("ctl.err", "no-such-file.csv: cannot open: No such file or directory"));
	ck_assert_int_eq(sh("cd %s && %s -c %s assess import good.csv >%s/ctl.out 2>%s/ctl.err", td.dir,
			    build_path("src/mentorctl"), conf_path, td.dir, td.dir), 0);
	ck_assert(output_has("ctl.err", "3 rows: 0 changed, 3 unchanged, 0 bad, 0 refused"));
	after = csn(ld, "u000020");
	ck_assert_str_eq(before, after);
	/* both imports are recorded with their levels */
	ck_assert_int_eq(mentorctl("assess list"), 0);
	ck_assert_int_eq(sh("grep -c good.csv %s/ctl.out | grep -qx 2", td.dir), 0);
	ck_assert_int_eq(sh("grep -q '      3         0      0       5  ' %s/ctl.out", td.dir), 0);
	free(before);
	free(after);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

static const char bad_csv[] =
	"uid,digcomp.1,digcomp.9,date\n"
	"u000030,5,1,\n"
	"nobody,5,1,\n"
	"u000031,9,1,\n"
	"u000030,4,1,\n"
	"u000032,x,1,\n"
	"u000033,3,1,2026-02-30\n"
	"u000034,3\n"
	"u000035,\"4\"x,1,\n"
	"u000036,6,1,\n";

START_TEST(bad_rows_are_named_and_skipped)
{
	LDAP *ld;
	const char *path;
	char *c;
	start_company(300);
	ld = admin();
	path = write_csv("bad.csv", bad_csv);
	ck_assert_int_eq(sh("%s -c %s assess import %s >%s/ctl.out 2>%s/ctl.err", build_path("src/mentorctl"),
			    conf_path, path, td.dir, td.dir), 7);
	ck_assert(output_has("ctl.err", "bad.csv:1: column 3 (\"digcomp.9\"): unknown competence"));
	ck_assert(output_has("ctl.err", "bad.csv:3: unknown person \"nobody\""));
	ck_assert(output_has("ctl.err", "bad.csv:4: digcomp.1: level \"9\" is not a whole number from 0 to 8"));
	ck_assert(output_has("ctl.err", "bad.csv:5: duplicate person \"u000030\" (first in line 2)"));
	ck_assert(output_has("ctl.err", "bad.csv:6: digcomp.1: level \"x\""));
	ck_assert(output_has("ctl.err", "bad.csv:7: date \"2026-02-30\""));
	ck_assert(output_has("ctl.err", "bad.csv:8: 2 fields where the header has 4"));
	ck_assert(output_has("ctl.err", "bad.csv:9: broken CSV quoting"));
	ck_assert(output_has("ctl.err", "9 rows: "));
	ck_assert(output_has("ctl.err", " unchanged, 7 bad, 0 refused"));
	/* reported in line order */
	ck_assert_int_eq(sh("grep -o '^bad.csv:[0-9]*' %s/ctl.err | cut -d: -f2 | sort -n -c", td.dir), 0);
	/* the good rows went in */
	c = competences(ld, "u000030");
	ck_assert_ptr_nonnull(strstr(c, "digcomp.1=5 "));
	free(c);
	c = competences(ld, "u000036");
	ck_assert_ptr_nonnull(strstr(c, "digcomp.1=6 "));
	free(c);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(strict_and_dry_run_write_nothing)
{
	LDAP *ld;
	const char *path;
	char *before, *after;
	start_company(300);
	ld = admin();
	path = write_csv("bad.csv", bad_csv);
	before = csn(ld, "u000030");
	ck_assert_int_eq(sh("%s -c %s assess import %s --strict >%s/ctl.out 2>%s/ctl.err",
			    build_path("src/mentorctl"), conf_path, path, td.dir, td.dir), 7);
	ck_assert(output_has("ctl.err", "--strict: nothing imported"));
	path = write_csv("good.csv", "uid,digcomp.1\nu000030,1\n");
	ck_assert_int_eq(sh("%s -c %s assess import %s --dry-run >%s/ctl.out 2>%s/ctl.err",
			    build_path("src/mentorctl"), conf_path, path, td.dir, td.dir), 0);
	ck_assert(output_has("ctl.out", "dn: uid=u000030," PEOPLE "\nchangetype: modify\n"));
	ck_assert(output_has("ctl.out", "add: mentoringCompetence\nmentoringCompetence: digcomp.1=1\n"));
	after = csn(ld, "u000030");
	ck_assert_str_eq(before, after);
	ck_assert_int_ne(mentorctl("assess list"), 0); /* nothing recorded: no state yet */
	free(before);
	free(after);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(gaps_agree_with_the_directory)
{
	LDAP *ld;
	int below;
	start_company(600);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	below = count(ld, PEOPLE, "(|(mentoringCompetence=digcomp.1=0)(mentoringCompetence=digcomp.1=1)"
				  "(mentoringCompetence=digcomp.1=2)(mentoringCompetence=digcomp.1=3))");
	ck_assert_int_gt(below, 0);
	ck_assert_int_eq(mentorctl("gaps --csv"), 0);
	ck_assert_int_eq(sh("test $(grep -c '^digcomp.1,4,' %s/ctl.out) -eq %d", td.dir, below), 0);
	ck_assert_int_eq(mentorctl("gaps --json"), 0);
	ck_assert_int_eq(sh("grep -q '\"id\": \"digcomp.1\", \"name\": \"Information and data literacy\", "
			    "\"standard\": 4, \"assessed\": [0-9]*, \"below\": %d, \"by_cohort\": {' %s/ctl.out",
			    below, td.dir), 0);
	ck_assert_int_eq(mentorctl("gaps"), 0);
	ck_assert(output_has("ctl.out", "below standard by department:"));
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(competence_level_columns_with_the_digcomp_model)
{
	LDAP *ld;
	const char *path;
	char *c;
	start_company(300);
	/* the shipped DigComp 2.2 model, included as an admin would */
	ck_assert_int_eq(sh("mkdir -p %s/models && cp %s/contrib/models/digcomp-2.2.conf %s/models/", td.dir,
			    getenv("top_srcdir"), td.dir), 0);
	write_config(td.uri, SENIORS, "model = {\n@include \"models/digcomp-2.2.conf\"\n};");
	ck_assert_int_eq(sh("%s -n -c %s >/dev/null", build_path("src/mentord"), conf_path), 0);
	path = write_csv("fine.csv", "uid,digcomp.1.1,digcomp.1.2,lead.vision\nu000040,6,2,3\n");
	ck_assert_int_eq(sh("%s -c %s assess import %s >%s/ctl.out 2>%s/ctl.err", build_path("src/mentorctl"),
			    conf_path, path, td.dir, td.dir), 0);
	ld = admin();
	c = competences(ld, "u000040");
	ck_assert_ptr_nonnull(strstr(c, "digcomp.1.1=6 "));
	ck_assert_ptr_nonnull(strstr(c, "digcomp.1.2=2 "));
	ck_assert_ptr_nonnull(strstr(c, "lead.vision=3 "));
	free(c);
	/* a competence id the model does not have is an unknown column */
	path = write_csv("typo.csv", "uid,digcomp.1.9\nu000040,6\n");
	ck_assert_int_eq(sh("%s -c %s assess import %s >%s/ctl.out 2>%s/ctl.err", build_path("src/mentorctl"),
			    conf_path, path, td.dir, td.dir), 7);
	ck_assert(output_has("ctl.err", "typo.csv:1: column 2 (\"digcomp.1.9\"): unknown competence"));
	/* sync reads the competence-level values and keeps them */
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(!output_has("mentord.err", "u000040,ou=people," SUFFIX ": mentoringCompetence"));
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

static Suite *assess_suite(void)
{
	Suite *s = suite_create("assess");
	TCase *tc = tcase_create("import");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, import_writes_only_what_changes);
	tcase_add_test(tc, bad_rows_are_named_and_skipped);
	tcase_add_test(tc, strict_and_dry_run_write_nothing);
	tcase_add_test(tc, gaps_agree_with_the_directory);
	tcase_add_test(tc, competence_level_columns_with_the_digcomp_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(assess_suite());
}
